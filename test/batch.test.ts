/**
 * Batch runs: the repository list (--repos, --shard), several repositories in one run, a
 * missing one, worker threads giving the same report as one thread, and the progress bar.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { codemods } from "../codemods/index.js";
import { dedupeRepos, parseRepoList, parseShard, readRepoList, selectRepos, shardOf, BatchError } from "../src/engine/batch.js";
import { progressBar, wantsProgress } from "../src/engine/progress.js";
import { runFix } from "../src/engine/run.js";
import { createExecutor, setWorkerEntry } from "../src/engine/workers.js";
import { renderHtml } from "../src/reports/html.js";
import { renderJson } from "../src/reports/json.js";
import { renderPatch } from "../src/reports/patch.js";
import { renderSarif } from "../src/reports/sarif.js";
import { renderText } from "../src/reports/text.js";
import { useFreshWorkers } from "./build.js";
import { FIXTURES, setup } from "./helpers.js";
import { runCli, type CliRun } from "./run-cli.js";

beforeAll(async () => {
  await setup();
  useFreshWorkers();
});

const SAMPLES = ["ticket-bot", "geodata", "billing-service"];

/** The sample repositories copied to a temp dir, which becomes the working directory's stand-in. */
function sampleWorkspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-batch-"));
  fs.cpSync(path.join(FIXTURES, "sample-repos"), dir, { recursive: true });
  return dir;
}


const cli = (args: string[], cwd: string, stderrTTY = false): Promise<CliRun> => runCli(args, { cwd, stderrTTY });

describe("repository lists", () => {
  it("parses one path per line, skipping blanks and # comments", () => {
    const text = "# fleet\n\nsvc/a\n  svc/b  \r\nsvc/c # the old one\n#svc/d\nweird#name\n";
    expect(parseRepoList(text)).toEqual(["svc/a", "svc/b", "svc/c", "weird#name"]);
  });

  it("reads relative entries relative to the list file, reported from the working directory", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-list-"));
    fs.mkdirSync(path.join(dir, "lists"));
    fs.writeFileSync(path.join(dir, "lists", "repos.txt"), "../svc/a\n/abs/b\n");
    expect(readRepoList("lists/repos.txt", dir)).toEqual(["svc/a", "/abs/b"]);
    expect(() => readRepoList("nope.txt", dir)).toThrow(BatchError);
  });

  it("names each repository once, at its first place", () => {
    expect(dedupeRepos(["a", "./a/", "b", "a"], "/w")).toEqual(["a", "b"]);
  });

  it("parses K/N and rejects anything else", () => {
    expect(parseShard("2/5")).toEqual({ index: 2, count: 5 });
    for (const bad of ["0/3", "4/3", "1/0", "x/2", "2", "-1/2", "1.5/3"]) expect(() => parseShard(bad), bad).toThrow(BatchError);
  });

  it("shards are disjoint, cover the list, are balanced, and stable when the list grows", () => {
    const list = Array.from({ length: 23 }, (_, i) => `repo-${i}`);
    for (let n = 1; n <= 7; n++) {
      const slices = Array.from({ length: n }, (_, k) => shardOf(list, { index: k + 1, count: n }));
      expect(slices.flat().sort()).toEqual([...list].sort());
      expect(new Set(slices.flat()).size).toBe(list.length);
      const sizes = slices.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      const grown = [...list, "repo-new-1", "repo-new-2"];
      slices.forEach((slice, k) => expect(shardOf(grown, { index: k + 1, count: n }).slice(0, slice.length)).toEqual(slice));
    }
  });

  it("combines command-line paths and the list, then shards", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-list-"));
    fs.writeFileSync(path.join(dir, "repos.txt"), "b\nc\n# d\nd\na\n");
    expect(selectRepos({ positional: ["a"], reposFile: "repos.txt" }, dir)).toEqual(["a", "b", "c", "d"]);
    expect(selectRepos({ positional: ["a"], reposFile: "repos.txt", shard: "2/2" }, dir)).toEqual(["b", "d"]);
    expect(selectRepos({ positional: [] }, dir)).toEqual(["."]);
    fs.writeFileSync(path.join(dir, "empty.txt"), "# nothing yet\n");
    expect(() => selectRepos({ positional: [], reposFile: "empty.txt" }, dir)).toThrow(/lists no repository/);
  });
});

describe("several repositories in one run", () => {
  it("groups files by repository in the order given, counts repos, and a missing one fails alone", async () => {
    const ws = sampleWorkspace();
    const paths = [...SAMPLES.map((s) => path.join(ws, s)), path.join(ws, "no-such-repo")];
    const report = await runFix({ paths, codemods, jobs: 2 });
    expect(report.summary.repos).toBe(4);
    expect(report.repos).toEqual(paths);
    const order = report.files.map((f) => f.repo);
    expect(order).toEqual([...order].sort((a, b) => paths.indexOf(a) - paths.indexOf(b)));
    for (const repo of paths.slice(0, 3)) expect(report.files.some((f) => f.repo === repo && f.status === "changed")).toBe(true);
    const missing = report.files.filter((f) => f.repo === paths[3]);
    expect(missing).toMatchObject([{ path: "", status: "failed" }]);
    expect(missing[0]!.reason).toMatch(/ENOENT/);
    expect(report.summary.filesFailed).toBe(1);
  });

  it("the CLI reads --repos, shards it, prints a per-repo table, and exits 2 for a missing repo", async () => {
    const ws = sampleWorkspace();
    fs.writeFileSync(path.join(ws, "fleet.txt"), "# our services\nticket-bot\ngeodata\nbilling-service\ngone\n");
    const all = await cli(["fix", "--repos", "fleet.txt", "--jobs", "2"], ws);
    expect(all.code).toBe(2);
    const table = all.stdout.slice(all.stdout.lastIndexOf("\nrepo "));
    for (const repo of [...SAMPLES, "gone"]) expect(table).toMatch(new RegExp(`\\n${repo} +\\d+ +\\d+ +\\d+`));
    expect(table).toMatch(/\ngone +0 +0 +1/);
    expect(all.stdout).toContain("4 repos)");
    expect(all.stderr).toBe(""); // stderr is not a terminal: no progress bar

    const shard1 = JSON.parse((await cli(["fix", "--repos", "fleet.txt", "--shard", "1/2", "--format", "json"], ws)).stdout);
    const shard2 = JSON.parse((await cli(["fix", "--repos", "fleet.txt", "--shard", "2/2", "--format", "json"], ws)).stdout);
    const repos = (r: { files: { repo: string }[] }): string[] => [...new Set(r.files.map((f) => f.repo))];
    expect(repos(shard1)).toEqual(["ticket-bot", "billing-service"]);
    expect(repos(shard2)).toEqual(["geodata", "gone"]);
    expect(shard1.summary.repos + shard2.summary.repos).toBe(4);
  });

  it("each repository keeps its own configuration, in one run, in the order given", async () => {
    const ws = sampleWorkspace();
    fs.appendFileSync(path.join(ws, "geodata", "pyproject.toml"), '\n[tool.pyremedy]\nselect = ["verify-ssl"]\n');
    const runs = [];
    for (const jobs of ["1", "2"]) {
      const r = await cli(["fix", "--format", "json", "--jobs", jobs, "ticket-bot", "geodata", "billing-service"], ws);
      expect(r.code).toBe(1);
      runs.push(r.stdout);
    }
    expect(runs[1]).toBe(runs[0]);
    const report = JSON.parse(runs[0]!);
    expect([...new Set(report.files.map((f: { repo: string }) => f.repo))]).toEqual(["ticket-bot", "geodata", "billing-service"]);
    const codemodsIn = (repo: string): Set<string> =>
      new Set(report.files.filter((f: { repo: string }) => f.repo === repo).flatMap((f: { changes?: { codemod: string }[] }) => (f.changes ?? []).map((c) => c.codemod)));
    expect([...codemodsIn("geodata")]).toEqual(["verify-ssl"]);
    expect(codemodsIn("billing-service").size).toBeGreaterThan(1);
  });

  it("a repository's .env failure is reported with that repository's files", async () => {
    const ws = sampleWorkspace();
    fs.mkdirSync(path.join(ws, "ticket-bot", ".env")); // a directory: .env cannot be written
    const paths = SAMPLES.map((s) => path.join(ws, s));
    const report = await runFix({ paths, codemods, jobs: 2, write: true });
    const failure = report.files.findIndex((f) => f.repo === paths[0] && f.path === ".env" && f.status === "failed");
    expect(failure).toBeGreaterThan(0);
    const repos = report.files.map((f) => paths.indexOf(f.repo));
    expect(repos).toEqual([...repos].sort((a, b) => a - b));
  });

  it("rejects bad --jobs and --shard values as usage errors", async () => {
    const ws = sampleWorkspace();
    for (const args of [["--jobs", "0"], ["--jobs", "two"], ["--shard", "3/2"], ["--repos", "missing.txt"]]) {
      const r = await cli(["fix", ...args, "ticket-bot"], ws);
      expect(r.code, args.join(" ")).toBeGreaterThan(0);
      expect(r.stdout + r.stderr).toMatch(/Usage Error/);
      expect(r.stdout + r.stderr).toMatch(/--jobs|--shard|--repos/);
    }
  });

  it("--output creates parent directories and leaves only the summary on stdout", async () => {
    const ws = sampleWorkspace();
    const r = await cli(["fix", "--format", "json", "--output", "out/deep/report.json", ...SAMPLES], ws);
    expect(r.code).toBe(1);
    const report = JSON.parse(fs.readFileSync(path.join(ws, "out/deep/report.json"), "utf8"));
    expect(report.summary.repos).toBe(3);
    expect(r.stdout).not.toContain("---");
    expect(r.stdout).toMatch(/^repo +changed/);
    expect(r.stdout.trim().split("\n").at(-2)).toMatch(/changes in \d+ files would change \(\d+ scanned/);
  });
});

describe("worker threads", () => {
  it("a pool of two workers gives the same outcomes as this thread", async () => {
    const root = path.join(FIXTURES, "sample-repos", "ticket-bot");
    const files = ["bot/helpdesk.py", "bot/main.py", "bot/__init__.py"];
    const options = { settings: [{ codemods }], maxBytes: 1 << 21 };
    const pool = await createExecutor(2, files.length, options);
    const local = await createExecutor(1, files.length, options);
    try {
      expect(pool.workers).toBe(2);
      expect(local.workers).toBe(1);
      for (const relPath of files) {
        const bytes = fs.readFileSync(path.join(root, relPath));
        const [a, b] = await Promise.all([pool.run({ root, relPath, bytes, settings: 0 }), local.run({ root, relPath, bytes, settings: 0 })]);
        expect({ ...a, output: a.output && Buffer.from(a.output) }).toEqual({ ...b, output: b.output && Buffer.from(b.output) });
        expect(Buffer.from(bytes)).toEqual(fs.readFileSync(path.join(root, relPath))); // the caller's bytes are its own
      }
    } finally {
      await pool.close();
      await local.close();
    }
  });

  it("a crashed worker fails only the file it was on; the pool starts a new one and goes on", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-crash-"));
    const entry = path.join(dir, "worker.mjs");
    fs.writeFileSync(entry, [
      'import { parentPort } from "node:worker_threads";',
      "parentPort.on('message', (t) => {",
      "  if (t.relPath === 'crash.py') process.exit(3);",
      "  parentPort.postMessage({ id: t.id, outcome: { status: 'unchanged', changes: [], notices: [] } });",
      "});",
    ].join("\n"));
    setWorkerEntry(pathToFileURL(entry));
    const pool = await createExecutor(2, 10, { settings: [{ codemods }], maxBytes: 1 << 21 });
    try {
      expect(pool.workers).toBe(2);
      // A file that must be parsed: one nothing may change is answered in this thread, without a worker.
      const task = (relPath: string) => pool.run({ root: dir, relPath, bytes: Buffer.from("try:\n    x()\nexcept:\n    pass\n"), settings: 0 });
      const outcomes = await Promise.all(["a.py", "crash.py", "b.py", "c.py", "d.py"].map(task));
      expect(outcomes[1]).toMatchObject({ status: "failed", reason: "internal error: worker exited with code 3" });
      expect(outcomes.filter((o) => o.status === "unchanged")).toHaveLength(4); // queued behind it: retried
      expect((await Promise.all(["e.py", "f.py", "g.py"].map(task))).map((o) => o.status)).toEqual(["unchanged", "unchanged", "unchanged"]);
    } finally {
      await pool.close();
      useFreshWorkers();
    }
  });

  it("a worker that dies at start-up is started at most three times; the files go to this thread", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-crash-"));
    const starts = path.join(dir, "starts.log");
    const entry = path.join(dir, "worker.mjs");
    fs.writeFileSync(entry, [
      'import fs from "node:fs";',
      `fs.appendFileSync(${JSON.stringify(starts)}, "start\\n");`,
      "process.exit(4);",
    ].join("\n"));
    setWorkerEntry(pathToFileURL(entry));
    const pool = await createExecutor(2, 20, { settings: [{ codemods }], maxBytes: 1 << 21 });
    try {
      const source = Buffer.from("try:\n    x()\nexcept:\n    pass\n");
      const names = Array.from({ length: 12 }, (_, i) => `f${i}.py`);
      const outcomes = await Promise.all(names.map((relPath) => pool.run({ root: dir, relPath, bytes: source, settings: 0 })));
      const failed = outcomes.filter((o) => o.status === "failed");
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.length).toBeLessThanOrEqual(3);
      for (const f of failed) expect(f.reason).toMatch(/worker exited with code 4/);
      // The others were processed all the same, by this thread.
      expect(outcomes.filter((o) => o.status === "changed")).toHaveLength(names.length - failed.length);
      expect(fs.readFileSync(starts, "utf8").trim().split("\n").length).toBeLessThanOrEqual(3);
    } finally {
      await pool.close();
      useFreshWorkers();
    }
  });

  it("--jobs 1, 2 and 3 give byte-identical reports in every format", async () => {
    const ws = sampleWorkspace();
    const paths = [...SAMPLES, "missing"].map((s) => path.join(ws, s));
    const rendered = async (jobs: number): Promise<Record<string, string>> => {
      const report = await runFix({ paths, codemods, jobs });
      return {
        json: renderJson(report),
        text: renderText(report, { color: false }),
        sarif: renderSarif(report, codemods, ws),
        patch: Buffer.from(renderPatch(report, ws)).toString("latin1"),
        html: renderHtml(report),
      };
    };
    const one = await rendered(1);
    expect(one.patch).toContain("+++ b/");
    expect(await rendered(2)).toEqual(one);
    expect(await rendered(3)).toEqual(one);
    const viaCli = await cli(["fix", "--jobs", "2", ...SAMPLES, "missing"], ws);
    expect(viaCli.code).toBe(2);
    expect(viaCli.stdout).toBe((await cli(["fix", "--jobs", "1", ...SAMPLES, "missing"], ws)).stdout);
  });

  it("--write with workers writes the same files as with one thread", async () => {
    const a = sampleWorkspace();
    const b = sampleWorkspace();
    const ra = await runFix({ paths: SAMPLES.map((s) => path.join(a, s)), codemods, jobs: 1, write: true });
    const rb = await runFix({ paths: SAMPLES.map((s) => path.join(b, s)), codemods, jobs: 2, write: true });
    expect(ra.summary.filesChanged).toBeGreaterThan(0);
    const strip = (r: typeof ra, dir: string): string => renderJson(r).split(dir).join("<ws>");
    expect(strip(rb, b)).toBe(strip(ra, a));
    for (const f of ra.files.filter((f) => f.status === "changed")) {
      const rel = path.relative(a, path.join(f.repo, f.path));
      expect(fs.readFileSync(path.join(b, rel)), rel).toEqual(fs.readFileSync(path.join(a, rel)));
    }
  });
});

describe("progress", () => {
  it("draws files done / total and the current repository on a terminal", () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
    let out = "";
    stream.on("data", (d) => (out += d));
    const bar = progressBar(stream);
    bar.start(3);
    for (const repo of ["svc/a", "svc/a", "svc/b"]) bar.advance(repo);
    bar.stop();
    expect(out).toContain("0/3 files");
    expect(out).toContain("3/3 files");
    expect(out).toContain("svc/b");
  });

  it("only on a terminal, and never with --quiet", async () => {
    expect(wantsProgress(Object.assign(new PassThrough(), { isTTY: true }), false)).toBe(true);
    expect(wantsProgress(Object.assign(new PassThrough(), { isTTY: true }), true)).toBe(false);
    expect(wantsProgress(new PassThrough(), false)).toBe(false);
    const ws = sampleWorkspace();
    const tty = await cli(["fix", "--format", "json", ...SAMPLES], ws, true);
    expect(tty.stderr).toMatch(/\d+\/\d+ files/);
    expect(() => JSON.parse(tty.stdout)).not.toThrow(); // the bar never reaches the report
    const quiet = await cli(["fix", "--format", "json", "--quiet", ...SAMPLES], ws, true);
    expect(quiet.stderr).toBe("");
    expect(quiet.stdout).toBe(tty.stdout);
  });
});
