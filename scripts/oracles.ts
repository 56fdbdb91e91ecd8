/**
 * Peers as oracles: after `fix --write`, what do the detectors still report? ruff (its WASM
 * build: E722, S110, S112 with typed-exception checks, S501, S323) and pylint (W0702) are run on
 * a tree before and after, and every finding left afterwards is explained — suppressed, in a
 * skipped file, a typed handler the author wrote (outside narrow-except's scope), a test file
 * verify-ssl leaves alone, or a site the codemod recognised and reported a notice for — or it
 * is `unexplained`, which is what the checks fail on. A finding is matched to its "before" self
 * by the text it covers, so lines moved by an inserted import do not confuse the count, and a
 * finding pyremedy itself introduced never matches anything.
 */
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PositionEncoding, Workspace } from "@astral-sh/ruff-wasm-nodejs";
import { codemods } from "../codemods/index.js";
import { isTestPath } from "../src/python/paths.js";
import { lineSuppresses } from "../src/python/suppress.js";
import type { FileEntry } from "./write-check.js";

export const RUFF_RULES = ["E722", "S110", "S112", "S501", "S323"] as const;

/** Which codemod answers for a peer code (for suppressions and notices). */
const OWNER: Record<string, string> = { E722: "narrow-except", S110: "narrow-except", S112: "narrow-except", W0702: "narrow-except", S501: "verify-ssl", S323: "verify-ssl" };

export interface Finding {
  readonly code: string;
  /** Relative to the tree, `/`-separated. */
  readonly file: string;
  readonly line: number;
  /** The source the finding covers, whitespace-normalised: how it is recognised after lines moved. */
  readonly covers: string;
}

export interface Explained extends Finding {
  readonly why: string;
}

export interface OracleResult {
  readonly tool: string;
  readonly before: Record<string, number>;
  readonly after: Record<string, number>;
  /** Every finding left after the write, with why it is left. */
  readonly remaining: readonly Explained[];
  /** Files the tool could not analyse (before or after). */
  readonly unanalysed: readonly string[];
}

export const UNEXPLAINED = "unexplained";

export function decodeForTools(bytes: Uint8Array): string {
  return new TextDecoder("utf-8").decode(bytes).replace(/^\ufeff/, "");
}

function linesOf(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

function normalise(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

let workspace: Workspace | undefined;

/** ruff's findings of RUFF_RULES in `text` (ruff honours `# noqa` itself). */
export function ruffCheck(text: string, file: string): Finding[] {
  workspace ??= new Workspace({ lint: { select: [...RUFF_RULES], "flake8-bandit": { "check-typed-exception": true } } }, PositionEncoding.Utf16);
  const diagnostics = workspace.check(text) as { code: string | null; start_location: { row: number; column: number }; end_location: { row: number; column: number } }[];
  const lines = linesOf(text);
  return diagnostics
    .filter((d) => d.code && (RUFF_RULES as readonly string[]).includes(d.code))
    .map((d) => {
      const { row: r0, column: c0 } = d.start_location;
      const { row: r1, column: c1 } = d.end_location;
      const span = r0 === r1 ? lines[r0 - 1]!.slice(c0 - 1, c1 - 1) : [lines[r0 - 1]!.slice(c0 - 1), ...lines.slice(r0, r1 - 1), lines[r1 - 1]!.slice(0, c1 - 1)].join("\n");
      return { code: d.code!, file, line: r0, covers: normalise(span) };
    });
}

type Entries = ReadonlyMap<string, FileEntry>;

/** Counts by code. */
function tally(findings: readonly Finding[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of findings) out[f.code] = (out[f.code] ?? 0) + 1;
  return out;
}

/** Is the handler a finding covers a bare or blind `except` (what narrow-except is meant to fix)? */
function coversBareOrBlind(covers: string): boolean {
  const head = /^except\*?\s*([^:]*):/.exec(covers);
  if (!head) return false;
  const types = head[1]!.replace(/\s+as\s+\w+\s*$/, "").replace(/[()]/g, "").split(",").map((t) => t.trim().replace(/^builtins\./, ""));
  return types.every((t) => t === "") || types.some((t) => t === "Exception" || t === "BaseException");
}

/**
 * Why a finding is still there after the write. `before` holds the same tool's findings on the
 * original text of the file (consumed as they are matched); `originalLines`/`workLines` the texts.
 */
function explain(f: Finding, pool: Finding[], workLines: readonly string[], entry: FileEntry | undefined): string {
  const owner = OWNER[f.code];
  const codemod = codemods.find((c) => c.id === owner);
  const line = workLines[f.line - 1] ?? "";
  const matched = pool.findIndex((b) => b.code === f.code && b.covers === f.covers);
  const was = matched >= 0 ? pool.splice(matched, 1)[0] : undefined;
  if (codemod && lineSuppresses(line, codemod.id, codemod.peers)) return `suppressed on its line (${line.slice(line.indexOf("#")).trim()})`;
  if (entry?.status === "skipped") return `file skipped: ${(entry.reason ?? "").replace(/ at \d+:\d+/g, "")}`;
  if (!was) return `${UNEXPLAINED}: not there before the write (introduced by it)`;
  if ((f.code === "S110" || f.code === "S112") && !coversBareOrBlind(f.covers)) {
    return "typed handler written by the author (narrow-except changes bare and blind handlers only)";
  }
  if ((f.code === "S501" || f.code === "S323") && isTestPath(f.file)) return "test code (verify-ssl leaves tests alone unless --include-tests)";
  const notice = entry?.notices?.find((n) => n.codemod === owner && n.line === was.line);
  if (notice) return `${owner} left it: ${notice.message}`;
  return `${UNEXPLAINED}: left by ${owner ?? "?"} without a notice`;
}

function explainAll(tool: string, before: Map<string, Finding[]>, after: Map<string, Finding[]>, work: string, byPath: Entries, unanalysed: string[]): OracleResult {
  const remaining: Explained[] = [];
  for (const [file, findings] of after) {
    const pool = [...(before.get(file) ?? [])];
    const workLines = linesOf(decodeForTools(fs.readFileSync(path.join(work, file))));
    for (const f of findings) remaining.push({ ...f, why: explain(f, pool, workLines, byPath.get(file)) });
  }
  const counts = { before: tally([...before.values()].flat()), after: tally([...after.values()].flat()) };
  for (const code of Object.keys(counts.before)) counts.after[code] ??= 0;
  return { tool, ...counts, remaining, unanalysed };
}

/**
 * ruff before and after. `files` are the tree's Python files; `changed` those the write changed
 * (the others have the same findings on both sides and are checked once).
 */
export function ruffOracle(original: string, work: string, files: readonly string[], changed: readonly string[], entries: Entries): OracleResult {
  const before = new Map<string, Finding[]>();
  const after = new Map<string, Finding[]>();
  const unanalysed: string[] = [];
  const changedSet = new Set(changed);
  for (const file of files) {
    let found: Finding[];
    try {
      found = ruffCheck(decodeForTools(fs.readFileSync(path.join(original, file))), file);
    } catch {
      unanalysed.push(file);
      continue;
    }
    before.set(file, found);
    if (!changedSet.has(file)) after.set(file, found);
  }
  for (const file of changed) {
    try {
      after.set(file, ruffCheck(decodeForTools(fs.readFileSync(path.join(work, file))), file));
    } catch {
      unanalysed.push(file);
    }
  }
  return explainAll("ruff", before, after, work, entries, unanalysed);
}

/** The `pylint` on PATH (Debian's package), or undefined. */
export function pylintVersion(pylint = "pylint"): string | undefined {
  try {
    return execFileSync(pylint, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\n")[0]?.trim();
  } catch {
    return undefined;
  }
}

/** pylint's W0702 findings on `files` (relative to `dir`), in one process. */
export async function pylintW0702(dir: string, files: readonly string[], pylint = "pylint"): Promise<{ findings: Map<string, Finding[]>; unanalysed: string[] }> {
  const findings = new Map<string, Finding[]>();
  if (files.length === 0) return { findings, unanalysed: [] };
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-pylint-"));
  const rc = path.join(scratch, "empty.rc");
  fs.writeFileSync(rc, "");
  const args = [`--rcfile=${rc}`, "--disable=all", "--enable=W0702", "--score=n", "--output-format=json", "--persistent=n", "--", ...files.map((f) => path.join(dir, f))];
  // pylint's exit status is a bit mask of what it found; its report is on stdout either way.
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(pylint, args, { cwd: scratch, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, env: { ...process.env, PYLINTHOME: scratch } }, (err, out) => {
      if (err && typeof err.code !== "number") reject(err);
      else resolve(out);
    });
  }).finally(() => fs.rmSync(scratch, { recursive: true, force: true }));
  const messages = JSON.parse(stdout || "[]") as { path: string; line: number; endLine: number | null; "message-id": string }[];
  const unanalysed = new Set<string>();
  const texts = new Map<string, string[]>();
  for (const m of messages) {
    const file = path.relative(dir, path.resolve(scratch, m.path)).split(path.sep).join("/");
    if (m["message-id"] !== "W0702") {
      if (/^F|E0001/.test(m["message-id"])) unanalysed.add(file);
      continue;
    }
    let lines = texts.get(file);
    if (!lines) texts.set(file, (lines = linesOf(decodeForTools(fs.readFileSync(path.join(dir, file))))));
    const covers = normalise(lines.slice(m.line - 1, Math.max(m.line, m.endLine ?? m.line)).join("\n"));
    const list = findings.get(file) ?? [];
    list.push({ code: "W0702", file, line: m.line, covers });
    findings.set(file, list);
  }
  return { findings, unanalysed: [...unanalysed] };
}

/** A bare `except:` may be there (a superset: comments and strings match too). */
const MAY_BE_BARE = /^[ \t]*except[ \t]*:/m;

/** The files where a bare `except:` may be, before or after (files without one cannot have W0702). */
export function mayHaveBareExcept(original: string, work: string, files: readonly string[]): string[] {
  return files.filter((f) => MAY_BE_BARE.test(fs.readFileSync(path.join(original, f), "latin1")) || MAY_BE_BARE.test(fs.readFileSync(path.join(work, f), "latin1")));
}

/**
 * pylint W0702 before and after, run only where a bare `except:` may be, on the originals and
 * on the written files (two pylint processes, side by side).
 */
export async function pylintOracle(original: string, work: string, files: readonly string[], entries: Entries, pylint = "pylint"): Promise<OracleResult> {
  const candidates = mayHaveBareExcept(original, work, files);
  const [before, after] = await Promise.all([pylintW0702(original, candidates, pylint), pylintW0702(work, candidates, pylint)]);
  return explainAll("pylint", before.findings, after.findings, work, entries, [...new Set([...before.unanalysed, ...after.unanalysed])]);
}

/** Remaining findings grouped by explanation: `{why: {code: count}}`. */
export function byReason(result: OracleResult): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const f of result.remaining) {
    const row = out.get(f.why) ?? {};
    row[f.code] = (row[f.code] ?? 0) + 1;
    out.set(f.why, row);
  }
  return out;
}

export function unexplained(result: OracleResult): Explained[] {
  return result.remaining.filter((f) => f.why.startsWith(UNEXPLAINED));
}
