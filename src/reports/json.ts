import type { RunReport } from "../engine/report.js";

/** The JSON report of DESIGN.md. */
export function renderJson(report: RunReport): string {
  const files = report.files.map((f) => ({
    repo: f.repo,
    path: f.path,
    status: f.status,
    ...(f.reason ? { reason: f.reason } : {}),
    ...(f.changes.length ? { changes: f.changes } : {}),
    ...(f.notices.length ? { notices: f.notices } : {}),
    ...(f.diff ? { diff: f.diff } : {}),
    ...(f.unusedIgnores?.length ? { unusedIgnores: f.unusedIgnores } : {}),
  }));
  return JSON.stringify({ tool: report.tool, summary: report.summary, files, env: report.env }, null, 2) + "\n";
}
