/**
 * A temporary `git worktree`, detached at a commit, outside the user's checkout: the only
 * place a fix branch is built. It is removed afterwards — on success, on error, and when the
 * process is interrupted — and only ours: its own admin entry is deleted, never a global prune.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { git, GitError, gitSyncQuiet } from "./git.js";
import { BranchFailure } from "./refs.js";

export interface Worktree {
  /** The worktree's directory (a fresh checkout of `base`). */
  readonly dir: string;
  /** The user's repository (its top level). */
  readonly repo: string;
  readonly base: string;
  /** Remove the worktree and its admin entry; safe to call twice. */
  remove(): Promise<void>;
}

interface Live {
  readonly repo: string;
  readonly commonDir: string;
  readonly parent: string;
  readonly dir: string;
}

const live = new Set<Live>();
let handlersInstalled = false;

function onSignal(signal: NodeJS.Signals): void {
  removeAllSync();
  process.exit(signal === "SIGINT" ? 130 : 143);
}

function onExit(): void {
  removeAllSync();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // If the CLI's own handler runs first and calls process.exit, the 'exit' listener still cleans up.
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("exit", onExit);
}

function uninstallHandlers(): void {
  if (!handlersInstalled || live.size > 0) return;
  handlersInstalled = false;
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  process.off("exit", onExit);
}

/** The `.git/worktrees/<id>` entries whose gitdir points into our directory. */
function adminEntries(entry: Live): string[] {
  const root = path.join(entry.commonDir, "worktrees");
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  const ours = path.join(entry.dir, ".git");
  return names
    .map((n) => path.join(root, n))
    .filter((admin) => {
      try {
        return fs.readFileSync(path.join(admin, "gitdir"), "utf8").trim() === ours;
      } catch {
        return false;
      }
    });
}

function dropLeftovers(entry: Live): void {
  for (const admin of adminEntries(entry)) fs.rmSync(admin, { recursive: true, force: true });
  fs.rmSync(entry.parent, { recursive: true, force: true });
}

function removeSync(entry: Live): void {
  if (fs.existsSync(entry.dir)) gitSyncQuiet(entry.repo, ["worktree", "remove", "--force", "--force", "--", entry.dir]);
  try {
    dropLeftovers(entry);
  } catch {
    // best effort on the way out
  }
  live.delete(entry);
}

function removeAllSync(): void {
  for (const entry of [...live]) removeSync(entry);
}

async function removeAsync(entry: Live): Promise<void> {
  if (!live.has(entry)) return;
  try {
    if (fs.existsSync(entry.dir)) await git(entry.repo, ["worktree", "remove", "--force", "--force", "--", entry.dir]);
  } catch {
    // fall through: delete our own entry and directory by hand
  }
  dropLeftovers(entry);
  live.delete(entry);
  uninstallHandlers();
}

/** The repository's common git directory (shared by all its worktrees), absolute. */
export async function commonGitDir(repo: string): Promise<string> {
  const out = (await git(repo, ["rev-parse", "--path-format=absolute", "--git-common-dir"])).stdout.trim();
  return out;
}

/** Check out `base` (a commit sha) detached in a new temporary directory. */
export async function createWorktree(repo: string, base: string): Promise<Worktree> {
  const commonDir = await commonGitDir(repo);
  const parent = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), "pyremedy-wt-"));
  const dir = path.join(parent, path.basename(repo).replace(/[^A-Za-z0-9._-]/g, "_") || "repo");
  const entry: Live = { repo, commonDir, parent, dir };
  live.add(entry);
  installHandlers();
  try {
    await git(repo, ["worktree", "add", "--detach", "--", dir, base]);
  } catch (err) {
    await removeAsync(entry);
    if (err instanceof GitError) throw new BranchFailure("worktree-failed", `cannot create a worktree: ${err.message}`);
    throw err;
  }
  return { dir, repo, base, remove: () => removeAsync(entry) };
}

/** Create a worktree, run `fn` in it, and remove the worktree whatever happens. */
export async function withWorktree<T>(repo: string, base: string, fn: (wt: Worktree) => Promise<T>): Promise<T> {
  const wt = await createWorktree(repo, base);
  try {
    return await fn(wt);
  } finally {
    await wt.remove();
  }
}

/** Worktrees of this process not yet removed (for tests and diagnostics). */
export function liveWorktrees(): string[] {
  return [...live].map((e) => e.dir);
}
