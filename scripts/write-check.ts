/**
 * What `fix --write` must never do to a tree, checked from the outside through the built CLI:
 * fail a file, break a file that compiled, touch a file it did not report as changed, or leave
 * anything for a second run to change. Used by `npm run check:stdlib` on the whole standard
 * library and by test/stdlib-sample.test.ts on a sample of it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The package root (this file runs from scripts/ and from dist/scripts/). */
export const PACKAGE_ROOT = ((): string => {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(dir, "codemods"))) return dir;
    if (path.dirname(dir) === dir) throw new Error("package root not found");
  }
})();

export const CLI = path.join(PACKAGE_ROOT, "dist", "src", "cli", "main.js");

/** The parts of the JSON report (DESIGN.md) the checks read. */
export interface JsonReport {
  readonly summary: {
    readonly filesScanned: number;
    readonly filesChanged: number;
    readonly filesSkipped: number;
    readonly filesFailed: number;
    readonly changes: number;
    readonly byCodemod: Record<string, number>;
  };
  readonly files: readonly {
    readonly repo: string;
    readonly path: string;
    readonly status: "changed" | "unchanged" | "skipped" | "failed";
    readonly reason?: string;
    readonly changes?: readonly { readonly codemod: string; readonly line: number }[];
    readonly notices?: readonly { readonly codemod: string; readonly line: number; readonly message: string }[];
  }[];
  readonly env: readonly unknown[];
}

export type FileEntry = JsonReport["files"][number];

/** The report's files by their path relative to `tree` (reports give paths relative to each repository). */
export function entriesByTreePath(report: JsonReport, tree: string): Map<string, FileEntry> {
  return new Map(report.files.map((f) => [path.relative(tree, path.resolve(f.repo, f.path)).split(path.sep).join("/"), f]));
}

export interface CliRun {
  readonly code: number | null;
  readonly report: JsonReport;
  readonly stderr: string;
  readonly ms: number;
}

/** `pyremedy fix --format json ...args` through the built binary; the report goes through a file outside the tree. */
export function runCli(args: readonly string[], cli = CLI): CliRun {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-report-")), "report.json");
  const started = Date.now();
  const r = spawnSync(process.execPath, [cli, "fix", "--format", "json", "--output", out, "--quiet", ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const ms = Date.now() - started;
  if (r.error) throw r.error;
  let report: JsonReport;
  try {
    report = JSON.parse(fs.readFileSync(out, "utf8")) as JsonReport;
  } catch {
    throw new Error(`pyremedy fix ${args.join(" ")} exited ${r.status} without a report:\n${r.stderr}${r.stdout}`);
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
  return { code: r.status, report, stderr: r.stderr, ms };
}

/** sha256 of every file below `dir`, by relative `/` path. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(child);
      else out.set(child, e.isFile() ? crypto.createHash("sha256").update(fs.readFileSync(path.join(dir, child))).digest("hex") : `${e.isSymbolicLink() ? "link" : "special"}`);
    }
  };
  walk("");
  return out;
}

/**
 * Compile every file with python3, in one process, the way py_compile does (the bytes, decoded
 * per PEP 263, compiled without inheriting flags; no .pyc written). Returns the error per file
 * (`null`: compiles).
 */
export function compileAll(files: readonly string[], python = "python3"): Map<string, string | null> {
  if (files.length === 0) return new Map();
  const program = [
    "import json, sys, warnings",
    "warnings.simplefilter('ignore')",
    "out = {}",
    "for path in sys.stdin.buffer.read().decode('utf-8', 'surrogateescape').split('\\0'):",
    "    if not path: continue",
    "    try:",
    "        with open(path, 'rb') as f: compile(f.read(), path, 'exec', dont_inherit=True)",
    "        out[path] = None",
    "    except Exception as e:  # SyntaxError, ValueError (NUL bytes), UnicodeDecodeError, RecursionError, MemoryError",
    "        out[path] = f'{type(e).__name__}: {getattr(e, \"msg\", e)} (line {getattr(e, \"lineno\", \"?\")})'",
    "sys.stdout.write(json.dumps(out))",
  ].join("\n");
  const stdout = execFileSync(python, ["-I", "-B", "-c", program], { input: files.join("\0"), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const parsed = JSON.parse(stdout) as Record<string, string | null>;
  return new Map(files.map((f) => [f, parsed[f] ?? null]));
}

export interface WriteCheckOptions {
  /** Extra arguments for both runs (`--select`, `--jobs`, ...). */
  readonly args?: readonly string[];
  /** What to run on, relative to the tree (default: the tree itself), e.g. several repositories. */
  readonly targets?: readonly string[];
  readonly cli?: string;
  readonly python?: string;
}

export interface WriteCheck {
  /** Everything that went wrong; empty means the tree passed. */
  readonly problems: string[];
  readonly first: CliRun;
  readonly second: CliRun;
  readonly files: number;
  /** Files whose bytes the write changed. */
  readonly changed: readonly string[];
  /** Changed files that compiled before, and all still compile. */
  readonly compiledBefore: number;
  /** Changed files that did not compile before (not judged by compiling). */
  readonly notCompilingBefore: readonly string[];
  /** The first run's files, by path relative to the tree. */
  readonly entries: ReadonlyMap<string, FileEntry>;
  /** Skipped files, all byte-identical, by reason. */
  readonly skipped: readonly { readonly path: string; readonly reason: string }[];
  /** Files the write created (secrets-to-env's .env, .env.example, .gitignore). */
  readonly created: readonly string[];
}

/** Files secrets-to-env may create at a repository root. */
const MAY_CREATE = new Set([".env", ".env.example", ".gitignore"]);

/**
 * Run `fix --write` on `work` (a copy of `original`, which stays untouched) and check the result:
 * 0 failed files; every file reported changed was rewritten and, if it compiled before, still
 * compiles; every other file (skipped, unchanged, never discovered) is byte-identical; a second
 * run (a preview) finds nothing to change and fails nothing.
 */
export function checkWrite(original: string, work: string, options: WriteCheckOptions = {}): WriteCheck {
  const problems: string[] = [];
  const args = options.args ?? [];
  const before = snapshot(work);
  const targets = (options.targets ?? ["."]).map((t) => path.join(work, t));
  const first = runCli(["--write", ...args, ...targets], options.cli);
  const after = snapshot(work);
  const report = first.report;

  if (report.summary.filesFailed > 0 || first.code !== 0) {
    problems.push(`first run: exit ${first.code}, ${report.summary.filesFailed} failed file(s)`);
  }
  for (const [rel, f] of entriesByTreePath(report, work)) if (f.status === "failed") problems.push(`failed: ${rel}: ${f.reason}`);

  const status = entriesByTreePath(report, work);
  const changed: string[] = [];
  for (const [rel, hash] of before) {
    const now = after.get(rel);
    const entry = status.get(rel);
    if (now === undefined) problems.push(`deleted: ${rel}`);
    else if (now !== hash) {
      changed.push(rel);
      if (entry?.status !== "changed") problems.push(`modified but reported ${entry?.status ?? "nowhere"}: ${rel}`);
    } else if (entry?.status === "changed") problems.push(`reported changed but not written: ${rel}`);
  }
  const created = [...after.keys()].filter((rel) => !before.has(rel));
  for (const rel of created) if (!MAY_CREATE.has(path.posix.basename(rel))) problems.push(`created: ${rel}`);

  const py = changed.filter((rel) => rel.endsWith(".py"));
  const compiled = compileAll([...py.map((rel) => path.join(original, rel)), ...py.map((rel) => path.join(work, rel))], options.python);
  let compiledBefore = 0;
  const notCompilingBefore: string[] = [];
  for (const rel of py) {
    if (compiled.get(path.join(original, rel)) !== null) {
      notCompilingBefore.push(rel);
      continue;
    }
    compiledBefore++;
    const error = compiled.get(path.join(work, rel));
    if (error !== null) problems.push(`no longer compiles: ${rel}: ${error}`);
  }

  const second = runCli([...args, ...targets], options.cli);
  if (second.report.summary.changes !== 0 || second.report.summary.filesChanged !== 0) {
    const again = second.report.files.filter((f) => f.status === "changed").map((f) => `${f.path} (${(f.changes ?? []).map((c) => `${c.codemod}@${c.line}`).join(", ")})`);
    problems.push(`second run: ${second.report.summary.changes} more change(s): ${again.join("; ")}`);
  }
  if (second.report.summary.filesFailed > 0) problems.push(`second run: ${second.report.summary.filesFailed} failed file(s)`);
  if (second.code !== 0) problems.push(`second run: exit ${second.code}`);
  const untouched = snapshot(work);
  if ([...untouched].some(([rel, hash]) => after.get(rel) !== hash) || untouched.size !== after.size) problems.push("second run (a preview) changed files");

  const skipped = [...status].filter(([, f]) => f.status === "skipped").map(([rel, f]) => ({ path: rel, reason: f.reason ?? "" }));
  return { problems, first, second, files: before.size, changed, compiledBefore, notCompilingBefore, entries: status, skipped, created };
}
