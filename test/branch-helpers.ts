/**
 * Real git repositories in temp directories for the `branch` suites: a copy of a sample repo
 * with one commit, a bare repository as its remote, and a byte-level snapshot of everything
 * the user could notice (HEAD, branch, index bytes, status, every file incl. untracked).
 */
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { FIXTURES } from "./helpers.js";

/** Git sees no machine-wide or personal configuration: each test repo carries its own. */
export function isolateGit(): () => void {
  const saved = { ...process.env };
  process.env.GIT_CONFIG_GLOBAL = "/dev/null";
  process.env.GIT_CONFIG_NOSYSTEM = "1";
  for (const name of ["GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL", "GH_TOKEN", "GITHUB_TOKEN", "GITHUB_API_URL"]) {
    delete process.env[name];
  }
  return () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  };
}

/** For a suite: isolate git before it, restore the environment and remove temp repos after it. */
export function useIsolatedGit(): void {
  let restoreEnv: () => void = () => {};
  beforeAll(() => {
    restoreEnv = isolateGit();
  });
  afterAll(() => {
    restoreEnv();
    removeTemps();
  });
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" }, stdio: ["ignore", "pipe", "pipe"] }).trimEnd();
}

const temps: string[] = [];

export function tempDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), `pyremedy-test-${label}-`));
  temps.push(dir);
  return dir;
}

export function removeTemps(): void {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export function identify(repo: string, name = "Rita Reviewer", email = "rita@example.com"): void {
  git(repo, "config", "user.name", name);
  git(repo, "config", "user.email", email);
}

/** A git repository holding a copy of fixtures/sample-repos/<sample>, one commit on main. */
export function sampleRepo(sample = "ticket-bot", options: { identity?: boolean } = {}): string {
  const dir = path.join(tempDir(sample), sample);
  fs.cpSync(path.join(FIXTURES, "sample-repos", sample), dir, { recursive: true });
  git(dir, "init", "-q", "-b", "main");
  if (options.identity !== false) identify(dir);
  git(dir, "add", "-A");
  git(dir, "-c", "user.name=Seed", "-c", "user.email=seed@example.com", "commit", "-q", "-m", "Initial import");
  return dir;
}

/** A bare repository as `origin`, with main pushed and HEAD pointing at it. */
export function withRemote(repo: string): string {
  const bare = path.join(path.dirname(repo), "remote.git");
  git(path.dirname(repo), "init", "-q", "--bare", "-b", "main", bare);
  git(repo, "remote", "add", "origin", bare);
  git(repo, "push", "-q", "origin", "main");
  return bare;
}

/** Commit `files` on top of `branch` in `remote` as someone else, through a clone. */
export function pushAsSomeoneElse(remote: string, branch: string, files: Record<string, string>): string {
  const clone = path.join(tempDir("other"), "clone");
  git(path.dirname(clone), "clone", "-q", "--branch", branch, remote, clone);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(clone, rel)), { recursive: true });
    fs.writeFileSync(path.join(clone, rel), text);
  }
  git(clone, "add", "-A");
  git(clone, "-c", "user.name=Olga Other", "-c", "user.email=olga@example.com", "commit", "-q", "-m", "Reviewer tweak");
  git(clone, "push", "-q", "origin", `HEAD:refs/heads/${branch}`);
  return git(clone, "rev-parse", "HEAD");
}

function sha256(data: Uint8Array | string): string {
  return crypto.createHash("sha256").update(data).digest("hex");
}

/** Every file under `dir` (not .git) with its mode and content hash, symlinks by target. */
function files(dir: string, rel = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${entry.name}` : entry.name;
    if (r === ".git") continue;
    const full = path.join(dir, r);
    if (entry.isSymbolicLink()) out[r] = `link ${fs.readlinkSync(full)}`;
    else if (entry.isDirectory()) Object.assign(out, files(dir, r));
    else out[r] = `${(fs.statSync(full).mode & 0o7777).toString(8)} ${sha256(fs.readFileSync(full))}`;
  }
  return out;
}

export interface Snapshot {
  readonly head: string;
  readonly symbolic: string;
  readonly index: string;
  readonly status: string;
  readonly files: Record<string, string>;
  readonly worktrees: string;
  readonly adminEntries: string[];
  readonly localBranches: string;
}

/** What the user could notice about their checkout. Reads the index bytes before `status` can touch them. */
export function snapshot(repo: string): Snapshot {
  const index = sha256(fs.readFileSync(path.join(repo, ".git", "index")));
  let adminEntries: string[] = [];
  try {
    adminEntries = fs.readdirSync(path.join(repo, ".git", "worktrees"));
  } catch {
    adminEntries = [];
  }
  return {
    head: git(repo, "rev-parse", "HEAD"),
    symbolic: git(repo, "symbolic-ref", "-q", "HEAD"),
    index,
    status: git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignored"),
    files: files(repo),
    worktrees: git(repo, "worktree", "list", "--porcelain"),
    adminEntries,
    localBranches: git(repo, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/"),
  };
}

/** A checkout in the middle of someone's work: a staged edit, an unstaged edit, untracked files. */
export function workInProgress(repo: string): void {
  fs.appendFileSync(path.join(repo, "README.md"), "\nStaged note.\n");
  git(repo, "add", "README.md");
  fs.appendFileSync(path.join(repo, "bot", "main.py"), "\n# unstaged edit\n");
  fs.writeFileSync(path.join(repo, "notes.txt"), "untracked scratch\n");
  fs.mkdirSync(path.join(repo, "scratch"));
  fs.writeFileSync(path.join(repo, "scratch", "try.py"), "import requests\nrequests.get('https://x', verify=False)\n");
}

/** Trailers of a commit, as git parses them. */
export function trailers(repo: string, rev: string): string[] {
  return git(repo, "log", "-1", "--format=%(trailers:only,unfold)", rev).split("\n").filter(Boolean);
}

/** Commit subjects from `rev` down to (not including) `base`, oldest first. */
export function subjects(repo: string, rev: string, base: string): string[] {
  return git(repo, "log", "--reverse", "--format=%s", `${base}..${rev}`).split("\n").filter(Boolean);
}

export function tree(repo: string, rev: string): string[] {
  return git(repo, "ls-tree", "-r", "-z", "--name-only", rev).split("\0").filter(Boolean);
}

export function show(repo: string, rev: string, rel: string): string {
  return execFileSync("git", ["show", `${rev}:${rel}`], { cwd: repo, encoding: "utf8" });
}
