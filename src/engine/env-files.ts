/**
 * The repository side of secrets-to-env, run once per repository root after its files were
 * processed and before any file that moves a value is written (run.ts holds those writes): with
 * --write, new values go to a git-ignored `.env` (or secrets-to-env's `env-file`; created with
 * mode 0600; an existing entry is never overwritten or duplicated), their names (never values)
 * to the `.env.example` beside it, and the env file into `.gitignore` (before the env file
 * itself). Every moved value is also looked up in the git history, unless that is turned off
 * (option `history`, `fix --no-history`). A preview writes nothing and reports the same facts. Writes are atomic and on disk
 * (write.ts) when this returns; a file that cannot be written is reported and the run goes on.
 * Only a value whose status is `added` or `present` may leave the code (inDotenv).
 */
import fs from "node:fs";
import path from "node:path";
import ignore from "ignore";
import type { EnvEntry } from "../codemod.js";
import type { EnvReport, FileReport } from "./report.js";
import { dotenvMap, formatDotenvLine, parseDotenv } from "../secrets/dotenv.js";
import { envExampleOf, secretsSettings } from "../secrets/options.js";
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
  /** What the history scan covered. */
  readonly history: HistoryState;
  /** The env file, relative to the root (`.env` unless configured). */
  readonly envFile: string;
}

/**
 * `checked`: the whole history was searched; `off`: the scan was turned off; `incomplete`: it
 * stopped early (time limit, git failed), so a value not found may still be there; `none`: not
 * a git repository, or nothing to look for.
 */
export type HistoryState = "checked" | "off" | "incomplete" | "none";

export interface EnvFilesOptions {
  readonly write: boolean;
  /** Look the values up in the git history (default true). */
  readonly history?: boolean;
  readonly historyTimeoutMs?: number;
  /** Where the values go, relative to the root, with `/` (default `.env`); `.env.example` goes beside it. */
  readonly envFile?: string;
}

/** The repository step's settings from a repository's codemod options (secrets-to-env's `env-file`, `history`). */
export function envFilesSettings(codemodOptions: Readonly<Record<string, unknown>> | undefined): Pick<EnvFilesOptions, "envFile" | "history"> {
  return secretsSettings(codemodOptions);
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

/** Is the env file (`envFile` below `root`) ignored by the .gitignore files from the repository top down to its directory? */
function dotenvIgnored(root: string, envFile: string): boolean {
  const top = projectRootOf(root);
  const envPath = path.join(root, envFile);
  const dirs: string[] = [];
  for (let d = path.dirname(envPath); ; d = path.dirname(d)) {
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
    const rel = path.relative(dir, envPath).split(path.sep).join("/");
    const r = ignore().add(text).test(rel);
    if (r.ignored) ignored = true;
    if (r.unignored) ignored = false;
  }
  return ignored;
}

/**
 * Create the directories of a configured env file below `root` when missing (synced, like the
 * file), refusing one that leads outside the root (a symlink): secrets go only where asked.
 */
function ensureDirectoryBelow(root: string, dir: string): void {
  const missing: string[] = [];
  for (let d = dir; d !== root && !fs.existsSync(d) && path.dirname(d) !== d; d = path.dirname(d)) missing.push(d);
  fs.mkdirSync(dir, { recursive: true });
  const realRoot = fs.realpathSync(root);
  const realDir = fs.realpathSync(dir);
  if (realDir !== realRoot && !realDir.startsWith(realRoot + path.sep)) {
    throw new NotRegular(`${path.relative(root, dir).split(path.sep).join("/")} leads outside the project; not written`);
  }
  for (const d of missing) syncDir(path.dirname(d));
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
    return { variables: [], written: [], failures: [{ path: options.envFile ?? ".env", reason: `internal error: ${(err as Error).message}` }], historyComplete: false, history: "incomplete", envFile: options.envFile ?? ".env" };
  }
}

async function settle(root: string, moved: readonly MovedSecret[], options: EnvFilesOptions): Promise<EnvFilesOutcome> {
  const variables = collect(moved);
  const written: string[] = [];
  const failures: { path: string; reason: string }[] = [];
  const envFile = options.envFile ?? ".env";
  if (variables.length === 0) return { variables: [], written, failures, historyComplete: true, history: "none", envFile };

  const history = options.history === false ? undefined : await scanHistory(root, variables.map((v) => v.value), { timeoutMs: options.historyTimeoutMs });
  const historyState: HistoryState = options.history === false ? "off" : !history ? "none" : history.complete ? "checked" : "incomplete";
  const envPath = path.join(root, envFile);
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
    if (v.clash) status.set(v.name, { dotenv: "conflict", message: `several files moved different values under ${v.name}; ${envFile} cannot hold them all, so their literals stay in the code: give them distinct names` });
    else if (held === v.value) status.set(v.name, { dotenv: "present" });
    else if (held !== undefined) status.set(v.name, { dotenv: "conflict", message: `${envFile} already sets ${v.name} to a different value; it was kept and the literal stays in the code: check which one is right` });
    else if (formatDotenvLine(v.name, v.value) === undefined) status.set(v.name, { dotenv: "unwritable", message: `no .env quoting keeps this value intact, so the literal stays in the code: move it to ${v.name} by hand` });
    else if (envUnreadable) status.set(v.name, { dotenv: "failed", message: `${envFile}: ${envUnreadable}` });
    else {
      status.set(v.name, { dotenv: options.write ? "added" : "new" });
      toAdd.push(v);
    }
  }

  if (options.write && envUnreadable && variables.some((v) => status.get(v.name)!.dotenv === "failed")) {
    failures.push({ path: envFile, reason: envUnreadable });
  }
  if (options.write && toAdd.length > 0) {
    let ignoredOk = true;
    try {
      if (!dotenvIgnored(root, envFile)) {
        const gi = path.join(root, ".gitignore");
        appendLines(gi, readRegular(gi), ["# Local secrets (pyremedy secrets-to-env)", envFile], 0o644);
        written.push(".gitignore");
      }
    } catch (err) {
      ignoredOk = false;
      failures.push({ path: ".gitignore", reason: reason(err) });
    }
    if (!ignoredOk) {
      // Never write secrets to a file git would pick up.
      for (const v of toAdd) status.set(v.name, { dotenv: "failed", message: `${envFile} is not git-ignored and .gitignore could not be updated; nothing written` });
    } else {
      try {
        // Re-read: nothing may have changed since the names were checked.
        const now = readRegular(envPath);
        const unchanged = now === undefined ? envBytes === undefined : envBytes !== undefined && now.equals(envBytes);
        if (!unchanged) {
          throw new WriteError(`${envFile} changed during the run; not written`);
        }
        ensureDirectoryBelow(root, path.dirname(envPath));
        const lines = toAdd.map((v) => formatDotenvLine(v.name, v.value)!);
        appendLines(envPath, envBytes, lines, 0o600);
        // The files that move these values are written next: the new .env must survive a crash first.
        syncDir(path.dirname(envPath));
        written.push(envFile);
      } catch (err) {
        failures.push({ path: envFile, reason: reason(err) });
        for (const v of toAdd) status.set(v.name, { dotenv: "failed", message: `${envFile}: ${reason(err)}` });
      }
    }
  }

  if (options.write) {
    const example = envExampleOf(envFile);
    const examplePath = path.join(root, example);
    const documented = variables.filter((v) => ["added", "present"].includes(status.get(v.name)!.dotenv));
    try {
      const before = readRegular(examplePath);
      const listed = new Set(parseDotenv(before?.toString("utf8") ?? "").map((e) => e.name));
      const lines = documented
        .filter((v) => !listed.has(v.name))
        .flatMap((v) => [`# ${v.files.join(", ")}${v.provider ? ` (${v.provider})` : ""}: moved out of the code by pyremedy secrets-to-env`, `${v.name}=`]);
      if (lines.length > 0) {
        ensureDirectoryBelow(root, path.dirname(examplePath));
        appendLines(examplePath, before, lines, 0o644);
        written.push(example);
      }
    } catch (err) {
      failures.push({ path: example, reason: reason(err) });
    }
  }

  const outcomes = variables.map((v): EnvVariableOutcome => {
    const s = status.get(v.name)!;
    const hist = historyOf(history, v.value);
    return { name: v.name, dotenv: s.dotenv, ...(hist ? { history: hist } : {}), ...(s.message ? { message: s.message } : {}) };
  });
  return { variables: outcomes, written, failures, historyComplete: history?.complete ?? false, history: historyState, envFile };
}

/** The report fields of variable `name` (for RunReport.env). */
export function envStatus(outcome: EnvFilesOutcome | undefined, name: string): Pick<EnvReport, "dotenv" | "dotenvFile" | "history" | "historyScan" | "message"> {
  const v = outcome?.variables.find((x) => x.name === name);
  if (!v) return {};
  const file = outcome!.envFile !== ".env" ? { dotenvFile: outcome!.envFile } : {};
  // Not found in a history that was not searched (to the end) says nothing: the report must say so.
  const unchecked = !v.history && (outcome!.history === "off" || outcome!.history === "incomplete") ? { historyScan: outcome!.history } : {};
  return { dotenv: v.dotenv, ...file, ...(v.history ? { history: v.history } : {}), ...unchecked, ...(v.message ? { message: v.message } : {}) };
}

/** The environment files that could not be written, as failed file reports of `repo`. */
export function envFileFailures(repo: string, outcome: EnvFilesOutcome | undefined): FileReport[] {
  return (outcome?.failures ?? []).map((f) => ({ repo, path: f.path, status: "failed" as const, reason: f.reason, changes: [], notices: [] }));
}
