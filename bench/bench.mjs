#!/usr/bin/env node
/**
 * pyremedy against the peers on the same files: the local Python standard library by default
 * (site-packages left out, as pyremedy's discovery leaves it out).
 *
 *   npm run bench [-- --rounds 3] [-- --scales 1,2,4] [-- --no-bandit] [-- PATH]
 *   npm run bench -- --check-prefilter [PATH]
 *   npm run bench -- --floor [--rounds N] [PATH]
 *
 * - pyremedy: the built CLI (package.json `bin`, the bundle; run `npm run build` first), `fix --format json` (a full
 *   preview, every codemod, default --jobs), the report read only for its summary. Each run is
 *   a fresh process, so its time includes Node's start and the WASM warm-up.
 * - ruff: @astral-sh/ruff-wasm-nodejs in this process with the rules of pyremedy's four flaw
 *   classes, over the same files read once into memory, after a warm-up pass.
 * - Runs alternate (ruff, pyremedy, ruff, ...) so load on a shared machine hits both alike;
 *   medians are printed, with CPU seconds, files/s, MB/s and pyremedy's peak RSS.
 * - bandit (when installed) once, with its tests for the same flaws.
 * - For comparison only, pyremedy under ruff's conditions: runFix in this process, warm, one
 *   thread (the target is measured with the CLI above); and ruff under pyremedy's: a fresh
 *   process that loads ruff-wasm, reads the files and checks them (bench/ruff-cold.mjs).
 * - Linearity: pyremedy (and ruff) once more on 2× and 4× the corpus (copies in a temp dir).
 *
 * --check-prefilter: run the CLI over the whole corpus with the prefilters on and off
 * (PYREMEDY_PREFILTER=off) and fail unless the reports are identical.
 *
 * --floor: what the target leaves room for. Times, alternately with ruff, the parts of a
 * preview no faster pipeline of this design can skip, and their sum under assumptions that
 * favour pyremedy (two threads splitting the per-file work perfectly, both already warm, no
 * screening but init-exports', no diffs and no report): start-up, the CLI doing little but
 * discovery, reading and decoding (only init-exports selected: it admits only empty
 * `__init__.py` files, by their path and first bytes), and, in this
 * process warm and on one thread, the per-file pipeline of the files the screen admits
 * (processSource) and, of it, tree-sitter's parse of what is parsed.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
// What users run: package.json's bin (the bundle scripts/bundle.mjs builds).
const bin = path.join(root, JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).bin.pyremedy);

const RUFF_RULES = ["E722", "BLE001", "S110", "S112", "S105", "S106", "S107", "S323", "S501", "S502", "S503", "S504", "S507"];
const BANDIT_TESTS = ["B110", "B112", "B105", "B106", "B107", "B323", "B501", "B502", "B503", "B504", "B507"];

const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [, value] = args.splice(i, 2);
  return value;
}
function flag(name) {
  const i = args.indexOf(name);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
}
const rounds = Number(option("--rounds", "3"));
const scales = option("--scales", "1,2,4").split(",").map(Number).filter((n) => n >= 1);
const checkPrefilter = flag("--check-prefilter");
const floor = flag("--floor");
const noBandit = flag("--no-bandit");
const corpus = path.resolve(args[0] ?? execFileSync("python3", ["-I", "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], { encoding: "utf8" }).trim());

if (!fs.existsSync(bin)) {
  console.error(`no build at ${bin}: run npm run build first`);
  process.exit(2);
}

const { discover } = await import(pathToFileURL(path.join(dist, "src", "engine", "discover.js")).href);

/** The files pyremedy sees under `dir`, read once. */
function corpusFiles(dir) {
  const { targets } = discover([dir], {});
  return targets.map((t) => ({ rel: t.relPath, bytes: fs.readFileSync(t.absPath) }));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (bytes) => bytes / 1e6;
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");

// Resource use of the child, from inside it: user/system CPU (µs) of the whole process, workers
// included, and its peak RSS (KiB). The peak is VmHWM where Linux has it: getrusage's maxrss
// survives exec, so a child forked from this (large) process would report this process's size.
const USAGE_HOOK =
  `data:text/javascript,import fs from "node:fs";process.on("exit",()=>{const u=process.resourceUsage();let peak=u.maxRSS;` +
  `try{peak=Number(/VmHWM:\\s*(\\d+)/.exec(fs.readFileSync("/proc/self/status","utf8"))[1])}catch{}` +
  `process.stderr.write("@@usage "+u.userCPUTime+" "+u.systemCPUTime+" "+peak+"\\n")})`;

/** One pyremedy preview of `dir` through the built CLI (`extra`: more `fix` options). */
function pyremedy(dir, env = {}, extra = []) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--import", USAGE_HOOK, bin, "fix", "--quiet", "--format", "json", ...extra, dir], {
    maxBuffer: 1 << 30,
    env: { ...process.env, ...env },
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0 && r.status !== 1) throw new Error(`pyremedy exited with ${r.status}: ${r.stderr}`);
  const usage = /@@usage (\d+) (\d+) (\d+)/.exec(r.stderr.toString("utf8"));
  const report = JSON.parse(r.stdout.toString("utf8"));
  return {
    seconds,
    cpu: usage ? (Number(usage[1]) + Number(usage[2])) / 1e6 : NaN,
    rssMB: usage ? Number(usage[3]) / 1024 : NaN,
    report,
  };
}

let ruffWorkspace;
async function ruff(texts) {
  if (!ruffWorkspace) {
    const { PositionEncoding, Workspace } = await import("@astral-sh/ruff-wasm-nodejs");
    ruffWorkspace = new Workspace({ lint: { select: RUFF_RULES } }, PositionEncoding.Utf16);
  }
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  let findings = 0;
  for (const t of texts) findings += ruffWorkspace.check(t).length;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { seconds, cpu: (cpu.user + cpu.system) / 1e6, findings };
}

/** ruff-wasm in a fresh process (bench/ruff-cold.mjs), timed from spawn to exit like the CLI. */
function ruffCold(dir) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [path.join(root, "bench", "ruff-cold.mjs"), dir, RUFF_RULES.join(",")], { encoding: "utf8" });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`ruff-cold exited with ${r.status}: ${r.stderr}`);
  return { seconds, findings: Number(r.stdout.trim()) };
}

function banditRun(files) {
  const which = spawnSync("bandit", ["--version"], { encoding: "utf8" });
  if (which.error || which.status !== 0) return undefined;
  const version = (which.stdout || which.stderr).split("\n")[0].trim();
  const list = path.join(os.tmpdir(), `pyremedy-bench-bandit-${process.pid}.txt`);
  const start = process.hrtime.bigint();
  // The file list on the command line (bandit -r would also walk site-packages).
  const r = spawnSync("bandit", ["-q", "-f", "json", "-o", list, "-t", BANDIT_TESTS.join(","), ...files], { maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  let findings = NaN;
  try {
    findings = JSON.parse(fs.readFileSync(list, "utf8")).results.length;
  } catch {
    // bandit writes no report when it crashes; the time still says something.
  }
  fs.rmSync(list, { force: true });
  return { version, seconds, findings, status: r.status };
}

/** `times` copies of the corpus files below a temp dir (the copies keep their relative paths). */
function scaledCorpus(files, times) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pyremedy-bench-${times}x-`));
  for (let k = 0; k < times; k++) {
    for (const f of files) {
      const dest = path.join(dir, `copy${k + 1}`, f.rel);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, f.bytes);
    }
  }
  return dir;
}

function summaryLine(s) {
  return `${s.filesScanned} files, ${s.filesChanged} changed, ${s.filesSkipped} skipped, ${s.filesFailed} failed, ${s.changes} changes`;
}

const files = corpusFiles(corpus);
const bytes = files.reduce((n, f) => n + f.bytes.length, 0);
const cpus = os.cpus();
console.log(`corpus: ${corpus}: ${files.length} .py files, ${mb(bytes).toFixed(1)} MB (as pyremedy discovers them: site-packages left out)`);
console.log(`machine: ${cpus.length} × ${cpus[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}; load average ${load()}`);

if (checkPrefilter) {
  const comparable = (report) => JSON.stringify({ summary: report.summary, files: report.files, env: report.env });
  const on = pyremedy(corpus);
  const off = pyremedy(corpus, { PYREMEDY_PREFILTER: "off" });
  console.log(`prefilters on:  ${on.seconds.toFixed(2)} s — ${summaryLine(on.report.summary)}`);
  console.log(`prefilters off: ${off.seconds.toFixed(2)} s — ${summaryLine(off.report.summary)}`);
  if (comparable(on.report) === comparable(off.report)) {
    console.log(`identical reports over ${on.report.files.length} files`);
    process.exit(0);
  }
  const byPath = new Map(off.report.files.map((f) => [`${f.repo}\0${f.path}`, f]));
  const differing = on.report.files.filter((f) => JSON.stringify(byPath.get(`${f.repo}\0${f.path}`)) !== JSON.stringify(f));
  // Partial parsing (src/python/outline.ts) does not see a syntax error inside a definition it
  // leaves out: there a whole parse skips the file, the partial one goes on. Known, listed, allowed.
  const unseen = differing.filter((f) => /^syntax error/.test(byPath.get(`${f.repo}\0${f.path}`)?.reason ?? "") && f.status !== "skipped");
  for (const f of unseen) console.log(`  ${f.path}: ${f.status} with partial parsing; a whole parse skips it (${byPath.get(`${f.repo}\0${f.path}`).reason})`);
  const real = differing.filter((f) => !unseen.includes(f));
  if (real.length === 0 && JSON.stringify(on.report.env) === JSON.stringify(off.report.env)) {
    console.log(`same reports over ${on.report.files.length} files, but for ${unseen.length} with a syntax error only a whole parse sees`);
    process.exit(0);
  }
  console.log(`reports differ: ${real.length} files, e.g.`);
  for (const f of real.slice(0, 10)) console.log(`  ${f.path}: ${f.status} ${f.reason ?? ""}`);
  process.exit(1);
}

const texts = files.map((f) => f.bytes.toString("utf8"));
const warm = await ruff(texts);
console.log(`ruff-wasm warm-up pass (not counted): ${warm.seconds.toFixed(2)} s`);

if (floor) {
  const imp = (rel) => import(pathToFileURL(path.join(dist, rel)).href);
  const { codemods } = await imp("codemods/index.js");
  const { screenSource, processSource } = await imp("src/engine/process.js");
  const { projectContext, projectFs } = await imp("src/engine/context.js");
  const { hiddenDefinitions, includedRanges } = await imp("src/python/outline.js");
  const { initPython, parsePython } = await imp("src/python/parser.js");
  await initPython();
  const { targets } = discover([corpus], {});
  const root = targets[0]?.root ?? corpus;
  const items = targets.map((t) => ({ rel: t.relPath, bytes: fs.readFileSync(t.absPath) }));
  const options = { codemods, maxBytes: Infinity };
  const pfs = projectFs(root);
  const admitted = [];
  for (const it of items) {
    const s = screenSource(it.bytes, projectContext(root, it.rel, pfs), options);
    if ("admitted" in s) admitted.push({ ...it, ids: s.admitted });
  }
  // What the pipeline's first parse reads: the definitions no admitted codemod needs left out.
  const parses = admitted.map((f) => {
    const text = f.bytes.toString("utf8");
    const mods = codemods.filter((c) => f.ids.includes(c.id));
    const hidden = mods.every((c) => c.sites) ? hiddenDefinitions(text, mods.flatMap((c) => c.sites(text))) : undefined;
    return { text, ranges: hidden?.length ? includedRanges(text, hidden) : undefined, kept: text.length - (hidden ?? []).reduce((n, h) => n + h.end - h.start, 0) };
  });
  const timed = (fn) => {
    const start = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  const processAll = () => {
    const p = projectFs(root);
    for (const f of admitted) processSource(f.bytes, projectContext(root, f.rel, p), { ...options, admitted: f.ids });
  };
  const parseAll = () => {
    for (const f of parses) parsePython(f.text, f.ranges).delete();
  };
  processAll();
  parseAll();
  const runs = { ruff: [], empty: [], screen: [], process: [], parse: [] };
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-bench-empty-"));
  try {
    for (let r = 0; r < rounds; r++) {
      runs.ruff.push((await ruff(texts)).seconds);
      runs.empty.push(pyremedy(empty).seconds);
      runs.screen.push(pyremedy(corpus, {}, ["--select", "init-exports"]).seconds);
      runs.process.push(timed(processAll));
      runs.parse.push(timed(parseAll));
    }
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
  const m = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)]));
  const parsedMB = mb(parses.reduce((n, f) => n + f.kept, 0));
  const bound = m.screen + m.process / 2;
  console.log("");
  console.log(`| part (median of ${rounds}) | time | share of ruff's |`);
  console.log(`|---|---|---|`);
  const row = (what, t) => console.log(`| ${what} | ${t.toFixed(2)} s | ${(t / m.ruff).toFixed(2)}× |`);
  row(`ruff-wasm, ${RUFF_RULES.length} rules, warm, in-process (the target is half of this)`, m.ruff);
  row("pyremedy start-up: the CLI on an empty directory", m.empty);
  row(`the CLI discovering, reading and decoding all ${items.length} files (--select init-exports: its screen is a look at the path and the first bytes)`, m.screen);
  row(`per-file pipeline of the ${admitted.length} files the screen admits (processSource), warm, one thread`, m.process);
  row(`  of it, tree-sitter parsing what the first parse reads (${parsedMB.toFixed(2)} MB), warm, one thread`, m.parse);
  row("bound: that CLI + the pipeline split over 2 threads (warm; no other screen, no diffs, no report)", bound);
  console.log("");
  console.log(`target 0.50× ruff = ${(m.ruff / 2).toFixed(2)} s; the bound is ${(bound / m.ruff).toFixed(2)}× ruff: ${bound > m.ruff / 2 ? "above the target" : "within the target"}`);
  process.exit(0);
}

const ruffRuns = [];
const ourRuns = [];
const coldRuns = [];
let summary;
for (let r = 0; r < rounds; r++) {
  const a = await ruff(texts);
  const b = pyremedy(corpus);
  const c = ruffCold(corpus);
  if (c.findings !== a.findings) throw new Error(`ruff in a fresh process found ${c.findings}, in this one ${a.findings}`);
  ruffRuns.push(a);
  ourRuns.push(b);
  coldRuns.push(c);
  summary ??= b.report.summary;
  if (JSON.stringify(b.report.summary) !== JSON.stringify(summary)) throw new Error("pyremedy's summary changed between runs");
  console.log(`  round ${r + 1}: ruff ${a.seconds.toFixed(2)} s (cpu ${a.cpu.toFixed(2)} s), pyremedy ${b.seconds.toFixed(2)} s (cpu ${b.cpu.toFixed(2)} s, peak RSS ${b.rssMB.toFixed(0)} MB), ruff in a fresh process ${c.seconds.toFixed(2)} s`);
}

// The same conditions as ruff's for comparison (not the target's measure): pyremedy in this
// process, warm (after one pass), one thread, its report built (diffs included) but not printed.
const { runFix } = await import(pathToFileURL(path.join(dist, "src", "engine", "run.js")).href);
const { codemods: registry } = await import(pathToFileURL(path.join(dist, "codemods", "index.js")).href);
async function pyremedyWarm() {
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const report = await runFix({ paths: [corpus], codemods: registry, write: false, jobs: 1 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  if (JSON.stringify(report.summary) !== JSON.stringify(summary)) throw new Error("pyremedy in-process reports another summary than the CLI");
  return { seconds, cpu: (cpu.user + cpu.system) / 1e6 };
}
await pyremedyWarm();
const warmRuns = [];
for (let r = 0; r < rounds; r++) warmRuns.push(await pyremedyWarm());
console.log(`  pyremedy warm, in-process, one thread: ${warmRuns.map((x) => x.seconds.toFixed(2)).join(" ")} s`);

const ruffT = median(ruffRuns.map((x) => x.seconds));
const ourT = median(ourRuns.map((x) => x.seconds));
const ruffCpu = median(ruffRuns.map((x) => x.cpu));
const ourCpu = median(ourRuns.map((x) => x.cpu));
const peak = Math.max(...ourRuns.map((x) => x.rssMB));
const rate = (t) => `${(files.length / t).toFixed(0)} files/s, ${(mb(bytes) / t).toFixed(1)} MB/s`;
console.log("");
console.log(`pyremedy: ${summaryLine(summary)}`);
console.log(`ruff:     ${ruffRuns[0].findings} findings (${RUFF_RULES.join(" ")})`);
console.log("");
console.log(`| tool | median wall | median CPU | throughput | peak RSS |`);
console.log(`|---|---|---|---|---|`);
console.log(`| pyremedy fix (preview, 4 codemods, default --jobs) | ${ourT.toFixed(2)} s | ${ourCpu.toFixed(2)} s | ${rate(ourT)} | ${peak.toFixed(0)} MB |`);
console.log(`| ruff-wasm (${RUFF_RULES.length} rules, warm, in-process) | ${ruffT.toFixed(2)} s | ${ruffCpu.toFixed(2)} s | ${rate(ruffT)} | |`);
const warmT = median(warmRuns.map((x) => x.seconds));
console.log(`| pyremedy, as ruff runs here (warm, in-process, one thread; not the target's measure) | ${warmT.toFixed(2)} s | ${median(warmRuns.map((x) => x.cpu)).toFixed(2)} s | ${rate(warmT)} | |`);
const coldT = median(coldRuns.map((x) => x.seconds));
console.log(`| ruff-wasm as pyremedy runs here (a fresh process that reads the files; not the target's measure) | ${coldT.toFixed(2)} s | | ${rate(coldT)} | |`);

if (!noBandit) {
  const b = banditRun(files.map((f) => path.join(corpus, f.rel)));
  if (b) console.log(`| bandit ${b.version.replace(/^bandit /, "")} (${BANDIT_TESTS.length} tests, once) | ${b.seconds.toFixed(2)} s | | ${rate(b.seconds)} | |`);
  else console.log("(bandit not installed: skipped)");
}
console.log("");
console.log(`ratio pyremedy / ruff: ${(ourT / ruffT).toFixed(2)}× wall time, ${(ourCpu / ruffCpu).toFixed(2)}× CPU time (target: wall ≤ 0.50×; peak RSS ≤ 300 MB)`);
console.log(`(warm, in-process, one thread each: ${(warmT / ruffT).toFixed(2)}× wall time; each a fresh process: ${(ourT / coldT).toFixed(2)}×)`);

const extra = scales.filter((k) => k > 1);
if (extra.length) {
  console.log("");
  console.log(`linearity (one run each; 1× is the median above):`);
  console.log(`| corpus | files | MB | pyremedy | s per MB | peak RSS | ruff | pyremedy / ruff |`);
  console.log(`|---|---|---|---|---|---|---|---|`);
  const row = (k, n, size, ours, rss, theirs) =>
    console.log(`| ${k}× | ${n} | ${mb(size).toFixed(1)} | ${ours.toFixed(2)} s | ${(ours / mb(size)).toFixed(3)} | ${rss.toFixed(0)} MB | ${theirs.toFixed(2)} s | ${(ours / theirs).toFixed(2)}× |`);
  row(1, files.length, bytes, ourT, peak, ruffT);
  for (const k of extra) {
    const dir = scaledCorpus(files, k);
    try {
      const many = texts.flatMap((t) => Array(k).fill(t));
      const theirs = await ruff(many);
      const ours = pyremedy(dir);
      row(k, files.length * k, bytes * k, ours.seconds, ours.rssMB, theirs.seconds);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
console.log("");
console.log(`load average at the end: ${load()}`);
