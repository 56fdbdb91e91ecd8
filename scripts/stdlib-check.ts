/**
 * `npm run check:stdlib [-- options]`: run `fix --write` through the built CLI on a copy of the
 * local Python standard library and require that nothing was lost or broken:
 *   - 0 failed files;
 *   - every changed file that compiled before still compiles (one python3 process);
 *   - every skipped (and unchanged, and undiscovered) file is byte-identical;
 *   - a second run reports 0 changes.
 * With --oracles, also counts what ruff (E722, S110, S112 typed, S501, S323) and pylint (W0702)
 * report before and after, and fails on any finding left unexplained.
 *
 * Options: --dir DIR (another tree instead of the stdlib), --jobs N, --select IDS,
 * --oracles, --no-pylint, --keep (leave the copies in place), --json FILE (the summary as data).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { byReason, pylintOracle, pylintVersion, ruffOracle, unexplained, type OracleResult } from "./oracles.js";
import { copyFiles, pythonFiles, stdlibDir } from "./stdlib.js";
import { checkWrite, CLI } from "./write-check.js";

const { values } = parseArgs({
  options: {
    dir: { type: "string" },
    jobs: { type: "string" },
    select: { type: "string" },
    oracles: { type: "boolean", default: false },
    "no-pylint": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    json: { type: "string" },
  },
});

if (!fs.existsSync(CLI)) {
  process.stderr.write(`${CLI} is missing: build first (npm run build)\n`);
  process.exit(2);
}

const source = values.dir ? path.resolve(values.dir) : stdlibDir();
const files = pythonFiles(source);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-stdlib-"));
const original = path.join(scratch, "original");
const work = path.join(scratch, "work");
copyFiles(source, original, files);
copyFiles(source, work, files);

const out = (line = ""): void => void process.stdout.write(`${line}\n`);
out(`source: ${source} (${files.length} Python files, site-packages left out)`);
out(`copy:   ${work}`);

const args = [...(values.jobs ? ["--jobs", values.jobs] : []), ...(values.select ? ["--select", values.select] : [])];
const check = checkWrite(original, work, { args });
const s = check.first.report.summary;

out();
out(`first run (--write): ${(check.first.ms / 1000).toFixed(1)} s, exit ${check.first.code}`);
out(`  scanned ${s.filesScanned}, changed ${s.filesChanged}, skipped ${s.filesSkipped}, failed ${s.filesFailed}; ${s.changes} changes`);
for (const [id, n] of Object.entries(s.byCodemod)) out(`    ${id.padEnd(16)} ${n}`);
const notScanned = files.filter((f) => !check.entries.has(f)).length;
if (notScanned > 0) out(`  ${notScanned} file(s) never discovered (skipped directories such as venv/, build/): byte-identical`);
out(`  written: ${check.changed.length} file(s) changed on disk; ${check.compiledBefore} compiled before and still compile` +
  (check.notCompilingBefore.length ? `; ${check.notCompilingBefore.length} did not compile before either (${check.notCompilingBefore.join(", ")})` : ""));
if (check.created.length) out(`  created: ${check.created.join(", ")}`);
out(`  skipped, byte-identical: ${check.skipped.length}`);
for (const k of check.skipped) out(`    ${k.path}: ${k.reason}`);
const s2 = check.second.report.summary;
out(`second run (preview): ${(check.second.ms / 1000).toFixed(1)} s, exit ${check.second.code}, ${s2.changes} changes, ${s2.filesFailed} failed`);

const oracles: OracleResult[] = [];
if (values.oracles) {
  oracles.push(ruffOracle(original, work, files, check.changed.filter((f) => f.endsWith(".py")), check.entries));
  const version = values["no-pylint"] ? undefined : pylintVersion();
  if (version) oracles.push(await pylintOracle(original, work, files, check.entries));
  else if (!values["no-pylint"]) out("pylint: not installed (apt-get install pylint), W0702 not counted");
  for (const o of oracles) {
    out();
    out(`${o.tool}: before ${JSON.stringify(o.before)}, after ${JSON.stringify(o.after)}` + (o.unanalysed.length ? ` (${o.unanalysed.length} file(s) it could not analyse)` : ""));
    for (const [why, counts] of byReason(o)) out(`  ${Object.entries(counts).map(([c, n]) => `${n} ${c}`).join(", ")}: ${why}`);
  }
}

const problems = [...check.problems, ...oracles.flatMap((o) => unexplained(o).map((f) => `${o.tool} ${f.code} ${f.file}:${f.line}: ${f.why}`))];
out();
if (problems.length === 0) out("OK: nothing failed, nothing broke, skipped files untouched, the second run changes nothing");
else {
  out(`FAILED: ${problems.length} problem(s)`);
  for (const p of problems.slice(0, 200)) out(`  ${p}`);
}
if (values.json) {
  fs.writeFileSync(values.json, JSON.stringify({
    source, files: files.length, summary: s, second: s2, changed: check.changed.length, compiledBefore: check.compiledBefore,
    notCompilingBefore: check.notCompilingBefore, skipped: check.skipped, created: check.created, problems,
    oracles: oracles.map((o) => ({ tool: o.tool, before: o.before, after: o.after, remaining: Object.fromEntries(byReason(o)), unanalysed: o.unanalysed.length })),
  }, null, 2) + "\n");
}
if (!values.keep) fs.rmSync(scratch, { recursive: true, force: true });
process.exitCode = problems.length === 0 ? 0 : 1;
