/**
 * Batch runs: which repositories a run covers. Repositories come from the command line and from
 * a `--repos` file; `--shard K/N` keeps a deterministic slice of that list so a CI matrix can
 * spread a fleet over machines. Pure, except for reading the list file.
 */
import fs from "node:fs";
import path from "node:path";

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export class BatchError extends Error {}

/**
 * The entries of a repository list: one path per line; blank lines and `#` comments (whole
 * lines, or after whitespace) are ignored; surrounding whitespace is trimmed.
 */
export function parseRepoList(text: string): string[] {
  const repos: string[] = [];
  for (const raw of text.split(/\r?\n|\r/)) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (line) repos.push(line);
  }
  return repos;
}

function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}

/**
 * Read a `--repos` file. Relative entries are relative to the file's own directory (so one list
 * works from any working directory) and are reported relative to `cwd`.
 */
export function readRepoList(file: string, cwd = process.cwd()): string[] {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(cwd, file), "utf8");
  } catch (err) {
    throw new BatchError(`cannot read --repos ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const base = path.dirname(path.resolve(cwd, file));
  return parseRepoList(text).map((entry) => {
    if (path.isAbsolute(entry)) return entry;
    return toPosix(path.relative(cwd, path.resolve(base, entry))) || ".";
  });
}

/** `K/N` with 1 ≤ K ≤ N. */
export function parseShard(spec: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  if (!m) throw new BatchError(`--shard must look like K/N (e.g. 2/5), not '${spec}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new BatchError(`--shard ${spec}: K must be between 1 and N`);
  return { index, count };
}

/**
 * The K-th of N slices: the repository at (0-based) position i of the list goes to shard
 * (i mod N) + 1. Slices are disjoint, cover the list, differ in size by at most one, and
 * appending repositories to the list never moves the ones already there.
 */
export function shardOf<T>(list: readonly T[], shard: Shard): T[] {
  return list.filter((_, i) => i % shard.count === shard.index - 1);
}

/** The same repository named twice (`a`, `./a/`, `/abs/a`) is run once, at its first place. */
export function dedupeRepos(repos: readonly string[], cwd = process.cwd()): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const repo of repos) {
    const key = path.resolve(cwd, repo);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(repo);
  }
  return out;
}

export interface RepoSelection {
  /** Paths named on the command line. */
  readonly positional: readonly string[];
  /** `--repos FILE`. */
  readonly reposFile?: string;
  /** `--shard K/N`. */
  readonly shard?: string;
}

/**
 * The repositories of this run: command-line paths, then the `--repos` entries, deduplicated,
 * then sharded. With neither, the current directory.
 */
export function selectRepos(selection: RepoSelection, cwd = process.cwd()): string[] {
  const listed = selection.reposFile ? readRepoList(selection.reposFile, cwd) : [];
  const named = [...selection.positional, ...listed];
  if (selection.reposFile && named.length === 0) throw new BatchError(`--repos ${selection.reposFile} lists no repository`);
  const repos = dedupeRepos(named.length ? named : ["."], cwd);
  return selection.shard ? shardOf(repos, parseShard(selection.shard)) : repos;
}
