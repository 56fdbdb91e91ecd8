/**
 * The SARIF 2.1.0 report (code scanning, IDE viewers): one run; the rules are the codemods,
 * described by their own metadata; one result per change, located at the change's site, with a
 * `fix` (artifactChanges/replacements) that turns the file into what pyremedy writes; sites left
 * alone are `note` results; skipped and failed files are tool notifications. Secret values are
 * masked.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { diffLines } from "diff";
import type * as Sarif from "sarif";
import type { Codemod, Edit } from "../codemod.js";
import { maskAll } from "../engine/mask.js";
import type { FileReport, FileSource, RunReport } from "../engine/report.js";
import { baseDir, reportPath } from "./paths.js";

const require = createRequire(import.meta.url);

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
const SRCROOT = "%SRCROOT%";

/** The README the rules' help links point into: package.json `homepage`, else the npm page. */
function readmeUrl(): string {
  for (const candidate of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = require(candidate) as { name?: string; homepage?: string };
      if (pkg.name === "pyremedy") return (pkg.homepage ?? "https://www.npmjs.com/package/pyremedy").replace(/#.*$/, "");
    } catch {
      // not at this depth (src/ under vitest, dist/src/ when built)
    }
  }
  return "https://www.npmjs.com/package/pyremedy";
}

/** A relative URI reference for a `/`-separated path. */
function uriOf(relPath: string): string {
  return relPath.split("/").map(encodeURIComponent).join("/");
}

function ruleName(id: string): string {
  return id.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

export function sarifRule(codemod: Codemod, readme = readmeUrl()): Sarif.ReportingDescriptor {
  const help = [codemod.why, "", `Fix safety: ${codemod.safety}. ${codemod.safetyNote}`].join("\n");
  const refs = codemod.references.map((r) => `- [${r.title}](${r.url})`).join("\n");
  return {
    id: codemod.id,
    name: ruleName(codemod.id),
    shortDescription: { text: codemod.title },
    fullDescription: { text: codemod.what, markdown: codemod.what },
    help: { text: help, markdown: refs ? `${help}\n\n${refs}` : help },
    // The README's codemod table (generated from the same metadata); `explain ID` prints the rest.
    helpUri: `${readme}#codemods`,
    defaultConfiguration: { level: "warning" },
    properties: { safety: codemod.safety, peers: [...codemod.peers] },
  };
}

/** 1-based (line, column) of UTF-16 offsets in `text`; lines end at `\r\n` or `\n` (SARIF's default newlines). */
function positions(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}

function replacement(at: ReturnType<typeof positions>, start: number, end: number, text: string): Sarif.Replacement {
  const from = at(start);
  const to = at(end);
  return {
    deletedRegion: { startLine: from.line, startColumn: from.column, endLine: to.line, endColumn: to.column },
    ...(text ? { insertedContent: { text } } : {}),
  };
}

/** The whole file's change as line-level replacements (when the changes cannot be told apart). */
function wholeFileReplacements(source: FileSource, at: ReturnType<typeof positions>): Sarif.Replacement[] {
  const out: Sarif.Replacement[] = [];
  let offset = 0;
  let pending: { start: number; end: number; text: string } | undefined;
  const flush = (): void => {
    if (pending) out.push(replacement(at, pending.start, pending.end, pending.text));
    pending = undefined;
  };
  for (const part of diffLines(source.textBefore, source.textAfter)) {
    if (!part.added && !part.removed) {
      flush();
      offset += part.value.length;
      continue;
    }
    pending ??= { start: offset, end: offset, text: "" };
    if (part.removed) {
      offset += part.value.length;
      pending.end = offset;
    } else {
      pending.text += part.value;
    }
  }
  flush();
  return out;
}

/** The edits of a single pass, all in the coordinates of the text before the fix; undefined otherwise. */
function onePassEdits(source: FileSource): Edit[] | undefined {
  const all = source.edits.flat().map((e, i) => ({ e, i })).sort((a, b) => a.e.start - b.e.start || a.i - b.i).map((x) => x.e);
  let out = "";
  let pos = 0;
  for (const e of all) {
    if (e.start < pos || e.end > source.textBefore.length) return undefined;
    out += source.textBefore.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  return out + source.textBefore.slice(pos) === source.textAfter ? all : undefined;
}

/**
 * A file's fix: the file exactly as pyremedy would write it, as replacements on the file as read.
 * Every result of the file offers this one fix. A change on its own was never checked (the safety
 * net re-parses and re-runs the whole file's result) and may lean on another change of the same
 * file (the logger one change adds, the import the other needs), so no smaller fix is offered.
 * The replacements are the codemods' own edits when one pass applied them all, else line hunks.
 */
function fileFix(source: FileSource): Sarif.Replacement[] {
  const at = positions(source.textBefore);
  const edits = onePassEdits(source);
  return edits ? edits.map((e) => replacement(at, e.start, e.end, e.text)) : wholeFileReplacements(source, at);
}

export function renderSarif(report: RunReport, codemods: readonly Codemod[], cwd = process.cwd()): string {
  const readme = readmeUrl();
  const ruleIndex = new Map(codemods.map((c, i) => [c.id, i]));
  const rules = codemods.map((c) => sarifRule(c, readme));
  const results: Sarif.Result[] = [];
  const notifications: Sarif.Notification[] = [];

  const location = (f: FileReport, line?: number, column?: number): Sarif.Location => ({
    physicalLocation: {
      artifactLocation: { uri: uriOf(reportPath(report, f, cwd)), uriBaseId: SRCROOT },
      ...(line ? { region: { startLine: line, ...(column ? { startColumn: column } : {}) } } : {}),
    },
  });
  const rule = (id: string): Pick<Sarif.Result, "ruleId" | "ruleIndex"> => {
    const index = ruleIndex.get(id);
    return index === undefined ? { ruleId: id } : { ruleId: id, ruleIndex: index };
  };

  for (const f of report.files) {
    const secrets = f.source?.secrets ?? [];
    const mask = (s: string): string => maskAll(s, secrets);
    const replacements = f.source ? fileFix(f.source) : undefined;
    // A replacement that would carry a secret is left out rather than masked into a wrong fix.
    const fixable = replacements?.every((r) => !r.insertedContent?.text || mask(r.insertedContent.text) === r.insertedContent.text);
    const uri = uriOf(reportPath(report, f, cwd));
    const fix: Sarif.Fix | undefined = replacements && fixable
      ? {
          description: { text: `All ${f.changes.length} pyremedy change${f.changes.length === 1 ? "" : "s"} in this file, applied together (the file as pyremedy writes it)` },
          artifactChanges: [{ artifactLocation: { uri, uriBaseId: SRCROOT }, replacements }],
        }
      : undefined;
    for (const c of f.changes) {
      const result: Sarif.Result = {
        ...rule(c.codemod),
        level: "warning",
        kind: "fail",
        message: { text: mask(c.note ? `${c.description}. Review: ${c.note}` : c.description) },
        locations: [location(f, c.line, c.column)],
        properties: { safety: c.safety, repo: f.repo },
      };
      if (fix) result.fixes = [fix];
      results.push(result);
    }
    for (const n of f.notices) {
      results.push({
        ...rule(n.codemod),
        level: "note",
        kind: "review",
        message: { text: mask(n.message) },
        locations: [location(f, n.line, n.column)],
        properties: { repo: f.repo, notice: true },
      });
    }
    if (f.status === "skipped" || f.status === "failed") {
      notifications.push({
        level: f.status === "failed" ? "error" : "note",
        message: { text: mask(`${f.status}: ${f.reason ?? "no reason given"}`) },
        locations: [location(f)],
      });
    }
  }

  const log: Sarif.Log = {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [{
      tool: { driver: { name: report.tool.name, version: report.tool.version, semanticVersion: report.tool.version, informationUri: readme, rules } },
      originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(baseDir(report, cwd)).href.replace(/\/?$/, "/") } },
      columnKind: "utf16CodeUnits",
      invocations: [{ executionSuccessful: report.summary.filesFailed === 0, toolExecutionNotifications: notifications }],
      results,
      properties: { summary: { ...report.summary } },
    }],
  };
  return JSON.stringify(log, null, 2) + "\n";
}
