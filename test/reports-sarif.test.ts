/**
 * --format sarif: valid SARIF 2.1.0 (checked against the vendored schema), rules from codemod
 * metadata, one result per change whose fix rebuilds exactly the fixed file, secrets masked.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import type * as Sarif from "sarif";
import { beforeAll, describe, expect, it } from "vitest";
import { codemods } from "../codemods/index.js";
import type { RunReport } from "../src/engine/report.js";
import { runFix } from "../src/engine/run.js";
import { renderSarif } from "../src/reports/sarif.js";
import { PLANTED, REPOS, reportWorkspace } from "./report-workspace.js";
import { setup } from "./helpers.js";

const SCHEMA = path.join(path.dirname(fileURLToPath(import.meta.url)), "schemas", "sarif-2.1.0-rtm.5.json");

function validator(): (data: unknown) => string[] {
  // unicodeRegExp off: the schema's `language` pattern has a stray `]`, legal only outside /u.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA, "utf8")));
  return (data) => (validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
}

/**
 * Apply SARIF replacements (1-based line/column, UTF-16, `\n`-separated lines) to `text`, all at
 * once; insertions at one point keep their order (the order of the results).
 */
function applyReplacements(text: string, replacements: readonly Sarif.Replacement[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  const offset = (line: number, column: number): number => starts[line - 1]! + column - 1;
  const spans = replacements.map((r, i) => ({
    start: offset(r.deletedRegion.startLine!, r.deletedRegion.startColumn!),
    end: offset(r.deletedRegion.endLine!, r.deletedRegion.endColumn!),
    text: r.insertedContent?.text ?? "",
    i,
  })).sort((a, b) => a.start - b.start || a.i - b.i);
  let out = "";
  let pos = 0;
  for (const s of spans) {
    expect(s.start).toBeGreaterThanOrEqual(pos); // replacements never overlap
    out += text.slice(pos, s.start) + s.text;
    pos = s.end;
  }
  return out + text.slice(pos);
}

let ws: string;
let report: RunReport;
let log: Sarif.Log;
let text: string;

beforeAll(async () => {
  await setup();
  ws = reportWorkspace();
  report = await runFix({ paths: [...REPOS, "gone"].map((r) => path.join(ws, r)), codemods, jobs: 1 });
  text = renderSarif(report, codemods, ws);
  log = JSON.parse(text);
});

describe("SARIF report", () => {
  it("validates against the SARIF 2.1.0 schema", () => {
    expect(validator()(log)).toEqual([]);
    expect(log.version).toBe("2.1.0");
    expect(log.runs).toHaveLength(1);
  });

  it("the schema check catches a broken log (the test can fail)", () => {
    const broken = JSON.parse(text);
    broken.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0;
    delete broken.runs[0].tool.driver.name;
    expect(validator()(broken).length).toBeGreaterThan(0);
  });

  it("describes every codemod as a rule, from its metadata", () => {
    const rules = log.runs[0]!.tool.driver.rules!;
    expect(rules.map((r) => r.id)).toEqual(codemods.map((c) => c.id));
    for (const [i, c] of codemods.entries()) {
      expect(rules[i]).toMatchObject({ shortDescription: { text: c.title }, fullDescription: { text: c.what } });
      expect(rules[i]!.help!.text).toContain(c.why);
      expect(rules[i]!.helpUri).toMatch(/^https:\/\/.*#codemods$/);
    }
  });

  it("has one result per change, at its site, in the right repository", () => {
    const run = log.runs[0]!;
    const fails = run.results!.filter((r) => r.kind === "fail");
    expect(fails).toHaveLength(report.summary.changes);
    const expected = report.files.flatMap((f) => f.changes.map((c) => ({ f, c })));
    fails.forEach((r, i) => {
      const { f, c } = expected[i]!;
      const loc = r.locations![0]!.physicalLocation!;
      expect(decodeURIComponent(loc.artifactLocation!.uri!)).toBe(`${path.relative(ws, f.repo)}/${f.path}`);
      expect(loc.region).toMatchObject({ startLine: c.line, startColumn: c.column });
      expect(run.tool.driver.rules![r.ruleIndex!]!.id).toBe(c.codemod);
    });
    expect(run.originalUriBaseIds!["%SRCROOT%"]!.uri).toBe(`file://${ws}/`);
  });

  it("every result's fix, applied to the file as read, gives exactly the file pyremedy writes", () => {
    const results = log.runs[0]!.results!.filter((r) => r.kind === "fail");
    let i = 0;
    let checked = 0;
    let precise = 0;
    for (const f of report.files) {
      const mine = results.slice(i, i + f.changes.length);
      i += f.changes.length;
      if (!f.source) continue;
      for (const r of mine) {
        const change = r.fixes![0]!.artifactChanges[0]!;
        expect(decodeURIComponent(change.artifactLocation.uri!)).toBe(`${path.relative(ws, f.repo)}/${f.path}`);
        expect(applyReplacements(f.source.textBefore, change.replacements), f.path).toBe(f.source.textAfter);
        checked++;
      }
      // One pass: the codemods' own edits (character-precise), not whole lines.
      if (mine[0]!.fixes![0]!.artifactChanges[0]!.replacements.some((r) => r.deletedRegion.startColumn! > 1)) precise++;
    }
    expect(checked).toBe(report.files.filter((f) => f.source).reduce((n, f) => n + f.changes.length, 0));
    expect(checked).toBeGreaterThan(20);
    expect(precise).toBeGreaterThan(3);
  });

  it("reports skipped and failed files as notifications, and a failed run as unsuccessful", () => {
    const inv = log.runs[0]!.invocations![0]!;
    expect(inv.executionSuccessful).toBe(false);
    expect(inv.toolExecutionNotifications!.some((n) => n.level === "error" && /gone/.test(n.locations![0]!.physicalLocation!.artifactLocation!.uri!))).toBe(true);
  });

  it("never carries a secret value", () => {
    const secrets = report.files.flatMap((f) => f.source?.secrets ?? []);
    if (codemods.some((c) => c.id === "secrets-to-env")) {
      expect(secrets).toContain(PLANTED);
      expect(secrets.length).toBeGreaterThan(1); // the sample repos' own
    }
    for (const s of secrets) expect(text).not.toContain(s);
  });
});
