/**
 * The repository side of secrets-to-env, run once per repository root after its files were
 * processed and before any file that moves a value is written (run.ts holds those writes): with
 * --write, new values go to a git-ignored `.env` (created with mode 0600; an existing entry is
 * never overwritten or duplicated), their names (never values) to `.env.example`, and `.env`
 * into `.gitignore` (before `.env` itself). Every moved value is also looked up in the git
 * history. A preview writes nothing and reports the same facts. Writes are atomic and on disk
 * (write.ts) when this returns; a file that cannot be written is reported and the run goes on.
 * Only a value whose status is `added` or `present` may leave the code (inDotenv).
 */
import fs from "node:fs";
import path from "node:path";
import ignore from "ignore";
import type { EnvEntry } from "../codemod.js";
import type { EnvReport, FileReport } from "./report.js";
import { dotenvMap, formatDotenvLine, parseDotenv } from "../secrets/dotenv.js";
import { projectRootOf } from "./discover.js";
import { scanHistory, type HistoryScan } from "./secret-history.js";
import { createAtomic, syncDir, writeAtomic, WriteError } from "./write.js";

/** A value one file moved to the environment. */
export interface MovedSecret {
  readonly relPath: string;
  readonly entry: EnvEntry;
}

/**
 * What became of one variable: `added` (written to .env), `new` (a preview: --write would add
 * it), `present` (.env already holds this value), `conflict` (.env, or another file of this
 * run, holds a different value under the name), `unwritable` (no .env quoting keeps this value
 * intact), `failed` (.env could not be written). With the last three, .env does not hold the
 * value, so --write leaves the files that move it unchanged.
 */
export type DotenvStatus = "added" | "new" | "present" | "conflict" | "unwritable" | "failed";

/** Is the value on disk in `.env` (so the code may lose it) after --write? */
export function inDotenv(status: DotenvStatus | undefined): boolean {
  return status === "added" || status === "present";
}

export interface EnvVariableOutcome {
  readonly name: string;
  readonly dotenv: DotenvStatus;
  /** Set when the value is in the git history: rotate it. */
  readonly history?: { readonly commit: string; readonly commits: number };
  /** One line for the reader (never holds a value). */
  readonly message?: string;
}

export interface EnvFilesOutcome {
  /** Per variable, in first-seen order. */
  readonly variables: EnvVariableOutcome[];
  /** Files written, relative to the root (`.gitignore`, `.env`, `.env.example`). */
  readonly written: string[];
  /** Files that could not be written, with the reason. */
  readonly failures: { readonly path: string; readonly reason: string }[];
  /** False when the history scan did not finish (or could not run in a git repository). */
  readonly historyComplete: boolean;
}

export interface EnvFilesOptions {
  readonly write: boolean;
  /** Look the values up in the git history (default true). */
  readonly history?: boolean;
  readonly historyTimeoutMs?: number;
}

interface Variable {
  readonly name: string;
  readonly value: string;
  readonly provider?: string;
  readonly files: string[];
  /** Another file of the run moved a different value under this name. */
  clash: boolean;
}

function collect(moved: readonly MovedSecret[]): Variable[] {
  const byName = new Map<string, Variable>();
  for (const { relPath, entry } of moved) {
    const known = byName.get(entry.name);
    if (!known) {
      byName.set(entry.name, { name: entry.name, value: entry.value, ...(entry.provider ? { provider: entry.provider } : {}), files: [relPath], clash: false });
      continue;
    }
    if (known.value !== entry.value) known.clash = true;
    if (!known.files.includes(relPath)) known.files.push(relPath);
  }
  return [...byName.values()];
}

class NotRegular extends Error {}

/** A file's bytes, or undefined when absent. Never follows a symlink: these files hold secrets. */
function readRegular(abs: string): Buffer | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  if (!stat.isFile()) throw new NotRegular(`${path.basename(abs)} is not a regular file; not written`);
  return fs.readFileSync(abs);
}

/** Append `lines` to `abs` (created with `mode` when absent), keeping its line endings. */
function appendLines(abs: string, before: Buffer | undefined, lines: readonly string[], mode: number): void {
  if (before === undefined) {
    createAtomic(abs, Buffer.from(lines.map((l) => `${l}\n`).join(""), "utf8"), mode);
    return;
  }
  const text = before.toString("utf8");
  const eol = /\r\n/.test(text) ? "\r\n" : "\n";
  const sep = text.length > 0 && !/[\r\n]$/.test(text) ? eol : "";
  writeAtomic(abs, before, Buffer.from(text + sep + lines.map((l) => `${l}${eol}`).join(""), "utf8"));
}

/** Is `.env` at `root` ignored by the .gitignore files from the repository top down to `root`? */
function dotenvIgnored(root: string): boolean {
  const top = projectRootOf(root);
  const dirs: string[] = [];
  for (let d = root; ; d = path.dirname(d)) {
    dirs.unshift(d);
    if (d === top || path.dirname(d) === d) break;
  }
  let ignored = false;
  for (const dir of dirs) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, ".gitignore"), "utf8");
    } catch {
      continue;
    }
    const rel = path.relative(dir, path.join(root, ".env")).split(path.sep).join("/");
    const r = ignore().add(text).test(rel);
    if (r.ignored) ignored = true;
    if (r.unignored) ignored = false;
  }
  return ignored;
}

function reason(err: unknown): string {
  if (err instanceof WriteError || err instanceof NotRegular) return err.message;
  return `write failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
}

function historyOf(scan: HistoryScan | undefined, value: string): EnvVariableOutcome["history"] {
  const hit = scan?.hits.get(value);
  return hit ? { commit: hit.commit.slice(0, 12), commits: hit.commits } : undefined;
}

/**
 * Settle the environment files of one repository root after all of its files were processed.
 * `moved` holds the env entries of the changes kept (with --write: written), in file order.
 */
export async function settleEnvFiles(root: string, moved: readonly MovedSecret[], options: EnvFilesOptions): Promise<EnvFilesOutcome> {
  try {
    return await settle(root, moved, options);
  } catch (err) {
    // A bug here must not lose the run's report: say so, keep going.
    return { variables: [], written: [], failures: [{ path: ".env", reason: `internal error: ${(err as Error).message}` }], historyComplete: false };
  }
}

async function settle(root: string, moved: readonly MovedSecret[], options: EnvFilesOptions): Promise<EnvFilesOutcome> {
  const variables = collect(moved);
  const written: string[] = [];
  const failures: { path: string; reason: string }[] = [];
  if (variables.length === 0) return { variables: [], written, failures, historyComplete: true };

  const history = options.history === false ? undefined : await scanHistory(root, variables.map((v) => v.value), { timeoutMs: options.historyTimeoutMs });
  const envPath = path.join(root, ".env");
  let envBytes: Buffer | undefined;
  let envUnreadable: string | undefined;
  try {
    envBytes = readRegular(envPath);
  } catch (err) {
    envUnreadable = reason(err);
  }
  const existing = dotenvMap(envBytes?.toString("utf8"));

  const status = new Map<string, { dotenv: DotenvStatus; message?: string }>();
  const toAdd: Variable[] = [];
  for (const v of variables) {
    const held = existing.get(v.name);
    if (v.clash) status.set(v.name, { dotenv: "conflict", message: `several files moved different values under ${v.name}; .env cannot hold them all, so their literals stay in the code: give them distinct names` });
    else if (held === v.value) status.set(v.name, { dotenv: "present" });
    else if (held !== undefined) status.set(v.name, { dotenv: "conflict", message: `.env already sets ${v.name} to a different value; it was kept and the literal stays in the code: check which one is right` });
    else if (formatDotenvLine(v.name, v.value) === undefined) status.set(v.name, { dotenv: "unwritable", message: `no .env quoting keeps this value intact, so the literal stays in the code: move it to ${v.name} by hand` });
    else if (envUnreadable) status.set(v.name, { dotenv: "failed", message: `.env: ${envUnreadable}` });
    else {
      status.set(v.name, { dotenv: options.write ? "added" : "new" });
      toAdd.push(v);
    }
  }

  if (options.write && envUnreadable && variables.some((v) => status.get(v.name)!.dotenv === "failed")) {
    failures.push({ path: ".env", reason: envUnreadable });
  }
  if (options.write && toAdd.length > 0) {
    let ignoredOk = true;
    try {
      if (!dotenvIgnored(root)) {
        const gi = path.join(root, ".gitignore");
        appendLines(gi, readRegular(gi), ["# Local secrets (pyremedy secrets-to-env)", ".env"], 0o644);
        written.push(".gitignore");
      }
    } catch (err) {
      ignoredOk = false;
      failures.push({ path: ".gitignore", reason: reason(err) });
    }
    if (!ignoredOk) {
      // Never write secrets to a file git would pick up.
      for (const v of toAdd) status.set(v.name, { dotenv: "failed", message: ".env is not git-ignored and .gitignore could not be updated; nothing written" });
    } else {
      try {
        // Re-read: nothing may have changed since the names were checked.
        const now = readRegular(envPath);
        const unchanged = now === undefined ? envBytes === undefined : envBytes !== undefined && now.equals(envBytes);
        if (!unchanged) {
          throw new WriteError(".env changed during the run; not written");
        }
        const lines = toAdd.map((v) => formatDotenvLine(v.name, v.value)!);
        appendLines(envPath, envBytes, lines, 0o600);
        // The files that move these values are written next: the new .env must survive a crash first.
        syncDir(root);
        written.push(".env");
      } catch (err) {
        failures.push({ path: ".env", reason: reason(err) });
        for (const v of toAdd) status.set(v.name, { dotenv: "failed", message: `.env: ${reason(err)}` });
      }
    }
  }

  if (options.write) {
    const examplePath = path.join(root, ".env.example");
    const documented = variables.filter((v) => ["added", "present"].includes(status.get(v.name)!.dotenv));
    try {
      const before = readRegular(examplePath);
      const listed = new Set(parseDotenv(before?.toString("utf8") ?? "").map((e) => e.name));
      const lines = documented
        .filter((v) => !listed.has(v.name))
        .flatMap((v) => [`# ${v.files.join(", ")}${v.provider ? ` (${v.provider})` : ""}: moved out of the code by pyremedy secrets-to-env`, `${v.name}=`]);
      if (lines.length > 0) {
        appendLines(examplePath, before, lines, 0o644);
        written.push(".env.example");
      }
    } catch (err) {
      failures.push({ path: ".env.example", reason: reason(err) });
    }
  }

  const outcomes = variables.map((v): EnvVariableOutcome => {
    const s = status.get(v.name)!;
    const hist = historyOf(history, v.value);
    return { name: v.name, dotenv: s.dotenv, ...(hist ? { history: hist } : {}), ...(s.message ? { message: s.message } : {}) };
  });
  return { variables: outcomes, written, failures, historyComplete: history?.complete ?? false };
}

/** The report fields of variable `name` (for RunReport.env). */
export function envStatus(outcome: EnvFilesOutcome | undefined, name: string): Pick<EnvReport, "dotenv" | "history" | "message"> {
  const v = outcome?.variables.find((x) => x.name === name);
  if (!v) return {};
  return { dotenv: v.dotenv, ...(v.history ? { history: v.history } : {}), ...(v.message ? { message: v.message } : {}) };
}

/** The environment files that could not be written, as failed file reports of `repo`. */
export function envFileFailures(repo: string, outcome: EnvFilesOutcome | undefined): FileReport[] {
  return (outcome?.failures ?? []).map((f) => ({ repo, path: f.path, status: "failed" as const, reason: f.reason, changes: [], notices: [] }));
}
