/**
 * A whole run: discover → read → process (pure, on worker threads) → write → report. The only
 * module here that reads and writes project files. A run covers one or more repositories; each
 * is discovered on its own, files are grouped by repository in the order given, and every
 * outcome lands at its own place, so the report does not depend on the number of workers.
 */
import os from "node:os";
import type { Codemod, EnvEntry } from "../codemod.js";
import { VERSION } from "../version.js";
import { initPython } from "../python/parser.js";
import { unifiedDiff } from "./diff.js";
import { maskAll } from "./mask.js";
import { discover, type DiscoveryProblem, type Target } from "./discover.js";
import { envFileFailures, envFilesSettings, envStatus, settleEnvFiles, type EnvFilesOutcome } from "./env-files.js";
import { heldWriter, type HeldWrite } from "./held-writes.js";
import type { FileOutcome } from "./process.js";
import { noProgress, type Progress } from "./progress.js";
import { changeReport, summarize, type EnvReport, type FileReport, type RunReport } from "./report.js";
import { createExecutor, type Task } from "./workers.js";
import { readSource } from "./read.js";
import { writeAtomic, WriteError } from "./write.js";

export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;

/** `--jobs` default: every core the process may use. */
export function defaultJobs(): number {
  return Math.max(1, os.availableParallelism());
}

/** What may differ from one repository to the next (each has its own pyproject.toml). */
export interface RepoSettings {
  readonly codemods: readonly Codemod[];
  readonly exclude?: readonly string[];
  readonly includeTests?: boolean;
  readonly codemodOptions?: Record<string, unknown>;
}

export interface RunOptions extends RepoSettings {
  /** Repositories (or directories, or files) to run on, in report order. */
  readonly paths: readonly string[];
  /**
   * The settings of a path given, when it has its own; otherwise the options' (codemods,
   * exclude, includeTests, codemodOptions). `codemods` then lists every codemod of the run,
   * for the summary.
   */
  readonly settingsOf?: (path: string) => RepoSettings | undefined;
  /**
   * Paths not to run, each with the reason (an invalid configuration): each is reported as a
   * failed repository (`path: ""`), like a missing one, and the other paths run.
   */
  readonly refused?: ReadonlyMap<string, string>;
  readonly write?: boolean;
  readonly maxBytes?: number;
  /** Worker threads; 1 processes every file in this thread. Default: available cores. */
  readonly jobs?: number;
  /**
   * Keep each changed file's bytes and texts (FileReport.source) for the reporters that need them
   * (patch, SARIF, HTML, --verify). Default true; without them a report holds only the diffs, so
   * a large batch's memory stays small.
   */
  readonly keepSources?: boolean;
  readonly progress?: Progress;
}

type Entry =
  | { readonly kind: "target"; readonly target: Target; /** Index of its settings. */ readonly settings: number }
  | { readonly kind: "problem"; readonly problem: DiscoveryProblem };

/** One repository of the run, as reported: its files in path order. */
interface RepoGroup {
  readonly repo: string;
  readonly entries: Entry[];
  /** Files not processed yet; the repository is finished when it drops to 0. */
  remaining: number;
  /** Environment entries (with values) of the changes kept, in file order; set when finished. */
  env?: { readonly relPath: string; readonly entry: EnvEntry }[];
  /**
   * secrets-to-env's repository step (.env, .env.example, .gitignore, history scan), started when
   * finished; with --write, it also writes the files that move values (held-writes.ts).
   */
  envFiles?: Promise<EnvFilesOutcome>;
}

/** Path order that matches discovery's walk: component by component. */
function comparePaths(a: string, b: string): number {
  const pa = a.split("/");
  const pb = b.split("/");
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
  }
  return pa.length - pb.length;
}

const entryPath = (e: Entry): string => (e.kind === "target" ? e.target.relPath : e.problem.relPath);

/**
 * Discover each path on its own and group the results by repository (a file named on the
 * command line belongs to its project root's group). A file reached twice is processed once.
 */
function groupRepos(
  paths: readonly string[],
  settingsOf: (path: string) => { index: number; exclude?: readonly string[] },
  refused: ReadonlyMap<string, string> = new Map(),
): RepoGroup[] {
  const groups = new Map<string, RepoGroup>();
  const seen = new Set<string>();
  for (const given of paths) {
    const reason = refused.get(given);
    let entries: Entry[];
    if (reason !== undefined) {
      entries = [{ kind: "problem", problem: { repo: given, relPath: "", status: "failed", reason } }];
    } else {
      const settings = settingsOf(given);
      const { targets, problems } = discover([given], { exclude: settings.exclude });
      entries = [
        ...problems.map((problem): Entry => ({ kind: "problem", problem })),
        ...targets.filter((t) => !seen.has(t.absPath)).map((target): Entry => ({ kind: "target", target, settings: settings.index })),
      ];
      for (const t of targets) seen.add(t.absPath);
    }
    const repo = entries.length ? (entries[0]!.kind === "target" ? entries[0]!.target.repo : entries[0]!.problem.repo) : given;
    let group = groups.get(repo);
    if (!group) groups.set(repo, (group = { repo, entries: [], remaining: 0 }));
    group.entries.push(...entries);
  }
  for (const group of groups.values()) {
    group.entries.sort((a, b) => comparePaths(entryPath(a), entryPath(b)));
    group.remaining = group.entries.filter((e) => e.kind === "target").length;
  }
  return [...groups.values()];
}

/** Run `fn` over `items` with at most `limit` of them in flight. */
async function pump<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}

function fileReport(target: Target, bytes: Uint8Array, outcome: FileOutcome, keepSources: boolean): FileReport {
  const base = { repo: target.repo, path: target.relPath, ...(outcome.unusedIgnores ? { unusedIgnores: outcome.unusedIgnores } : {}) };
  const secrets = outcome.changes.flatMap((c) => (c.env ?? []).map((e) => e.value));
  if (outcome.status !== "changed") {
    return { ...base, status: outcome.status, ...(outcome.reason ? { reason: outcome.reason } : {}), changes: outcome.changes.map(changeReport), notices: outcome.notices };
  }
  return {
    ...base,
    status: "changed",
    changes: outcome.changes.map(changeReport),
    notices: outcome.notices,
    diff: maskAll(unifiedDiff(target.relPath, outcome.before!, outcome.after!), secrets),
    ...(keepSources && {
      source: {
        bytesBefore: bytes,
        bytesAfter: outcome.output!,
        textBefore: outcome.before!,
        textAfter: outcome.after!,
        edits: outcome.changes.map((c) => c.edits),
        secrets,
      },
    }),
  };
}

export async function runFix(options: RunOptions): Promise<RunReport> {
  await initPython();
  // Each distinct configuration once: the workers are started with the list, and tasks name theirs by index.
  const settings: RepoSettings[] = [];
  const indexOfSettings = new Map<RepoSettings, number>();
  const groups = groupRepos(options.paths, (given) => {
    const own = options.settingsOf?.(given) ?? options;
    let index = indexOfSettings.get(own);
    if (index === undefined) indexOfSettings.set(own, (index = settings.push(own) - 1));
    return { index, exclude: own.exclude };
  }, options.refused);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const progress = options.progress ?? noProgress;

  // Every file gets its place in the report up front; outcomes fill them in whatever order they finish.
  const slots: { group: RepoGroup; target: Target; index: number; settings: number }[] = [];
  const files: (FileReport | undefined)[] = [];
  const envOf: (readonly EnvEntry[] | undefined)[] = [];
  const heldOf: (HeldWrite | undefined)[] = [];
  const writeHeld = heldWriter();
  const indexOf = new Map<Target, number>();
  for (const group of groups) {
    for (const entry of group.entries) {
      const index = files.length;
      if (entry.kind === "problem") {
        const p = entry.problem;
        files.push({ repo: p.repo, path: p.relPath, status: p.status, reason: p.reason, changes: [], notices: [] });
      } else {
        files.push(undefined);
        slots.push({ group, target: entry.target, index, settings: entry.settings });
        indexOf.set(entry.target, index);
      }
    }
  }

  // A repository is finished once its last file is processed (and written, with --write).
  const repoDone = (group: RepoGroup): void => {
    // secrets-to-env's env-file and history options, from the repository's settings.
    const first = group.entries.find((e) => e.kind === "target");
    const envSettings = envFilesSettings(first?.kind === "target" ? settings[first.settings]?.codemodOptions : undefined);
    if (options.write) {
      const held = group.entries.flatMap((e) => (e.kind === "target" ? (heldOf[indexOf.get(e.target)!] ?? []) : []));
      const root = held[0]?.target.root;
      if (!root) return;
      const step = writeHeld(root, held, (h, report) => (files[indexOf.get(h.target)!] = report), envSettings);
      group.env = step.moved;
      group.envFiles = step.settled;
      return;
    }
    group.env = [];
    for (const entry of group.entries) {
      if (entry.kind !== "target") continue;
      for (const env of envOf[indexOf.get(entry.target)!] ?? []) group.env.push({ relPath: entry.target.relPath, entry: env });
    }
    const root = group.entries.find((e) => e.kind === "target")?.target.root;
    if (root && group.env.length) group.envFiles = settleEnvFiles(root, group.env, { ...envSettings, write: !!options.write });
  };
  for (const group of groups) if (group.remaining === 0) repoDone(group);

  const executor = await createExecutor(options.jobs ?? defaultJobs(), slots.length, { settings, maxBytes });
  progress.start(slots.length);
  try {
    await pump(slots, executor.capacity, async ({ group, target, index, settings: which }) => {
      const run = (task: Omit<Task, "settings">): Promise<FileOutcome> => executor.run({ ...task, settings: which });
      files[index] = await processTarget(target, run, options.write ?? false, maxBytes, (env) => (envOf[index] = env), (held) => (heldOf[index] = held), options.keepSources ?? true);
      progress.advance(group.repo);
      if (--group.remaining === 0) repoDone(group);
    });
  } finally {
    progress.stop();
    await executor.close();
  }

  // Files stay grouped by repository, a repository's .env failures after its own files.
  const done: FileReport[] = [];
  let next = 0;
  const env = new Map<string, EnvReport>();
  for (const group of groups) {
    // Held files get their final report once the repository step is through.
    const settled = await group.envFiles;
    done.push(...(files.slice(next, (next += group.entries.length)) as FileReport[]));
    for (const { relPath, entry } of group.env ?? []) {
      const key = `${group.repo}\0${entry.name}`;
      const seen = env.get(key) ?? { name: entry.name, ...(entry.provider ? { provider: entry.provider } : {}), files: [], ...envStatus(settled, entry.name) };
      if (!seen.files.includes(relPath)) seen.files.push(relPath);
      env.set(key, seen);
    }
    done.push(...envFileFailures(group.repo, settled));
  }
  return {
    tool: { name: "pyremedy", version: VERSION },
    summary: summarize(done, options.codemods.map((c) => c.id), groups.length),
    files: done,
    env: [...env.values()],
    write: !!options.write,
    repos: groups.map((g) => g.repo),
  };
}

/** Read, process, and (with --write) write one file. Never throws: a failure is the file's status. */
async function processTarget(
  target: Target,
  run: (task: Omit<Task, "settings">) => Promise<FileOutcome>,
  write: boolean,
  maxBytes: number,
  keepEnv: (env: readonly EnvEntry[]) => void,
  hold: (held: HeldWrite) => void,
  keepSources: boolean,
): Promise<FileReport> {
  const read = readSource(target.absPath, maxBytes);
  if (!read.ok) return { repo: target.repo, path: target.relPath, status: read.status, reason: read.reason, changes: [], notices: [] };
  const bytes = read.bytes;
  const outcome = await run({ root: target.root, relPath: target.relPath, bytes });
  const report = fileReport(target, bytes, outcome, keepSources);
  if (outcome.status === "changed" && write) {
    const env = outcome.changes.flatMap((c) => c.env ?? []);
    if (env.length > 0) {
      // Its values leave the code only once .env holds them: written in the repository step.
      hold({ target, bytes, output: outcome.output!, env, report });
      return report;
    }
    try {
      writeAtomic(target.absPath, bytes, outcome.output!);
    } catch (err) {
      const reason = err instanceof WriteError ? err.message : `write failed: ${(err as Error).message}`;
      const { source: _unwritten, ...rest } = report;
      return { ...rest, status: "failed", reason };
    }
    return { ...report, written: true };
  }
  keepEnv(outcome.changes.flatMap((c) => c.env ?? []));
  return report;
}
