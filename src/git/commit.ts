/**
 * One commit per codemod in the temporary worktree. What changed is read back from
 * `git status -z` and staged through `update-index -z --stdin`, so file names travel as raw
 * bytes and never as arguments; `.env` files are never staged. The message names files,
 * counts and environment variable names — never a secret value.
 */
import type { ChangeReport, EnvReport, RunReport } from "../engine/report.js";
import type { Notice } from "../codemod.js";
import { isEnvFile } from "../secrets/options.js";
import { git, GitError } from "./git.js";
import { BranchFailure } from "./refs.js";
import { displayPath } from "../visible.js";

export const CODEMOD_TRAILER = "Pyremedy-Codemod";
export const VERSION_TRAILER = "Pyremedy-Version";

export interface FileChanges {
  readonly path: string;
  readonly changes: readonly ChangeReport[];
}

export interface CommitRecord {
  readonly codemod: string;
  readonly title: string;
  readonly sha: string;
  readonly subject: string;
  /** Python files the codemod changed, with what it did (paths relative to the repository). */
  readonly files: readonly FileChanges[];
  /** Other files the run updated and that were committed (.env.example, .gitignore, ...). */
  readonly otherFiles: readonly string[];
  /** Environment files left out of the commit on purpose. */
  readonly withheld: readonly string[];
  /** Environment variables the code now reads: names, providers, files (values are never recorded). */
  readonly env: readonly EnvReport[];
  readonly changes: number;
}

/** Files the codemod recognised but left for a person, and files it could not process. */
export interface Leftovers {
  readonly notices: readonly { readonly path: string; readonly notice: Notice }[];
  readonly failed: readonly { readonly path: string; readonly reason: string }[];
}

/** `.env`, `.env.local`, ... are never staged; secrets-to-env's `env-file` must be such a name. */
export { isEnvFile } from "../secrets/options.js";

/** Paths in commit messages and report lines: printable, or C-quoted like git does (see visible.ts). */
export { displayPath };

/** Raw paths (bytes) with uncommitted changes in a worktree, tracked or untracked (not ignored). */
export async function changedPaths(dir: string): Promise<Buffer[]> {
  const out = (await git(dir, ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--ignore-submodules=all"])).stdoutBytes;
  const paths: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== 0) continue;
    const entry = out.subarray(start, i);
    start = i + 1;
    if (entry.length > 3) paths.push(Buffer.from(entry.subarray(3)));
  }
  return paths;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export interface MessageInput {
  readonly codemod: string;
  readonly title: string;
  readonly version: string;
  readonly files: readonly FileChanges[];
  readonly otherFiles: readonly string[];
  readonly env: readonly string[];
  readonly leftovers: Leftovers;
}

/** The commit message: subject, files and counts, env names, trailers. Pure. */
export function commitMessage(input: MessageInput): string {
  const total = input.files.reduce((n, f) => n + f.changes.length, 0);
  const lines = [`fix(${input.codemod}): ${input.title}`, ""];
  lines.push(`${plural(total, "change")} in ${plural(input.files.length, "file")}:`);
  for (const f of input.files) lines.push(`  ${displayPath(f.path)}: ${plural(f.changes.length, "change")}`);
  const review = input.files.reduce((n, f) => n + f.changes.filter((c) => c.safety === "review").length, 0);
  if (review > 0) lines.push("", `${plural(review, "change")} marked for review: \`pyremedy explain ${input.codemod}\` says what to check.`);
  if (input.otherFiles.length) lines.push("", `Also updated: ${input.otherFiles.map(displayPath).join(", ")}`);
  if (input.env.length) {
    lines.push("", `Environment variables to set (values are not committed): ${input.env.join(", ")}`);
  }
  if (input.leftovers.failed.length) {
    lines.push("", "Not changed:");
    for (const f of input.leftovers.failed) lines.push(`  ${displayPath(f.path)}: ${f.reason.replace(/\s+/g, " ")}`);
  }
  lines.push("", `${CODEMOD_TRAILER}: ${input.codemod}`, `${VERSION_TRAILER}: ${input.version}`);
  return lines.join("\n") + "\n";
}

export interface CommitOptions {
  readonly codemod: string;
  readonly title: string;
  readonly version: string;
  /** The fix run for this codemod in the worktree (written). */
  readonly report: RunReport;
  /** Path of the fixed directory inside the worktree ("" for the top level, else "sub/dir/"). */
  readonly prefix: string;
  /** Run the repository's commit hooks (off by default: they are code from the repository). */
  readonly runHooks: boolean;
}

/** What the fix run did, with paths relative to the repository root. */
export function runLeftovers(report: RunReport, prefix: string): Leftovers {
  return {
    notices: report.files.flatMap((f) => f.notices.map((notice) => ({ path: prefix + f.path, notice }))),
    failed: report.files.filter((f) => f.status === "failed").map((f) => ({ path: prefix + f.path, reason: f.reason ?? "failed" })),
  };
}

/** Stage and commit what the codemod changed in the worktree; undefined when it changed nothing committable. */
export async function commitCodemod(dir: string, options: CommitOptions): Promise<CommitRecord | undefined> {
  const raw = await changedPaths(dir);
  if (raw.length === 0) return undefined;
  const staged: Buffer[] = [];
  const withheld: string[] = [];
  for (const p of raw) {
    const name = p.toString("utf8");
    if (isEnvFile(name)) withheld.push(name);
    else staged.push(p);
  }
  if (staged.length === 0) return undefined;
  const input = Buffer.concat(staged.flatMap((p) => [p, Buffer.from([0])]));
  await git(dir, ["update-index", "--add", "--remove", "-z", "--stdin"], { input });

  const stagedNames = new Set(staged.map((p) => p.toString("utf8")));
  const files: FileChanges[] = options.report.files
    .filter((f) => f.status === "changed" && f.written && stagedNames.has(options.prefix + f.path))
    .map((f) => ({ path: options.prefix + f.path, changes: f.changes }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const fixed = new Set(files.map((f) => f.path));
  const otherFiles = [...stagedNames].filter((n) => !fixed.has(n)).sort();
  const env = options.report.env.map((e) => ({ ...e, files: e.files.map((f) => options.prefix + f) }));
  const message = commitMessage({
    codemod: options.codemod,
    title: options.title,
    version: options.version,
    files,
    otherFiles,
    env: [...new Set(env.map((e) => e.name))],
    leftovers: runLeftovers(options.report, options.prefix),
  });
  try {
    await git(dir, ["commit", "--quiet", "--cleanup=whitespace", ...(options.runHooks ? [] : ["--no-verify"]), "-F", "-"], {
      config: ["user.useConfigOnly=true"],
      hooks: options.runHooks,
      input: message,
    });
  } catch (err) {
    if (err instanceof GitError) throw new BranchFailure("commit-failed", `commit for ${options.codemod} failed: ${err.message}`);
    throw err;
  }
  const sha = (await git(dir, ["rev-parse", "--verify", "HEAD"])).stdout.trim();
  return {
    codemod: options.codemod,
    title: options.title,
    sha,
    subject: message.split("\n")[0]!,
    files,
    otherFiles,
    withheld,
    env,
    changes: files.reduce((n, f) => n + f.changes.length, 0),
  };
}
