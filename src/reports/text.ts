/**
 * The human report: a coloured unified diff per changed file, what each change does, what was
 * left alone and why, then per-codemod counts and totals.
 *
 * Everything that comes from the scanned code (names, source lines, messages quoting them) is
 * made terminal-safe here (visible.ts): a control sequence in a file name or a line is shown
 * escaped, never acted on; only the colours we add are real escape sequences.
 */
import type { RunReport } from "../engine/report.js";
import { displayPath, visibleDiff, visibleText } from "../visible.js";

export interface Style {
  readonly color: boolean;
}

const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, bold: 1, dim: 2, magenta: 35 } as const;

function paint(style: Style, code: keyof typeof CODES, s: string): string {
  return style.color ? `\u001b[${CODES[code]}m${s}\u001b[0m` : s;
}

function colourDiff(diff: string, style: Style): string {
  if (!style.color) return visibleDiff(diff);
  return visibleDiff(diff)
    .split("\n")
    .map((line) => {
      if (line.startsWith("+++") || line.startsWith("---")) return paint(style, "bold", line);
      if (line.startsWith("@@")) return paint(style, "cyan", line);
      if (line.startsWith("+")) return paint(style, "green", line);
      if (line.startsWith("-")) return paint(style, "red", line);
      return line;
    })
    .join("\n");
}

const DOTENV_STATUS: Record<NonNullable<RunReport["env"][number]["dotenv"]>, string> = {
  added: "added to .env",
  new: "not in .env yet",
  present: "already in .env",
  conflict: "not written to .env",
  unwritable: "not written to .env",
  failed: ".env not written",
};

/** What the report says of a moved value and the git history (text and HTML reports): found, or not (fully) searched. */
export function historyNote(e: RunReport["env"][number]): { readonly text: string; readonly found: boolean } | undefined {
  if (e.history) {
    const more = e.history.commits > 1 ? ` and ${e.history.commits - 1} more` : "";
    return { text: `in the git history (commit ${e.history.commit}${more}): rotate it, removing it from the code does not revoke it`, found: true };
  }
  return e.historyScan ? { text: HISTORY_SCAN[e.historyScan], found: false } : undefined;
}

/** What a value's absence from the history findings means when the history was not (fully) searched. */
const HISTORY_SCAN: Record<NonNullable<RunReport["env"][number]["historyScan"]>, string> = {
  off: "git history not checked (history = false / --no-history): if this value was ever committed, rotate it",
  incomplete: "git history only partly checked (the scan stopped at its time limit): if this value was ever committed, rotate it",
};

export function renderText(report: RunReport, style: Style): string {
  const out: string[] = [];
  const where = (repo: string, path: string): string => displayPath(repo === "." || !repo ? path : `${repo.replace(/\/+$/, "")}/${path}`);
  const text = (s: string): string => visibleText(s);
  for (const f of report.files) {
    if (f.status !== "changed" && !(f.status === "failed" && f.diff)) continue;
    if (f.diff) out.push(colourDiff(f.diff.replace(/\n$/, ""), style));
    for (const c of f.changes) {
      const safety = c.safety === "safe" ? paint(style, "green", "safe") : paint(style, "yellow", "review");
      out.push(`${paint(style, "bold", `${where(f.repo, f.path)}:${c.line}:${c.column}`)} ${paint(style, "magenta", c.codemod)} [${safety}] ${text(c.description)}`);
    }
    out.push("");
  }
  const notices = report.files.flatMap((f) => f.notices.map((n) => ({ f, n })));
  if (notices.length) {
    out.push(paint(style, "bold", "Not changed (check by hand):"));
    for (const { f, n } of notices) out.push(`  ${where(f.repo, f.path)}:${n.line}:${n.column} ${paint(style, "magenta", n.codemod)} ${text(n.message)}`);
    out.push("");
  }
  const unused = report.files.flatMap((f) => (f.unusedIgnores ?? []).map((u) => ({ f, u })));
  if (unused.length) {
    out.push(paint(style, "bold", "Unused suppressions (they silenced nothing):"));
    for (const { f, u } of unused) {
      const why = u.unused.length === 0 ? "" : ` (${u.unused.map((id) => (u.unknown?.includes(id) ? `no codemod '${id}'` : id)).join(", ")})`;
      out.push(`  ${where(f.repo, f.path)}:${u.line}:${u.column} ${text(u.marker + why)}`);
    }
    out.push("");
  }
  const skipped = report.files.filter((f) => f.status === "skipped");
  if (skipped.length) {
    out.push(paint(style, "bold", "Skipped:"));
    for (const f of skipped) out.push(`  ${where(f.repo, f.path)}: ${text(f.reason ?? "")}`);
    out.push("");
  }
  const failed = report.files.filter((f) => f.status === "failed");
  if (failed.length) {
    out.push(paint(style, "bold", paint(style, "red", "Failed:")));
    for (const f of failed) out.push(`  ${where(f.repo, f.path)}: ${text(f.reason ?? "")}`);
    out.push("");
  }
  if (report.env.length) {
    const envFiles = [...new Set(report.env.map((e) => displayPath(e.dotenvFile ?? ".env")))].join(", ");
    out.push(paint(style, "bold", `Environment variables to set (values are never printed${report.write ? "" : `; --write puts them in ${envFiles}`}):`));
    for (const e of report.env) {
      const status = e.dotenv ? ` [${DOTENV_STATUS[e.dotenv].replace(".env", displayPath(e.dotenvFile ?? ".env"))}]` : "";
      out.push(`  ${text(e.name)}${e.provider ? ` (${text(e.provider)})` : ""}: ${e.files.map(displayPath).join(", ")}${status}`);
      if (e.message) out.push(`    ${paint(style, "yellow", text(e.message))}`);
      const history = historyNote(e);
      if (history) out.push(`    ${paint(style, history.found ? "red" : "yellow", history.text)}`);
    }
    out.push("");
  }
  return (out.length ? out.join("\n") + "\n" : "") + renderSummary(report, style);
}

/** Per repository (when there are several): files changed/skipped/failed and changes per codemod. */
function repoTable(report: RunReport): string[] {
  const repos = report.repos ?? [...new Set(report.files.map((f) => f.repo))];
  if (repos.length < 2) return [];
  const ids = Object.keys(report.summary.byCodemod).filter((id) => report.summary.byCodemod[id]! > 0);
  const rows = repos.map((repo) => {
    const files = report.files.filter((f) => f.repo === repo);
    const count = (status: string): number => files.filter((f) => f.status === status).length;
    const changes = files.flatMap((f) => f.changes);
    return [displayPath(repo), count("changed"), count("skipped"), count("failed"), ...ids.map((id) => changes.filter((c) => c.codemod === id).length)].map(String);
  });
  const head = ["repo", "changed", "skipped", "failed", ...ids];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  return [line(head), ...rows.map(line), ""];
}

/** The end of the text report, and all that stdout carries when the report goes to --output. */
export function renderSummary(report: RunReport, style: Style): string {
  const out: string[] = repoTable(report);
  const s = report.summary;
  const counts = Object.entries(s.byCodemod).filter(([, n]) => n > 0);
  if (counts.length) {
    for (const [id, n] of counts) out.push(`  ${id.padEnd(16)} ${n} change${n === 1 ? "" : "s"}`);
  }
  const verb = report.write ? "fixed" : "would change";
  out.push(
    `${s.changes} change${s.changes === 1 ? "" : "s"} in ${s.filesChanged} file${s.filesChanged === 1 ? "" : "s"} ${verb}` +
      ` (${s.filesScanned} scanned, ${s.filesSkipped} skipped, ${s.filesFailed} failed, ${s.repos} repo${s.repos === 1 ? "" : "s"})`,
  );
  if (!report.write && s.filesChanged > 0) out.push(paint(style, "dim", "Preview only: run again with --write to apply."));
  return out.join("\n") + "\n";
}
