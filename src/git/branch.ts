/**
 * `pyremedy branch`: for each repository, build a fix branch in a temporary worktree — one
 * commit per codemod, in registry order — then create or update the branch (locally, or on the
 * remote with a lease) and optionally open a pull request. The user's checkout (HEAD, branch,
 * index, working files) is never touched: only refs, objects and the worktree's own admin entry.
 * Each repository is independent; a failure is reported with its kind and the next one runs.
 */
import fs from "node:fs";
import path from "node:path";
import type { Codemod } from "../codemod.js";
import { moveAnchors, type Settings } from "../config.js";
import { runFix } from "../engine/run.js";
import type { RunReport } from "../engine/report.js";
import { VERSION } from "../version.js";
import { prBody, prTitle } from "../pr/body.js";
import { choosePrProvider } from "../pr/choose.js";
import { parseRemoteUrl, PullRequestError } from "../pr/provider.js";
import { commitCodemod, runLeftovers, type CommitRecord, type Leftovers } from "./commit.js";
import { git, GitError } from "./git.js";
import { inspectBranch } from "./history.js";
import { fetchBranches, pushWithLease } from "./push.js";
import {
  BranchFailure, branchRef, DEFAULT_BRANCH, lsRemote, remoteUrl, requireIdentity, requireRemote, resolveCommit, resolveTree,
  type FailureKind,
} from "./refs.js";
import { withWorktree } from "./worktree.js";

export type RepoStatus = "created" | "updated" | "up-to-date" | "nothing-to-fix" | "skipped" | "failed";

export type PrOutcome =
  | { readonly status: "created" | "updated"; readonly url: string; readonly number: number; readonly via: string }
  | { readonly status: "skipped" | "failed"; readonly reason: string };

export interface RepoOutcome {
  /** The path as given. */
  readonly repo: string;
  readonly status: RepoStatus;
  readonly kind?: FailureKind | "modified-by-others";
  readonly reason?: string;
  readonly branch: string;
  /** Where the branch lives: "local" or the remote's name. */
  readonly where: string;
  readonly base?: string;
  /** The branch's sha after the run (existing or new). */
  readonly head?: string;
  /** Commits this run put on the branch (none when it was already up to date). */
  readonly commits: readonly CommitRecord[];
  /** Changes per codemod in the rebuilt branch (also when it was up to date). */
  readonly byCodemod: Readonly<Record<string, number>>;
  readonly pushed: boolean;
  readonly pr?: PrOutcome;
  readonly leftovers: Leftovers;
}

export type Stage = "worktree" | "fixed" | "committed" | "push" | "pr";

export interface StageInfo {
  readonly repo: string;
  /** The temporary worktree (stages worktree, fixed, committed). */
  readonly dir?: string;
  readonly codemod?: string;
}

export interface BranchOptions {
  readonly repos: readonly string[];
  /** In registry order; one commit each (when it changed something). A repository's settings replace them. */
  readonly codemods: readonly Codemod[];
  /** True when the selection needs no --select to reproduce (every codemod, or the configuration's choice). */
  readonly allCodemods?: boolean;
  /** Branch name and base given on the command line: they win over a repository's settings. */
  readonly branch?: string;
  readonly base?: string;
  /**
   * A repository's settings (its `[tool.pyremedy]` merged with the command line): the codemods,
   * the default branch name and base, and the fix run's exclude globs, include-tests and codemod
   * options. A ConfigError fails that repository only.
   */
  readonly settingsFor?: (repo: string) => Settings | { readonly configError: string } | undefined;
  readonly push?: boolean;
  readonly remote?: string;
  readonly pr?: boolean;
  readonly draft?: boolean;
  readonly runHooks?: boolean;
  /** GitHub API base (GitHub Enterprise); else GITHUB_API_URL; else derived from the remote's host. */
  readonly apiUrl?: string;
  /** Environment for the pull request step (tokens, GITHUB_API_URL, PATH for gh). Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress, called at each stage; throwing aborts that repository (used by tests to inject failures). */
  readonly onStage?: (stage: Stage, info: StageInfo) => void | Promise<void>;
}

export interface BranchSummary {
  repos: number;
  created: number;
  updated: number;
  upToDate: number;
  nothingToFix: number;
  skipped: number;
  failed: number;
  commits: number;
  pushed: number;
  pullRequests: number;
}

export interface BranchReport {
  readonly tool: { readonly name: "pyremedy"; readonly version: string };
  readonly summary: BranchSummary;
  readonly repos: readonly RepoOutcome[];
}

const NO_LEFTOVERS: Leftovers = { notices: [], failed: [] };

interface Target {
  readonly top: string;
  readonly prefix: string;
}

async function locate(given: string): Promise<Target> {
  const abs = path.resolve(given);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw new BranchFailure("not-a-repo", `${given} does not exist`);
  }
  if (!stat.isDirectory()) throw new BranchFailure("not-a-repo", `${given} is not a directory`);
  try {
    const out = (await git(abs, ["rev-parse", "--show-toplevel", "--show-prefix"])).stdout.split("\n");
    return { top: out[0]!, prefix: out[1] ?? "" };
  } catch (err) {
    if (err instanceof GitError) throw new BranchFailure("not-a-repo", `${given} is not inside a git working tree`);
    throw err;
  }
}

async function checkedOutIn(top: string, ref: string): Promise<string | undefined> {
  const out = (await git(top, ["worktree", "list", "--porcelain", "-z"])).stdout.split("\0");
  let current = "";
  for (const line of out) {
    if (line.startsWith("worktree ")) current = line.slice("worktree ".length);
    else if (line === `branch ${ref}`) return current;
  }
  return undefined;
}

interface Plan {
  readonly base: string;
  /** The branch's current sha where it lives (local ref, or the remote's), if it exists. */
  readonly existing?: string;
  /** The branch a pull request merges into. */
  readonly prBase?: string;
}

/** How the base was asked for, for messages: `--base 'x'` or `base 'x' (pyproject.toml)`. */
function baseLabel(options: RepoBranchOptions): string {
  return options.baseFrom ? `base '${options.base}' (${options.baseFrom})` : `--base '${options.base}'`;
}

async function planLocal(top: string, ref: string, options: RepoBranchOptions): Promise<Plan> {
  const base = await resolveCommit(top, options.base ?? "HEAD");
  if (!base) {
    if (options.base !== undefined) throw new BranchFailure("bad-ref", `${baseLabel(options)} does not name a commit`);
    throw new BranchFailure("no-commits", "the repository has no commits yet");
  }
  const holder = await checkedOutIn(top, ref);
  if (holder !== undefined) {
    throw new BranchFailure("branch-checked-out", `${ref.slice("refs/heads/".length)} is checked out in ${holder}: switch to another branch there, or pick another name with --branch`);
  }
  const existing = await resolveCommit(top, ref);
  return { base, ...(existing ? { existing } : {}) };
}

async function planPush(top: string, ref: string, remote: string, options: RepoBranchOptions): Promise<Plan> {
  await requireRemote(top, remote);
  const baseAsBranch = options.base?.startsWith(`${remote}/`) ? options.base.slice(remote.length + 1) : options.base;
  const asked = [ref, ...(baseAsBranch && !baseAsBranch.startsWith("-") ? [`refs/heads/${baseAsBranch}`] : [])];
  const remoteRefs = await lsRemote(top, remote, asked);
  const existing = remoteRefs.refs.get(ref);
  const defaultBranch = remoteRefs.defaultBranch;
  const branchName = ref.slice("refs/heads/".length);
  const baseOnRemote = baseAsBranch !== undefined && remoteRefs.refs.has(`refs/heads/${baseAsBranch}`) ? baseAsBranch : undefined;
  const wanted = [defaultBranch, baseOnRemote, existing ? branchName : undefined].filter((b): b is string => b !== undefined);
  await fetchBranches(top, remote, [...new Set(wanted)]);
  let base: string | undefined;
  if (options.base !== undefined) {
    base = await resolveCommit(top, options.base);
    if (!base) throw new BranchFailure("bad-ref", `${baseLabel(options)} does not name a commit`);
  } else {
    if (!defaultBranch) throw new BranchFailure("bad-ref", `remote '${remote}' does not say which branch is its default: pass --base`);
    base = await resolveCommit(top, `refs/remotes/${remote}/${defaultBranch}`);
    if (!base) throw new BranchFailure("no-commits", `remote '${remote}' has no commits on ${defaultBranch}`);
  }
  const prBase = baseOnRemote ?? defaultBranch;
  return { base, ...(existing ? { existing } : {}), ...(prBase ? { prBase } : {}) };
}

interface Built {
  readonly tip: string;
  readonly commits: CommitRecord[];
  readonly leftovers: Leftovers;
}

async function build(given: string, target: Target, base: string, options: RepoBranchOptions): Promise<Built> {
  const stage = options.onStage ?? (() => undefined);
  return withWorktree(target.top, base, async (wt) => {
    await stage("worktree", { repo: given, dir: wt.dir });
    const commits: CommitRecord[] = [];
    const notices: Leftovers["notices"][number][] = [];
    const failed = new Map<string, string>();
    for (const codemod of options.codemods) {
      let report: RunReport;
      try {
        report = await runFix({ paths: [path.join(wt.dir, target.prefix)], codemods: [codemod], write: true, ...worktreeSettings(options.settings, target.top, wt.dir) });
      } catch (err) {
        throw new BranchFailure("fix-failed", `${codemod.id}: ${(err as Error).message}`);
      }
      await stage("fixed", { repo: given, dir: wt.dir, codemod: codemod.id });
      const left = runLeftovers(report, target.prefix);
      notices.push(...left.notices);
      for (const f of left.failed) failed.set(f.path, f.reason);
      const record = await commitCodemod(wt.dir, {
        codemod: codemod.id,
        title: codemod.title,
        version: VERSION,
        report,
        prefix: target.prefix,
        runHooks: !!options.runHooks,
      });
      if (record) {
        commits.push(record);
        await stage("committed", { repo: given, dir: wt.dir, codemod: codemod.id });
      }
    }
    const tip = (await git(wt.dir, ["rev-parse", "--verify", "HEAD"])).stdout.trim();
    return { tip, commits, leftovers: { notices, failed: [...failed].map(([p, reason]) => ({ path: p, reason })) } };
  });
}

function counts(commits: readonly CommitRecord[]): Record<string, number> {
  return Object.fromEntries(commits.map((c) => [c.codemod, c.changes]));
}

async function openPullRequest(top: string, remote: string, branch: string, plan: Plan, built: Built, options: RepoBranchOptions): Promise<PrOutcome> {
  const url = await remoteUrl(top, remote);
  const slug = url ? parseRemoteUrl(url) : undefined;
  if (!slug) return { status: "skipped", reason: `remote '${remote}' does not point at a GitHub repository` };
  if (!plan.prBase) return { status: "skipped", reason: `remote '${remote}' does not say which branch is its default` };
  try {
    const choice = await choosePrProvider(slug, { env: options.env ?? process.env, ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}) });
    if ("unavailable" in choice) return { status: "skipped", reason: `${choice.unavailable}; the branch was pushed` };
    const result = await choice.provider.openOrUpdate({
      repo: slug,
      head: branch,
      base: plan.prBase,
      title: prTitle(built.commits),
      body: prBody({
        version: VERSION,
        base: plan.base,
        branch,
        commits: built.commits,
        leftovers: built.leftovers,
        selected: options.codemods.map((c) => c.id),
        allSelected: !!options.allCodemods,
      }),
      draft: !!options.draft,
    });
    return { status: result.action, url: result.url, number: result.number, via: choice.provider.name };
  } catch (err) {
    if (err instanceof PullRequestError) return { status: "failed", reason: err.message };
    throw err;
  }
}

/** The options of one repository: its settings applied (command-line branch and base win). */
interface RepoBranchOptions extends BranchOptions {
  readonly settings?: Settings;
  /** The configuration file the base came from, when it did. */
  readonly baseFrom?: string;
}

function forRepo(given: string, options: BranchOptions): RepoBranchOptions | { readonly configError: string } {
  const settings = options.settingsFor?.(given);
  if (!settings) return options;
  if ("configError" in settings) return settings;
  const baseFrom = options.base === undefined && settings.base !== undefined ? settings.configFile : undefined;
  return {
    ...options,
    settings,
    codemods: settings.codemods,
    ...(options.branch ?? settings.branch ? { branch: options.branch ?? settings.branch } : {}),
    ...(options.base ?? settings.base ? { base: options.base ?? settings.base } : {}),
    ...(baseFrom ? { baseFrom } : {}),
  };
}

/**
 * The fix run's settings in the worktree: the repository's exclude globs (anchored in the
 * user's checkout) moved into the worktree, include-tests and the codemod options.
 */
function worktreeSettings(settings: Settings | undefined, top: string, dir: string): { exclude?: readonly string[]; includeTests?: boolean; codemodOptions?: Record<string, unknown> } {
  // The pull request says the moved values are in the history anyway (they are in the base the
  // branch is built on), and nothing else reads the scan: secrets-to-env's history scan is off.
  const options = settings?.codemodOptions as Record<string, Record<string, unknown>> | undefined;
  const codemodOptions = { ...options, "secrets-to-env": { ...options?.["secrets-to-env"], history: false } };
  if (!settings) return { codemodOptions };
  return { exclude: moveAnchors(settings.exclude, top, dir), includeTests: settings.includeTests, codemodOptions };
}

async function branchRepo(given: string, all: BranchOptions): Promise<RepoOutcome> {
  const options = forRepo(given, all);
  const name = ("configError" in options ? all.branch : options.branch) ?? DEFAULT_BRANCH;
  const push = !!(all.push || all.pr);
  const remote = all.remote ?? "origin";
  const where = push ? remote : "local";
  const outcome = { repo: given, branch: name, where, commits: [] as CommitRecord[], byCodemod: {}, pushed: false, leftovers: NO_LEFTOVERS };
  if ("configError" in options) return { ...outcome, status: "failed", kind: "bad-config", reason: options.configError };
  let plan: Plan | undefined;
  try {
    const target = await locate(given);
    const ref = await branchRef(target.top, name);
    await requireIdentity(target.top);
    plan = push ? await planPush(target.top, ref, remote, options) : await planLocal(target.top, ref, options);
    if (plan.existing) {
      const owner = await inspectBranch(target.top, plan.existing, plan.base);
      if (!owner.ours) {
        return { ...outcome, status: "skipped", kind: "modified-by-others", reason: `branch modified by others: ${owner.reason}; not overwritten`, base: plan.base, head: plan.existing };
      }
    }
    const built = await build(given, target, plan.base, options);
    const byCodemod = counts(built.commits);
    const done = { ...outcome, base: plan.base, byCodemod, leftovers: built.leftovers };
    if (built.commits.length === 0) {
      return { ...done, status: "nothing-to-fix", ...(plan.existing ? { head: plan.existing } : {}) };
    }
    let status: RepoStatus;
    let head = built.tip;
    let commits = built.commits;
    let pushed = false;
    if (plan.existing && (await resolveTree(target.top, plan.existing)) === (await resolveTree(target.top, built.tip))) {
      status = "up-to-date";
      head = plan.existing;
      commits = [];
    } else if (push) {
      await options.onStage?.("push", { repo: given });
      await pushWithLease(target.top, { remote, ref, sha: built.tip, expected: plan.existing, runHooks: !!options.runHooks });
      pushed = true;
      status = plan.existing ? "updated" : "created";
    } else {
      const zero = "0".repeat(built.tip.length);
      try {
        await git(target.top, ["update-ref", "-m", "pyremedy: fix branch", ref, built.tip, plan.existing ?? zero]);
      } catch (err) {
        if (err instanceof GitError) throw new BranchFailure("lease-rejected", `${name} changed during the run; not overwritten (${err.message})`);
        throw err;
      }
      status = plan.existing ? "updated" : "created";
    }
    let pr: PrOutcome | undefined;
    if (options.pr) {
      await options.onStage?.("pr", { repo: given });
      pr = await openPullRequest(target.top, remote, name, plan, built, options);
    }
    return { ...done, status, head, commits, pushed, ...(pr ? { pr } : {}) };
  } catch (err) {
    const kind: FailureKind = err instanceof BranchFailure ? err.kind : "error";
    const reason = err instanceof BranchFailure || err instanceof GitError ? err.message : `internal error: ${(err as Error).message ?? String(err)}`;
    return { ...outcome, status: "failed", kind, reason, ...(plan ? { base: plan.base } : {}) };
  }
}

export function summarizeBranches(repos: readonly RepoOutcome[]): BranchSummary {
  const count = (s: RepoStatus): number => repos.filter((r) => r.status === s).length;
  return {
    repos: repos.length,
    created: count("created"),
    updated: count("updated"),
    upToDate: count("up-to-date"),
    nothingToFix: count("nothing-to-fix"),
    skipped: count("skipped"),
    failed: count("failed"),
    commits: repos.reduce((n, r) => n + r.commits.length, 0),
    pushed: repos.filter((r) => r.pushed).length,
    pullRequests: repos.filter((r) => r.pr && (r.pr.status === "created" || r.pr.status === "updated")).length,
  };
}

/** Every repository in turn (git work is I/O bound and the worktrees are per repository). */
export async function runBranches(options: BranchOptions): Promise<BranchReport> {
  const repos: RepoOutcome[] = [];
  for (const given of options.repos) repos.push(await branchRepo(given, options));
  return { tool: { name: "pyremedy", version: VERSION }, summary: summarizeBranches(repos), repos };
}

/** 2 when a repository failed or a pull request could not be opened; else 0. */
export function branchExitCode(report: BranchReport): number {
  return report.repos.some((r) => r.status === "failed" || r.pr?.status === "failed") ? 2 : 0;
}
