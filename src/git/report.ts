/**
 * The `branch` report: a few lines per repository (branch, commits, pushed, pull request) and
 * a total, or JSON. Paths from repositories are shown quoted when they are not printable, and
 * controls in messages (git's output quotes file names) are escaped: the text goes to a terminal.
 */
import type { BranchReport, RepoOutcome } from "./branch.js";
import { displayPath } from "./commit.js";
import { visibleText as text } from "../visible.js";

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

const VERB: Record<RepoOutcome["status"], string> = {
  created: "created",
  updated: "updated",
  "up-to-date": "already up to date",
  "nothing-to-fix": "nothing to fix",
  skipped: "skipped",
  failed: "failed",
};

function repoLines(r: RepoOutcome): string[] {
  const where = r.where === "local" ? "" : ` on ${r.where}`;
  const name = displayPath(r.repo);
  if (r.status === "failed") return [`${name}: failed (${r.kind}): ${text(r.reason ?? "")}`];
  if (r.status === "skipped") return [`${name}: ${r.branch}${where} skipped: ${text(r.reason ?? "")}`];
  if (r.status === "nothing-to-fix") return [`${name}: nothing to fix on ${r.base?.slice(0, 12)}`];
  const lines: string[] = [];
  const total = Object.values(r.byCodemod).reduce((a, b) => a + b, 0);
  const commits = r.status === "up-to-date" ? "no new commits" : plural(r.commits.length, "commit");
  lines.push(`${name}: ${r.branch}${where} ${VERB[r.status]} (${commits}, ${plural(total, "change")}) on ${r.base?.slice(0, 12)} → ${r.head?.slice(0, 12)}`);
  for (const c of r.commits) {
    lines.push(`  ${c.sha.slice(0, 12)} ${text(c.subject)} — ${plural(c.changes, "change")} in ${plural(c.files.length, "file")}`);
    if (c.withheld.length) lines.push(`    kept out of the commit: ${c.withheld.map(displayPath).join(", ")}`);
  }
  if (r.pushed) lines.push(`  pushed to ${r.where}`);
  if (r.pr) {
    const pr = r.pr;
    lines.push(`  pull request ${pr.status}: ${text("url" in pr ? pr.url : pr.reason)}`);
  }
  const env = [...new Set(r.commits.flatMap((c) => c.env.map((e) => e.name)))];
  const movers = r.commits.filter((c) => c.env.length).map((c) => c.codemod);
  if (env.length) {
    lines.push(`  environment variables to set: ${env.join(", ")} (values are not on the branch; \`pyremedy fix --select ${movers.join(",")} --write\` in your checkout writes them to .env)`);
  }
  for (const f of r.leftovers.failed) lines.push(`  not changed: ${displayPath(f.path)}: ${text(f.reason)}`);
  return lines;
}

export function renderBranchText(report: BranchReport): string {
  const out = report.repos.flatMap(repoLines);
  const s = report.summary;
  const parts = [
    s.created && `${s.created} created`,
    s.updated && `${s.updated} updated`,
    s.upToDate && `${s.upToDate} up to date`,
    s.nothingToFix && `${s.nothingToFix} with nothing to fix`,
    s.skipped && `${s.skipped} skipped`,
    s.failed && `${s.failed} failed`,
  ].filter(Boolean);
  out.push(`${plural(s.repos, "repo")}: ${parts.join(", ") || "none"}; ${plural(s.commits, "commit")}, ${s.pushed} pushed, ${plural(s.pullRequests, "pull request")}`);
  return out.join("\n") + "\n";
}

export function renderBranchJson(report: BranchReport): string {
  const repos = report.repos.map((r) => ({
    repo: r.repo,
    status: r.status,
    ...(r.kind ? { kind: r.kind } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    branch: r.branch,
    where: r.where,
    ...(r.base ? { base: r.base } : {}),
    ...(r.head ? { head: r.head } : {}),
    byCodemod: r.byCodemod,
    commits: r.commits.map((c) => ({
      codemod: c.codemod,
      sha: c.sha,
      subject: c.subject,
      changes: c.changes,
      files: c.files.map((f) => ({ path: f.path, changes: f.changes })),
      otherFiles: c.otherFiles,
      withheld: c.withheld,
      env: c.env,
    })),
    pushed: r.pushed,
    ...(r.pr ? { pr: r.pr } : {}),
    notices: r.leftovers.notices.map((n) => ({ path: n.path, ...n.notice })),
    failed: r.leftovers.failed,
  }));
  return JSON.stringify({ tool: report.tool, summary: report.summary, repos }, null, 2) + "\n";
}
