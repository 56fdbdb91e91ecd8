/**
 * Where a reported file lives, for reports meant to be applied or opened (patch, SARIF, HTML):
 * with one repository, relative to its root; with several, prefixed by the repository's path
 * relative to the current directory, so one report covers the whole batch.
 */
import path from "node:path";
import type { RunReport } from "../engine/report.js";

function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}

/** The repositories of a report, in order (older reports: in order of first appearance). */
export function reposOf(report: RunReport): string[] {
  return report.repos ? [...report.repos] : [...new Set(report.files.map((f) => f.repo))];
}

/** The directory the paths of a report are relative to. */
export function baseDir(report: RunReport, cwd = process.cwd()): string {
  const repos = reposOf(report);
  return repos.length === 1 ? path.resolve(cwd, repos[0]!) : cwd;
}

/** "" with one repository; otherwise the repository's path from the current directory, with a trailing `/` (or "" for `.`). */
export function repoPrefix(report: RunReport, repo: string, cwd = process.cwd()): string {
  if (reposOf(report).length === 1) return "";
  const rel = toPosix(path.relative(cwd, path.resolve(cwd, repo)));
  return rel ? `${rel}/` : "";
}

export function reportPath(report: RunReport, file: { readonly repo: string; readonly path: string }, cwd = process.cwd()): string {
  return `${repoPrefix(report, file.repo, cwd)}${file.path}`;
}
