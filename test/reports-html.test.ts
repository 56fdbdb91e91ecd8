/**
 * --format html, in a real browser (Debian's chromium through playwright-core): the page loads
 * offline with no console error and no request, shows every repository and file of the run,
 * renders the diffs with diff2html's inlined stylesheet, and never shows a secret value.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codemods } from "../codemods/index.js";
import type { RunReport } from "../src/engine/report.js";
import { runFix } from "../src/engine/run.js";
import { renderHtml } from "../src/reports/html.js";
import { setup } from "./helpers.js";
import { PLANTED, REPOS, reportWorkspace } from "./report-workspace.js";

const CHROMIUM = process.env.PYREMEDY_CHROMIUM ?? "/usr/bin/chromium";
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  // CI installs it (.ci/run); locally the browser test is skipped, loudly.
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run must install Debian's chromium`);
  console.warn(`reports-html: skipping the browser test: ${CHROMIUM} not found (apt-get install -y chromium)`);
}

let browser: Browser | undefined;
let ws: string;
let report: RunReport;
let html: string;

beforeAll(async () => {
  await setup();
  ws = reportWorkspace();
  report = await runFix({ paths: [...REPOS, "gone"].map((r) => path.join(ws, r)), codemods, jobs: 1 });
  html = renderHtml(report);
  if (haveChromium) browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

afterAll(async () => {
  await browser?.close();
});

describe("HTML report", () => {
  it("is one file with everything inlined and no secret value", () => {
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script|<link|@import|url\(/i);
    expect(html).toContain("d2h-file-wrapper"); // diff2html rendered the diffs
    const secrets = report.files.flatMap((f) => f.source?.secrets ?? []);
    if (codemods.some((c) => c.id === "secrets-to-env")) expect(secrets).toContain(PLANTED);
    for (const s of secrets) expect(html).not.toContain(s);
  });

  it("says what the text report says of each moved value and the git history", () => {
    expect(report.env.length).toBeGreaterThan(0);
    const [first] = report.env;
    const withHistory = renderHtml({ ...report, env: [{ ...first!, history: { commit: "0123456789ab", commits: 2 } }] });
    expect(withHistory).toContain("in the git history (commit 0123456789ab and 1 more): rotate it, removing it from the code does not revoke it");
    const notChecked = renderHtml({ ...report, env: [{ ...first!, history: undefined, historyScan: "off" }] });
    expect(notChecked).toContain("git history not checked (history = false / --no-history): if this value was ever committed, rotate it");
  });

  it.skipIf(!haveChromium)("loads in Chromium with no console error or request, showing every repo and file", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-html-")), "report.html");
    fs.writeFileSync(file, html);
    const page = await browser!.newPage();
    const problems: string[] = [];
    page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("request", (r) => { if (!r.url().startsWith("file:")) problems.push(`request: ${r.url()}`); });
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    await page.waitForTimeout(200);

    expect(await page.title()).toBe("pyremedy report");
    const repos = report.repos!;
    expect(await page.locator("section.repo").count()).toBe(repos.length);
    for (const [i, repo] of repos.entries()) {
      const section = page.locator(`section.repo#repo-${i + 1}`);
      expect(await section.getAttribute("data-repo")).toBe(repo);
      expect(await section.locator("h2").innerText()).toBe(repo);
      expect(await page.locator("table.summary").getByRole("link", { name: repo, exact: true }).isVisible()).toBe(true);
      for (const f of report.files.filter((x) => x.repo === repo && x.path)) {
        const el = section.locator(`.file[data-path="${f.path}"]`);
        expect(await el.count(), f.path).toBe(1);
        expect(await el.isVisible(), f.path).toBe(true);
      }
    }
    const missing = page.locator(`section.repo[data-repo="${path.join(ws, "gone")}"]`);
    expect(await missing.innerText()).toMatch(/failed[\s\S]*ENOENT/);

    // Every change is listed with its safety; diffs are styled by the inlined diff2html CSS.
    expect(await page.locator("ul.changes .safety").count()).toBe(report.summary.changes);
    const inserted = page.locator(".d2h-ins").first();
    expect(await inserted.isVisible()).toBe(true);
    expect(await inserted.evaluate((el) => getComputedStyle(el).backgroundColor)).not.toBe("rgba(0, 0, 0, 0)");

    const shown = await page.locator("body").innerText();
    for (const s of report.files.flatMap((f) => f.source?.secrets ?? [])) expect(shown).not.toContain(s);
    expect(problems).toEqual([]);
    await page.close();
  });

  it.skipIf(!haveChromium)("the console check works: a broken page is caught", async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-html-")), "broken.html");
    // Under the report's own Content-Security-Policy, an external stylesheet is refused and logged.
    fs.writeFileSync(file, html.replace("</head>", '<link rel="stylesheet" href="https://example.org/x.css"></head>'));
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    await page.waitForTimeout(200);
    expect(errors.join("\n")).toMatch(/Content Security Policy/i);
    await page.close();
  });
});
