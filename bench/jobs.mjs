#!/usr/bin/env node
/**
 * Speed-up of worker threads: `pyremedy fix --jobs 2` against `--jobs 1` on the local Python
 * standard library (site-packages excluded), a full preview with every codemod and the JSON
 * report discarded. Runs alternate (1, 2, 1, 2, ...) so load changes hit both alike; prints
 * the medians. Not part of `npm test`; needs a build (`npm run build`).
 *
 *   node bench/jobs.mjs [--rounds 3] [--jobs 2] [PATH]
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// What users run: package.json's bin (the bundle scripts/bundle.mjs builds).
const bin = path.join(root, JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).bin.pyremedy);
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [value] = args.splice(i, 2).slice(1);
  return value;
};
const rounds = Number(option("--rounds", "3"));
const jobs = Number(option("--jobs", "2"));
const corpus = args[0] ?? execFileSync("python3", ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], { encoding: "utf8" }).trim();

if (!fs.existsSync(bin)) {
  console.error(`no build at ${bin}: run npm run build first`);
  process.exit(2);
}

function countPy(dir) {
  let files = 0;
  let bytes = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "site-packages" || e.name === "__pycache__") continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory() && !e.isSymbolicLink()) {
      const sub = countPy(p);
      files += sub.files;
      bytes += sub.bytes;
    } else if (e.isFile() && e.name.endsWith(".py")) {
      files++;
      bytes += fs.statSync(p).size;
    }
  }
  return { files, bytes };
}

// GNU time, when there, adds the CPU seconds (user + system) and peak RSS of each run: on a
// shared machine the wall time depends on the load, the CPU time much less.
const gnuTime = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

function once(n) {
  const command = [process.execPath, bin, "fix", "--quiet", "--format", "json", "--jobs", String(n), corpus];
  const start = process.hrtime.bigint();
  const r = gnuTime
    ? spawnSync(gnuTime, ["-f", "@@time %U %S %M", ...command], { maxBuffer: 1 << 30 })
    : spawnSync(command[0], command.slice(1), { maxBuffer: 1 << 30 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0 && r.status !== 1 && r.status !== 2) throw new Error(`pyremedy failed (${r.status}): ${r.stderr}`);
  const summary = JSON.parse(r.stdout.toString("utf8")).summary;
  const m = /@@time ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr.toString("utf8"));
  return { seconds, summary, cpu: m ? Number(m[1]) + Number(m[2]) : undefined, rssMB: m ? Number(m[3]) / 1024 : undefined };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const { files, bytes } = countPy(corpus);
console.log(`corpus: ${corpus} (${files} .py files, ${(bytes / 1e6).toFixed(1)} MB; site-packages excluded)`);
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
const times = { 1: [], [jobs]: [] };
const cpus = { 1: [], [jobs]: [] };
let reports = {};
for (let r = 0; r < rounds; r++) {
  for (const n of [1, jobs]) {
    const { seconds, summary, cpu, rssMB } = once(n);
    times[n].push(seconds);
    if (cpu !== undefined) cpus[n].push(cpu);
    reports[n] = JSON.stringify(summary);
    const extra = cpu === undefined ? "" : ` (cpu ${cpu.toFixed(2)} s, peak RSS ${rssMB.toFixed(0)} MB)`;
    console.log(`  round ${r + 1}: --jobs ${n}: ${seconds.toFixed(2)} s${extra}`);
  }
}
if (reports[1] !== reports[jobs]) throw new Error("the summaries differ between --jobs 1 and --jobs " + jobs);
const t1 = median(times[1]);
const tn = median(times[jobs]);
console.log(`median --jobs 1: ${t1.toFixed(2)} s (${(files / t1).toFixed(0)} files/s)`);
console.log(`median --jobs ${jobs}: ${tn.toFixed(2)} s (${(files / tn).toFixed(0)} files/s)`);
console.log(`speed-up: ${(t1 / tn).toFixed(2)}×  (summary: ${reports[1]})`);
if (cpus[1].length) console.log(`median CPU seconds: --jobs 1 ${median(cpus[1]).toFixed(2)}, --jobs ${jobs} ${median(cpus[jobs]).toFixed(2)}`);
console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
