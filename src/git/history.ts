/**
 * Whose commits an existing fix branch carries. A branch pyremedy built is its base plus a
 * first-parent run of single-parent commits, each with a `Pyremedy-Codemod:` trailer. Anything
 * else on it (a reviewer's commit, a merge, a rebase onto foreign history) is someone else's
 * work, and the branch is left alone.
 */
import { git } from "./git.js";
import { CODEMOD_TRAILER } from "./commit.js";

/** A fix branch carries one commit per codemod; far more than this means it is not ours. */
const MAX_OWN_COMMITS = 64;

export type Ownership =
  | { readonly ours: true; readonly base: string; readonly commits: number }
  | { readonly ours: false; readonly reason: string };

interface LogEntry {
  readonly sha: string;
  readonly parents: readonly string[];
  readonly codemod: string;
  readonly author: string;
}

async function firstParentLog(repo: string, tip: string): Promise<LogEntry[]> {
  const format = `%H%x1f%P%x1f%(trailers:key=${CODEMOD_TRAILER},valueonly,separator=%x2c)%x1f%an <%ae>%x1e`;
  const out = (await git(repo, ["log", "--first-parent", `--max-count=${MAX_OWN_COMMITS + 1}`, `--format=${format}`, "--end-of-options", tip])).stdout;
  return out
    .split("\x1e")
    .map((r) => r.replace(/^\n/, ""))
    .filter(Boolean)
    .map((record) => {
      const [sha = "", parents = "", codemod = "", author = ""] = record.split("\x1f");
      return { sha, parents: parents.split(" ").filter(Boolean), codemod: codemod.trim(), author };
    });
}

/**
 * Is every commit between the branch tip and its base ours? `base` is the commit the new
 * branch is built on: the old branch's base must be in its history, or replacing the branch
 * would drop commits that exist nowhere else.
 */
export async function inspectBranch(repo: string, tip: string, base: string): Promise<Ownership> {
  const log = await firstParentLog(repo, tip);
  let own = 0;
  for (const entry of log) {
    if (!entry.codemod) {
      if (own === 0) return { ours: false, reason: `its last commit ${entry.sha.slice(0, 12)} (by ${entry.author}) was not made by pyremedy` };
      const reachable = await git(repo, ["merge-base", "--is-ancestor", "--end-of-options", entry.sha, base], { allowExit: [1] });
      if (reachable.code !== 0) {
        return { ours: false, reason: `it is built on ${entry.sha.slice(0, 12)}, which is not in the history of the base` };
      }
      return { ours: true, base: entry.sha, commits: own };
    }
    if (entry.parents.length !== 1) return { ours: false, reason: `it contains the merge commit ${entry.sha.slice(0, 12)}` };
    own++;
  }
  return { ours: false, reason: "no base commit found below its pyremedy commits" };
}
