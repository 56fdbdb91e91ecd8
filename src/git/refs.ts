/**
 * Names that reach git's command line are validated first: branch names with
 * `git check-ref-format`, revisions with `rev-parse --end-of-options`, remotes against the
 * configured list. A failed check is a BranchFailure the user can act on.
 */
import { git, GitError } from "./git.js";

/** Why a repository got no branch; `kind` is stable (JSON report), `message` is for people. */
export type FailureKind =
  | "not-a-repo"
  | "bad-config"
  | "no-commits"
  | "bad-ref"
  | "no-remote"
  | "no-identity"
  | "branch-checked-out"
  | "worktree-failed"
  | "fix-failed"
  | "commit-failed"
  | "fetch-failed"
  | "push-rejected"
  | "lease-rejected"
  | "error";

export class BranchFailure extends Error {
  constructor(readonly kind: FailureKind, message: string) {
    super(message);
  }
}

export const DEFAULT_BRANCH = "pyremedy/fixes";

/** `refs/heads/<name>` for a valid branch name, else a bad-ref failure. */
export async function branchRef(cwd: string, name: string): Promise<string> {
  const reason = `'${name}' is not a valid branch name`;
  if (!name || name.startsWith("-") || name === "HEAD" || /[\0\n]/.test(name)) throw new BranchFailure("bad-ref", reason);
  const ref = `refs/heads/${name}`;
  const check = await git(cwd, ["check-ref-format", ref], { allowExit: [1] });
  if (check.code !== 0) throw new BranchFailure("bad-ref", reason);
  return ref;
}

/** The commit a revision names, or undefined (never interpreted as an option). */
export async function resolveCommit(cwd: string, rev: string): Promise<string | undefined> {
  if (!rev || /[\0\n]/.test(rev)) return undefined;
  const r = await git(cwd, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`], { allowExit: [1, 128] });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

export async function resolveTree(cwd: string, commit: string): Promise<string> {
  return (await git(cwd, ["rev-parse", "--verify", "--end-of-options", `${commit}^{tree}`])).stdout.trim();
}

/** A remote that is configured in the repository (the name is then safe to pass after `--`). */
export async function requireRemote(cwd: string, name: string): Promise<void> {
  const remotes = (await git(cwd, ["remote"])).stdout.split("\n").filter(Boolean);
  if (!remotes.includes(name) || name.startsWith("-")) {
    throw new BranchFailure("no-remote", remotes.length ? `no remote named '${name}' (configured: ${remotes.join(", ")})` : `no remote named '${name}': the repository has no remotes`);
  }
}

/** The raw configured URL of a remote (before insteadOf rewriting): what names the hosted repository. */
export async function remoteUrl(cwd: string, name: string): Promise<string | undefined> {
  const r = await git(cwd, ["config", "--get", `remote.${name}.url`], { allowExit: [1] });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** Author and committer must come from the user's configuration; git must not invent one. */
export async function requireIdentity(cwd: string): Promise<void> {
  for (const variable of ["GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"]) {
    try {
      await git(cwd, ["var", variable], { config: ["user.useConfigOnly=true"] });
    } catch (err) {
      if (!(err instanceof GitError)) throw err;
      throw new BranchFailure(
        "no-identity",
        "no git identity to commit with: set one with `git config --global user.name \"Your Name\"` and `git config --global user.email you@example.com` (or GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL and GIT_COMMITTER_NAME/GIT_COMMITTER_EMAIL)",
      );
    }
  }
}

export interface RemoteRefs {
  /** The branch the remote's HEAD points at, if it says. */
  readonly defaultBranch?: string;
  /** Full ref name → sha, for the refs asked about. */
  readonly refs: ReadonlyMap<string, string>;
}

/** One `ls-remote` for the remote's HEAD and the named refs (matched exactly, not by git's tail match). */
export async function lsRemote(cwd: string, remote: string, refs: readonly string[]): Promise<RemoteRefs> {
  let out: string;
  try {
    out = (await git(cwd, ["ls-remote", "--symref", "--", remote, "HEAD", ...refs])).stdout;
  } catch (err) {
    if (err instanceof GitError) throw new BranchFailure("fetch-failed", `cannot reach remote '${remote}': ${err.message}`);
    throw err;
  }
  let defaultBranch: string | undefined;
  const found = new Map<string, string>();
  for (const line of out.split("\n")) {
    const sym = /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line);
    if (sym) {
      defaultBranch = sym[1];
      continue;
    }
    const [sha, name] = line.split("\t");
    if (sha && name && refs.includes(name)) found.set(name, sha);
  }
  if (defaultBranch !== undefined) {
    const ok = await git(cwd, ["check-ref-format", `refs/heads/${defaultBranch}`], { allowExit: [1] });
    if (ok.code !== 0 || defaultBranch.startsWith("-")) defaultBranch = undefined;
  }
  return { ...(defaultBranch !== undefined ? { defaultBranch } : {}), refs: found };
}
