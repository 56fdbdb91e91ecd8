/**
 * The CLI, run in memory (clipanion's tests/tools.ts style) and once end to end through the
 * built binary.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, ROOT, setup } from "./helpers.js";
import { ruffFindings } from "./oracles/ruff.js";
import { runCli, type CliRun } from "./run-cli.js";

beforeAll(setup);

const run = (args: string[]): Promise<CliRun> => runCli(args);

function copySampleRepos(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-cli-"));
  fs.cpSync(path.join(FIXTURES, "sample-repos"), dir, { recursive: true });
  return dir;
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, "latin1");
    }
  };
  walk(dir);
  return out;
}

describe("pyremedy fix", () => {
  it("previews: exits 1, prints diffs and writes nothing", async () => {
    const dir = copySampleRepos();
    const before = snapshot(dir);
    const r = await run(["fix", "--select", "verify-ssl", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("--- a/ticket-bot/bot/helpdesk.py");
    expect(r.stdout).toContain("+        self.session.verify = True");
    expect(r.stdout).toMatch(/verify-ssl +\d+ changes/);
    expect(r.stdout).not.toContain("\u001b["); // not a TTY: no colour
    expect(snapshot(dir)).toEqual(before);
  });

  it("colours with --color and not with NO_COLOR", async () => {
    const dir = copySampleRepos();
    expect((await run(["fix", "--select", "verify-ssl", "--color", dir])).stdout).toContain("\u001b[32m+");
  });

  it("--write applies, then a second preview exits 0", async () => {
    const dir = copySampleRepos();
    const w = await run(["fix", "--select", "verify-ssl", "--write", dir]);
    expect(w.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, "ticket-bot/bot/helpdesk.py"), "utf8")).toContain("self.session.verify = True");
    const again = await run(["fix", "--select", "verify-ssl", dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("0 changes in 0 files");
  });

  it("--format json follows DESIGN.md", async () => {
    const dir = copySampleRepos();
    fs.writeFileSync(path.join(dir, "billing-service/legacy.py"), 'import requests\nprint "old"\nrequests.get(u, verify=False)\n');
    fs.writeFileSync(path.join(dir, "billing-service/blob.py"), Buffer.from([0x00, 0x01, 0x02]));
    const r = await run(["fix", "--select", "verify-ssl", "--format", "json", dir]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.tool).toEqual({ name: "pyremedy", version: expect.any(String) });
    expect(Object.keys(report.summary).sort()).toEqual(["byCodemod", "changes", "filesChanged", "filesFailed", "filesScanned", "filesSkipped", "repos"]);
    expect(report.summary).toMatchObject({ repos: 1, filesFailed: 0, filesSkipped: 2 });
    expect(report.summary.byCodemod["verify-ssl"]).toBe(report.summary.changes);
    const changed = report.files.find((f: { path: string }) => f.path === "ticket-bot/bot/helpdesk.py");
    expect(changed).toMatchObject({ repo: dir, status: "changed", diff: expect.stringContaining("--- a/ticket-bot/bot/helpdesk.py") });
    expect(changed.changes[0]).toEqual({ codemod: "verify-ssl", line: 8, column: 1, safety: "safe", description: expect.any(String), note: expect.any(String) });
    expect(report.files.find((f: { path: string }) => f.path === "billing-service/legacy.py")).toMatchObject({ status: "skipped", reason: "Python 2 source (print statement at 2:1)" });
    expect(report.files.find((f: { path: string }) => f.path === "billing-service/blob.py")).toMatchObject({ status: "skipped", reason: "binary file (NUL byte)" });
    expect(Array.isArray(report.env)).toBe(true);
  });

  it("--output writes the report to a file", async () => {
    const dir = copySampleRepos();
    const out = path.join(dir, "report.json");
    const r = await run(["fix", "--select", "verify-ssl", "--format", "json", "--output", out, dir]);
    // stdout carries only the summary (issue 5)
    expect(r.stdout).toMatch(/^ {2}verify-ssl +\d+ changes\n\d+ changes in \d+ files would change/);
    expect(r.stdout).not.toContain("---");
    expect(JSON.parse(fs.readFileSync(out, "utf8")).summary.changes).toBeGreaterThan(0);
  });

  it("a failed file exits 2, is reported with its reason, and the others are still written", async () => {
    const dir = copySampleRepos();
    const missing = path.join(dir, "does-not-exist");
    const r = await run(["fix", "--select", "verify-ssl", "--write", "--format", "json", dir, missing]);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout);
    expect(report.files.find((f: { repo: string }) => f.repo === missing)).toMatchObject({ status: "failed", reason: expect.stringMatching(/ENOENT/) });
    expect(fs.readFileSync(path.join(dir, "ticket-bot/bot/helpdesk.py"), "utf8")).toContain("verify = True");
  });

  it("rejects unknown codemods and formats with exit 2... as usage errors", async () => {
    expect((await run(["fix", "--select", "nope", "."])).code).not.toBe(0);
    expect((await run(["fix", "--format", "xml", "."])).code).not.toBe(0);
  });
});

describe("pyremedy list / explain", () => {
  it("lists the codemods, also as JSON", async () => {
    const r = await run(["list"]);
    expect(r.stdout).toMatch(/^verify-ssl +review +Re-enable TLS certificate verification$/m);
    const json = JSON.parse((await run(["list", "--json"])).stdout);
    expect(json.find((c: { id: string }) => c.id === "verify-ssl")).toMatchObject({ safety: "review", peers: expect.arrayContaining(["S501"]) });
  });

  it("explains a codemod from its metadata", async () => {
    const r = await run(["explain", "verify-ssl"]);
    expect(r.stdout).toContain("## Why is this bad?");
    expect(r.stdout).toContain("## Fix safety: review");
    expect((await run(["explain", "nope"])).code).not.toBe(0);
  });
});

describe("end to end through the built binary", () => {
  // What users run: package.json's bin, the esbuild bundle (scripts/bundle.mjs) of tsc's dist/src.
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { bin: { pyremedy: string } };
  const bin = path.join(ROOT, pkg.bin.pyremedy);

  it("the bundle, with its own worker threads, reports what tsc's build reports in one thread", () => {
    expect(pkg.bin.pyremedy).toBe("dist/bundle/pyremedy.js");
    const dir = copySampleRepos();
    const report = (cli: string, jobs: string): unknown => {
      const r = spawnSync(process.execPath, [cli, "fix", "--format", "json", "--jobs", jobs, dir], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(1);
      return JSON.parse(r.stdout);
    };
    const bundled = report(bin, "3") as { summary: { filesFailed: number; changes: number } };
    expect(bundled.summary.filesFailed).toBe(0); // a worker that cannot start fails its files
    expect(bundled.summary.changes).toBeGreaterThan(10);
    expect(bundled).toEqual(report(path.join(ROOT, "dist/src/cli/main.js"), "1"));
  });

  it("ruff's S501/S323 findings on the sample repos go from >0 to 0", () => {
    const dir = copySampleRepos();
    const pyFiles = Object.keys(snapshot(dir)).filter((f) => f.endsWith(".py"));
    const count = (): number => pyFiles.reduce((n, f) => n + ruffFindings(fs.readFileSync(path.join(dir, f), "utf8"), ["S501", "S323"]).length, 0);
    const before = count();
    expect(before).toBeGreaterThan(0);
    const preview = spawnSync(process.execPath, [bin, "fix", "--select", "verify-ssl", dir], { encoding: "utf8" });
    expect(preview.status).toBe(1);
    execFileSync(process.execPath, [bin, "fix", "--select", "verify-ssl", "--write", dir]);
    expect(count()).toBe(0);
    const again = spawnSync(process.execPath, [bin, "fix", "--select", "verify-ssl", dir], { encoding: "utf8" });
    expect(again.status).toBe(0);
  });
});
