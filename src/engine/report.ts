/**
 * The run's result as data: what every reporter (text, json, ...) renders.
 */
import type { Change, Edit, Notice, Safety } from "../codemod.js";
import type { UnusedIgnore } from "../python/suppress.js";
import type { DotenvStatus } from "./env-files.js";
import type { FileStatus } from "./process.js";

export interface ChangeReport {
  readonly codemod: string;
  readonly line: number;
  readonly column: number;
  readonly safety: Safety;
  readonly description: string;
  readonly note?: string;
}

export interface FileReport {
  readonly repo: string;
  readonly path: string;
  readonly status: FileStatus;
  readonly reason?: string;
  readonly changes: readonly ChangeReport[];
  readonly notices: readonly Notice[];
  readonly diff?: string;
  /** Set with --write once the new content is on disk. */
  readonly written?: boolean;
  /** With --report-unused-ignores: `# pyremedy: ignore` comments that suppressed nothing. */
  readonly unusedIgnores?: readonly UnusedIgnore[];
  /** Changed files only: what the patch and SARIF reports are made from. Never serialised as is. */
  readonly source?: FileSource;
}

/** The unmasked material of a changed file; each reporter masks what it prints. */
export interface FileSource {
  /** The bytes read and the bytes the fix produces (the patch report diffs these, byte for byte). */
  readonly bytesBefore: Uint8Array;
  readonly bytesAfter: Uint8Array;
  /** Decoded text before the fix; the columns of changes and edits are UTF-16 indices into it. */
  readonly textBefore: string;
  readonly textAfter: string;
  /** Each applied change's edits, parallel to FileReport.changes. */
  readonly edits: readonly (readonly Edit[])[];
  /** Secret values moved out by this file's changes: masked in every report but the patch. */
  readonly secrets: readonly string[];
}

export interface EnvReport {
  readonly name: string;
  readonly provider?: string;
  readonly files: string[];
  /** What became of the value in `.env` (secrets-to-env, see env-files.ts). */
  readonly dotenv?: DotenvStatus;
  /** The env file when it is not `.env` (secrets-to-env option `env-file`), relative to the repository. */
  readonly dotenvFile?: string;
  /** The value is in the git history (newest commit, number of commits): rotate it. */
  readonly history?: { readonly commit: string; readonly commits: number };
  /**
   * Set when `history` is absent because the history was not searched (`off`: option `history`
   * = false or `--no-history`) or not to the end (`incomplete`: time limit): it may be there.
   */
  readonly historyScan?: "off" | "incomplete";
  /** Why it needs a hand (a conflicting `.env` entry, ...); never holds a value. */
  readonly message?: string;
}

export interface Summary {
  repos: number;
  filesScanned: number;
  filesChanged: number;
  filesSkipped: number;
  filesFailed: number;
  changes: number;
  byCodemod: Record<string, number>;
}

export interface RunReport {
  readonly tool: { readonly name: "pyremedy"; readonly version: string };
  readonly summary: Summary;
  readonly files: FileReport[];
  readonly env: EnvReport[];
  /** True when --write was given. */
  readonly write: boolean;
  /** The repositories of the run, in order (files are grouped by repo in this order). */
  readonly repos?: readonly string[];
}

export function changeReport(change: Change): ChangeReport {
  const { codemod, line, column, safety, description, note } = change;
  return note ? { codemod, line, column, safety, description, note } : { codemod, line, column, safety, description };
}

export function summarize(files: readonly FileReport[], codemodIds: readonly string[], repos: number): Summary {
  const byCodemod: Record<string, number> = Object.fromEntries(codemodIds.map((id) => [id, 0]));
  let changes = 0;
  for (const f of files) {
    for (const c of f.changes) {
      byCodemod[c.codemod] = (byCodemod[c.codemod] ?? 0) + 1;
      changes++;
    }
  }
  return {
    repos,
    // A repository that failed as a whole (its entry has no path) is no file scanned.
    filesScanned: files.filter((f) => f.path !== "").length,
    filesChanged: files.filter((f) => f.status === "changed").length,
    filesSkipped: files.filter((f) => f.status === "skipped").length,
    filesFailed: files.filter((f) => f.status === "failed").length,
    changes,
    byCodemod,
  };
}

/** DESIGN.md exit codes: 2 when anything failed, 1 when a preview found changes, else 0. */
export function exitCode(report: RunReport): number {
  if (report.summary.filesFailed > 0) return 2;
  if (!report.write && report.summary.filesChanged > 0) return 1;
  // Asked for and not fixed by --write, like mypy's --warn-unused-ignores.
  if (report.files.some((f) => f.unusedIgnores?.length)) return 1;
  return 0;
}

/** The report without unused-ignore findings (they are reported only when asked for). */
export function withoutUnusedIgnores(report: RunReport): RunReport {
  if (!report.files.some((f) => f.unusedIgnores)) return report;
  return { ...report, files: report.files.map(({ unusedIgnores: _dropped, ...f }) => f) };
}
