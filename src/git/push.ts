/**
 * Talking to the remote: fetch the refs a fix branch is built from and compared with, and push
 * with `--force-with-lease=<ref>:<expected sha>` so a branch that moved since we looked is
 * never overwritten.
 */
import { git, GitError, firstLines } from "./git.js";
import { BranchFailure } from "./refs.js";

/** Fetch `refs/heads/<name>` of the remote into `refs/remotes/<remote>/<name>` for each name. */
export async function fetchBranches(repo: string, remote: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const refspecs = names.map((n) => `+refs/heads/${n}:refs/remotes/${remote}/${n}`);
  try {
    await git(repo, ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-recurse-submodules", "--", remote, ...refspecs]);
  } catch (err) {
    if (err instanceof GitError) throw new BranchFailure("fetch-failed", `fetch from '${remote}' failed: ${err.message}`);
    throw err;
  }
}

export interface PushOptions {
  readonly remote: string;
  /** Full ref on the remote, e.g. refs/heads/pyremedy/fixes. */
  readonly ref: string;
  readonly sha: string;
  /** The sha the remote ref must still have, or undefined when it must not exist. */
  readonly expected: string | undefined;
  readonly runHooks: boolean;
}

export async function pushWithLease(repo: string, options: PushOptions): Promise<void> {
  const lease = `--force-with-lease=${options.ref}:${options.expected ?? ""}`;
  const args = ["push", "--porcelain", "--quiet", ...(options.runHooks ? [] : ["--no-verify"]), lease, "--", options.remote, `${options.sha}:${options.ref}`];
  let result;
  try {
    result = await git(repo, args, { allowExit: [1], hooks: options.runHooks });
  } catch (err) {
    if (err instanceof GitError) throw new BranchFailure("push-rejected", `push to '${options.remote}' failed: ${err.message}`);
    throw err;
  }
  if (result.code === 0) return;
  const line = result.stdout.split("\n").find((l) => l.startsWith("!\t")) ?? "";
  const why = line.split("\t")[2] ?? "";
  if (why.includes("stale info")) {
    throw new BranchFailure("lease-rejected", `the remote branch moved since it was read (expected ${options.expected?.slice(0, 12) ?? "no branch"}); nothing was overwritten — run again to rebuild on top of the new state`);
  }
  const remoteSays = firstLines(result.stderr.split("\n").filter((l) => l.startsWith("remote:")).join("\n"));
  throw new BranchFailure("push-rejected", `push to '${options.remote}' rejected${why ? ` ${why}` : ""}${remoteSays ? `: ${remoteSays}` : ""}`);
}
