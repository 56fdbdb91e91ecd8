/**
 * The only way pyremedy drives git: `execFile("git", [...])` with an argument array, never a
 * shell. Callers put `--` before paths and pass only validated refs (see refs.ts), so no
 * string read from a repository can become an option. Paths that come from a repository go
 * through stdin with -z (see commit.ts), never through argv.
 */
import { execFile, execFileSync } from "node:child_process";

/**
 * Settings for every call: no automatic gc/maintenance racing with our worktree removal,
 * no pager, no fsmonitor hook (a command named in the repository's config that git would run
 * on every status or index refresh), and git's own messages in a stable language so they can
 * be quoted to the user.
 */
const BASE_CONFIG = ["-c", "gc.auto=0", "-c", "maintenance.auto=false", "-c", "core.pager=cat", "-c", "core.fsmonitor=false"];

/** Variables that would point git at another repository or index than the one we name. */
const REPOSITORY_VARIABLES = [
  "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM",
];

export function gitEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, LC_ALL: "C", GIT_PAGER: "cat", GIT_OPTIONAL_LOCKS: "0" };
  for (const name of REPOSITORY_VARIABLES) delete env[name];
  return env;
}

export interface GitOptions {
  /** Written to git's stdin. */
  readonly input?: string | Uint8Array;
  /** Extra `-c key=value` settings (placed before the subcommand). */
  readonly config?: readonly string[];
  /** Exit codes that are answers rather than failures (e.g. 1 for `diff --quiet`). */
  readonly allowExit?: readonly number[];
  /**
   * Let the repository's hooks run. Off by default: hooks (e.g. husky's tracked `core.hooksPath`)
   * are code from the repository, and some run on plain ref updates (reference-transaction).
   */
  readonly hooks?: boolean;
}

export interface GitResult {
  readonly code: number;
  readonly stdout: string;
  readonly stdoutBytes: Buffer;
  readonly stderr: string;
}

export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly code: number | null,
    readonly stderr: string,
    readonly stdout: string,
  ) {
    super(`git ${args[0] ?? ""} failed${code === null ? "" : ` (exit ${code})`}: ${firstLines(stderr || stdout) || "no output"}`);
  }
}

/** The lines of git's message that say what went wrong (its hints are dropped). */
export function firstLines(text: string, max = 3): string {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("hint:"))
    .slice(0, max)
    .join(" / ");
}

function fullArgs(args: readonly string[], options: GitOptions): string[] {
  const config = [...(options.hooks ? [] : ["core.hooksPath=/dev/null"]), ...(options.config ?? [])].flatMap((kv) => ["-c", kv]);
  return [...BASE_CONFIG, ...config, ...args];
}

export function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      fullArgs(args, options),
      { cwd, env: gitEnv(), encoding: "buffer", maxBuffer: 512 * 1024 * 1024, windowsHide: true },
      (error, stdoutBytes, stderrBytes) => {
        const stdout = stdoutBytes.toString("utf8");
        const stderr = stderrBytes.toString("utf8");
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        if (error && (code === null || !(options.allowExit ?? []).includes(code))) {
          const spawnFailure = typeof error.code === "string" ? `${error.code}: ${error.message}` : "";
          reject(new GitError(args, code, stderr || spawnFailure, stdout));
          return;
        }
        resolve({ code: code ?? 0, stdout, stdoutBytes, stderr });
      },
    );
    child.stdin?.on("error", () => { /* git exited before reading all input; its exit code says why */ });
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** For the exit path only (process 'exit' handlers must be synchronous). Never throws. */
export function gitSyncQuiet(cwd: string, args: readonly string[]): boolean {
  try {
    execFileSync("git", fullArgs(args, {}), { cwd, env: gitEnv(), stdio: "ignore", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}
