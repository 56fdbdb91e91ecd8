/**
 * --format patch: `git apply` accepts it from the repository root (one repo) or from the
 * working directory (several, paths prefixed), and applying it to a pristine copy gives
 * exactly the bytes --write gives — CRLF, latin-1, BOM, no final newline included.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { codemods } from "../codemods/index.js";
import { runFix } from "../src/engine/run.js";
import { renderPatch } from "../src/reports/patch.js";
import { setup } from "./helpers.js";
import { PLANTED, REPOS, reportWorkspace, snapshot } from "./report-workspace.js";

beforeAll(setup);

function git(cwd: string, args: string[]): void {
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.org", ...args], { cwd, stdio: "pipe" });
}

/** A copy of `dir` as a fresh git repository with everything committed. */
function pristineGitCopy(dir: string): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-pristine-"));
  fs.cpSync(dir, copy, { recursive: true });
  git(copy, ["init", "-q"]);
  git(copy, ["add", "-A"]);
  git(copy, ["commit", "-q", "-m", "pristine"]);
  return copy;
}

function gitApply(cwd: string, patch: Uint8Array, check = false): { status: number | null; stderr: string } {
  const file = path.join(os.tmpdir(), `pyremedy-${process.pid}-${Math.random().toString(36).slice(2)}.patch`);
  fs.writeFileSync(file, patch);
  const r = spawnSync("git", ["apply", ...(check ? ["--check"] : []), file], { cwd, encoding: "utf8" });
  return { status: r.status, stderr: r.stderr };
}

describe("patch report", () => {
  it("several repositories: applies from the working directory and equals --write", async () => {
    const ws = reportWorkspace();
    const pristine = pristineGitCopy(ws);
    const report = await runFix({ paths: REPOS.map((r) => path.join(ws, r)), codemods, jobs: 2 });
    const patch = renderPatch(report, ws);
    const text = Buffer.from(patch).toString("latin1");
    for (const repo of REPOS) expect(text).toContain(`+++ b/${repo}/`);
    expect(text).toContain("+++ b/enc/pkg/no final newline.py");
    expect(text).toContain("\\ No newline at end of file");

    const check = gitApply(pristine, patch, true);
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
    expect(gitApply(pristine, patch).status).toBe(0);

    const written = await runFix({ paths: REPOS.map((r) => path.join(ws, r)), codemods, jobs: 2, write: true });
    expect(written.summary.filesChanged).toBe(report.summary.filesChanged);
    const want = snapshot(ws);
    const got = snapshot(pristine);
    // .env / .env.example / .gitignore come from --write's per-repo step, not from the patch.
    for (const name of [...want.keys()]) if (/(^|\/)\.(env|env\.example|gitignore)$/.test(name)) { want.delete(name); got.delete(name); }
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [name, bytes] of want) expect(got.get(name)?.equals(bytes), name).toBe(true);
  });

  it("one repository: paths are relative to its root, and a stale tree is refused", async () => {
    const ws = reportWorkspace();
    const repo = path.join(ws, "enc");
    const pristine = pristineGitCopy(repo);
    const report = await runFix({ paths: [repo], codemods, jobs: 1 });
    const patch = renderPatch(report, ws);
    const text = Buffer.from(patch).toString("latin1");
    expect(text).toContain("--- a/pkg/crlf_line_endings.py\n+++ b/pkg/crlf_line_endings.py\n");
    expect(text).toMatch(/\r\n/); // CRLF lines kept as they are
    expect(gitApply(pristine, patch, true).status).toBe(0);
    // The same patch does not apply twice: it is a real patch, not a no-op.
    expect(gitApply(pristine, patch).status).toBe(0);
    expect(gitApply(pristine, patch, true).status).not.toBe(0);
  });

  it("is the one report that carries secret values (it has to apply)", async () => {
    if (!codemods.some((c) => c.id === "secrets-to-env")) return;
    const ws = reportWorkspace();
    const report = await runFix({ paths: [path.join(ws, "enc")], codemods, jobs: 1 });
    expect(Buffer.from(renderPatch(report, ws)).toString("latin1")).toContain(`-DB_PASSWORD = "${PLANTED}"`);
  });
});
