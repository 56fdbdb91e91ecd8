/**
 * Was a moved secret ever committed? Removing a credential from the code does not remove it
 * from the repository's history, so every moved value is looked up in `git log -p --all`. The
 * log is streamed and searched here, in-process: a secret never becomes a command-line
 * argument (`git log -S<secret>` would show it to every user of the machine via ps).
 */
import { spawn } from "node:child_process";
import { StringDecoder } from "node:string_decoder";
import { gitEnv } from "../git/git.js";

export interface HistoryHit {
  /** The newest commit (full hash) whose diff adds or removes the value. */
  readonly commit: string;
  /** How many commits' diffs carry it. */
  readonly commits: number;
}

export interface HistoryScan {
  /** Secret → where it was seen; secrets never seen are absent. */
  readonly hits: Map<string, HistoryHit>;
  /** False when the scan stopped early (time limit); absent secrets may still be in the history. */
  readonly complete: boolean;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const CONFIG = ["-c", "core.pager=cat", "-c", "diff.external=", "-c", "core.quotePath=false"];

/** What to look for: the value, or for a multi-line value (a PEM key) its longest line, which a diff shows whole. */
function needle(secret: string): string {
  if (!/[\r\n]/.test(secret)) return secret;
  return secret.split(/\r\n|\r|\n/).map((l) => l.trim()).sort((a, b) => b.length - a.length)[0] ?? secret;
}

function run(root: string, args: readonly string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn("git", [...CONFIG, ...args], { cwd: root, env: gitEnv(), stdio: "ignore", windowsHide: true });
    child.on("error", () => resolve(false));
    child.on("close", (code) => resolve(code === 0));
  });
}

/**
 * Scan the history of the git repository holding `root` for `secrets`. Undefined when `root`
 * is not in a git repository (or git is missing).
 */
export async function scanHistory(root: string, secrets: readonly string[], options: { timeoutMs?: number } = {}): Promise<HistoryScan | undefined> {
  if (secrets.length === 0) return { hits: new Map(), complete: true };
  if (!(await run(root, ["rev-parse", "--is-inside-work-tree"]))) return undefined;
  if (!(await run(root, ["rev-parse", "--verify", "--quiet", "HEAD"]))) return { hits: new Map(), complete: true };
  const needles = secrets.map((s) => ({ secret: s, needle: needle(s) })).filter((n) => n.needle.length > 0);
  const hits = new Map<string, { commit: string; commits: number }>();
  return new Promise((resolve) => {
    const args = [...CONFIG, "log", "-p", "--all", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "--format=%x00%H"];
    const child = spawn("git", args, { cwd: root, env: gitEnv(), stdio: ["ignore", "pipe", "ignore"], windowsHide: true });
    const decoder = new StringDecoder("utf8");
    let commit = "";
    let seenHere = new Set<string>();
    let rest = "";
    let complete = true;
    const timer = setTimeout(() => {
      complete = false;
      child.kill();
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const line = (l: string): void => {
      if (l.startsWith("\0")) {
        commit = l.slice(1).trim();
        seenHere = new Set();
        return;
      }
      if (!(l.startsWith("+") || l.startsWith("-")) || l.startsWith("+++ ") || l.startsWith("--- ")) return;
      for (const n of needles) {
        if (seenHere.has(n.secret) || !l.includes(n.needle)) continue;
        seenHere.add(n.secret);
        const hit = hits.get(n.secret);
        if (hit) hit.commits++;
        else hits.set(n.secret, { commit, commits: 1 });
      }
    };
    child.stdout!.on("data", (chunk: Buffer) => {
      const text = rest + decoder.write(chunk);
      const lines = text.split("\n");
      rest = lines.pop()!;
      for (const l of lines) line(l);
    });
    child.on("error", () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      line(rest + decoder.end());
      if (code !== 0 && complete) complete = false;
      resolve({ hits, complete });
    });
  });
}
