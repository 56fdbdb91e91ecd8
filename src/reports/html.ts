/**
 * The HTML report: one self-contained page for reviewing a batch — a summary table per
 * repository, then every changed file with each change's explanation and safety and its diff
 * (rendered by diff2html, whose stylesheet is inlined). No script, and a Content-Security-Policy
 * that forbids every fetch, so the page works offline and never calls out. Diffs come from the
 * report, where secret values are already masked; every other text is masked again here.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import { html as diffToHtml } from "diff2html";
import { historyNote } from "./text.js";
import { maskAll } from "../engine/mask.js";
import type { FileReport, RunReport } from "../engine/report.js";
import { reposOf } from "./paths.js";

const require = createRequire(import.meta.url);

let diffCss: string | undefined;
function diff2htmlCss(): string {
  diffCss ??= fs.readFileSync(require.resolve("diff2html/bundles/css/diff2html.min.css"), "utf8");
  return diffCss;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** The git-history line of a moved value, as in the text report. */
function historyHtml(e: RunReport["env"][number]): string {
  const note = historyNote(e);
  return note ? `<br><span style="color:${note.found ? "#b42318" : "#8a6d00"}">${esc(note.text)}</span>` : "";
}

const PAGE_CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1400px; padding: 1rem 2rem 4rem; color: #1f2328; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; }
h3 { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 1rem; margin: 1.5rem 0 .5rem; }
table.summary { border-collapse: collapse; margin: 1rem 0; }
table.summary th, table.summary td { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: right; }
table.summary th:first-child, table.summary td:first-child { text-align: left; }
table.summary tr.total td { font-weight: 600; }
.status { font: 600 .75rem system-ui, sans-serif; padding: .1rem .45rem; border-radius: 1rem; margin-left: .5rem; vertical-align: middle; }
.status.changed { background: #dafbe1; color: #1a7f37; } .status.failed { background: #ffebe9; color: #cf222e; }
.status.skipped { background: #fff8c5; color: #9a6700; } .status.unchanged { background: #eaeef2; color: #57606a; }
ul.changes { list-style: none; padding: 0; margin: .3rem 0 .8rem; }
ul.changes li { margin: .2rem 0; }
.loc { font-family: ui-monospace, monospace; color: #57606a; }
.codemod { font-family: ui-monospace, monospace; font-weight: 600; }
.safety { font-size: .75rem; padding: .05rem .4rem; border-radius: .3rem; }
.safety.safe { background: #dafbe1; color: #1a7f37; } .safety.review { background: #fff8c5; color: #9a6700; }
.note { color: #57606a; margin-left: 1.5rem; }
.muted { color: #57606a; }
`;

function statusBadge(status: string): string {
  return `<span class="status ${esc(status)}">${esc(status)}</span>`;
}

interface RepoCounts {
  files: number;
  changed: number;
  skipped: number;
  failed: number;
  changes: number;
  byCodemod: Record<string, number>;
}

function countRepo(files: readonly FileReport[]): RepoCounts {
  const counts: RepoCounts = { files: files.length, changed: 0, skipped: 0, failed: 0, changes: 0, byCodemod: {} };
  for (const f of files) {
    if (f.status === "changed") counts.changed++;
    if (f.status === "skipped") counts.skipped++;
    if (f.status === "failed") counts.failed++;
    for (const c of f.changes) {
      counts.changes++;
      counts.byCodemod[c.codemod] = (counts.byCodemod[c.codemod] ?? 0) + 1;
    }
  }
  return counts;
}

function summaryTable(report: RunReport, groups: readonly { repo: string; files: FileReport[] }[]): string {
  const codemods = Object.keys(report.summary.byCodemod).filter((id) => report.summary.byCodemod[id]! > 0);
  const head = ["repository", "files", "changed", "skipped", "failed", "changes", ...codemods].map((h) => `<th>${esc(h)}</th>`).join("");
  const row = (label: string, c: RepoCounts, href?: string, cls = ""): string =>
    `<tr${cls ? ` class="${cls}"` : ""}><td>${href ? `<a href="#${href}">${esc(label)}</a>` : esc(label)}</td>` +
    [c.files, c.changed, c.skipped, c.failed, c.changes, ...codemods.map((id) => c.byCodemod[id] ?? 0)].map((n) => `<td>${n}</td>`).join("") +
    "</tr>";
  const rows = groups.map((g, i) => row(g.repo, countRepo(g.files), `repo-${i + 1}`));
  const s = report.summary;
  const total = row(`${s.repos} repositor${s.repos === 1 ? "y" : "ies"}`, {
    files: s.filesScanned, changed: s.filesChanged, skipped: s.filesSkipped, failed: s.filesFailed, changes: s.changes, byCodemod: s.byCodemod,
  }, undefined, "total");
  return `<table class="summary"><thead><tr>${head}</tr></thead><tbody>${rows.join("")}${groups.length > 1 ? total : ""}</tbody></table>`;
}

function fileSection(f: FileReport): string {
  const mask = (s: string): string => maskAll(s, f.source?.secrets ?? []);
  const changes = [...f.changes].sort((a, b) => a.line - b.line || a.column - b.column).map((c) =>
    `<li><span class="loc">${c.line}:${c.column}</span> <span class="codemod">${esc(c.codemod)}</span> ` +
    `<span class="safety ${esc(c.safety)}">${esc(c.safety)}</span> ${esc(mask(c.description))}` +
    (c.note ? `<div class="note">Review: ${esc(mask(c.note))}</div>` : "") + "</li>");
  const notices = f.notices.map((n) =>
    `<li><span class="loc">${n.line}:${n.column}</span> <span class="codemod">${esc(n.codemod)}</span> <span class="muted">not changed:</span> ${esc(mask(n.message))}</li>`);
  const diff = f.diff ? diffToHtml(f.diff, { outputFormat: "line-by-line", drawFileList: false, matching: "lines" }) : "";
  return `<article class="file" data-path="${esc(f.path)}"><h3>${esc(f.path)}${statusBadge(f.status)}${f.written ? ' <span class="muted">written</span>' : ""}</h3>` +
    (f.reason ? `<p class="muted">${esc(mask(f.reason))}</p>` : "") +
    (changes.length || notices.length ? `<ul class="changes">${changes.join("")}${notices.join("")}</ul>` : "") +
    diff + "</article>";
}

export function renderHtml(report: RunReport): string {
  const byRepo = new Map<string, FileReport[]>(reposOf(report).map((r) => [r, []]));
  for (const f of report.files) {
    if (!byRepo.has(f.repo)) byRepo.set(f.repo, []);
    byRepo.get(f.repo)!.push(f);
  }
  const groups = [...byRepo].map(([repo, files]) => ({ repo, files }));
  const s = report.summary;
  const sections = groups.map((g, i) => {
    const shown = g.files.filter((f) => f.changes.length || f.notices.length || f.diff || (f.status !== "unchanged" && f.path));
    const shownSet = new Set(shown);
    const problems = g.files.filter((f) => !f.path && f.status !== "unchanged");
    const unchanged = g.files.filter((f) => !shownSet.has(f) && !problems.includes(f));
    const paths = new Set(g.files.map((f) => f.path));
    const env = report.env.filter((e) => e.files.some((file) => paths.has(file)));
    const c = countRepo(g.files);
    return `<section class="repo" id="repo-${i + 1}" data-repo="${esc(g.repo)}"><h2>${esc(g.repo)}</h2>` +
      `<p class="muted">${c.files} file${c.files === 1 ? "" : "s"}: ${c.changed} changed, ${c.skipped} skipped, ${c.failed} failed; ${c.changes} change${c.changes === 1 ? "" : "s"}.</p>` +
      problems.map((f) => `<p>${statusBadge(f.status)} ${esc(f.reason ?? "")}</p>`).join("") +
      shown.map(fileSection).join("") +
      (env.length ? `<h3>Environment variables to set</h3><ul>${env.map((e) => `<li><code>${esc(e.name)}</code>${e.provider ? ` (${esc(e.provider)})` : ""}: ${e.files.map(esc).join(", ")}${historyHtml(e)}</li>`).join("")}</ul>` : "") +
      (unchanged.length
        ? `<details class="unchanged" open><summary>${unchanged.length} unchanged file${unchanged.length === 1 ? "" : "s"}</summary><ul>${unchanged.map((f) => `<li class="file" data-path="${esc(f.path)}">${esc(f.path)}</li>`).join("")}</ul></details>`
        : "") +
      "</section>";
  });
  const verb = report.write ? "fixed" : "would change";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pyremedy report</title>
<style>${diff2htmlCss()}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<header><h1>pyremedy report</h1>
<p class="muted">${esc(report.tool.name)} ${esc(report.tool.version)} — ${s.changes} change${s.changes === 1 ? "" : "s"} in ${s.filesChanged} file${s.filesChanged === 1 ? "" : "s"} ${verb} (${s.filesScanned} scanned, ${s.filesSkipped} skipped, ${s.filesFailed} failed, ${s.repos} repo${s.repos === 1 ? "" : "s"})${report.write ? "" : ". Preview only: nothing was written."}</p>
</header>
<main>
${summaryTable(report, groups)}
${sections.join("\n")}
</main>
</body>
</html>
`;
}
