/**
 * `pyremedy branch` through the CLI object with in-memory streams: options reach the engine,
 * the text and JSON reports, exit codes, --repos lists.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readRepoList } from "../src/cli/branch.js";
import { git, useIsolatedGit, sampleRepo, snapshot, tempDir } from "./branch-helpers.js";
import { runCli, type CliRun } from "./run-cli.js";

useIsolatedGit();

const cli = (args: string[]): Promise<CliRun> => runCli(args);

describe("pyremedy branch (CLI)", () => {
  it("creates the branch and prints a summary per repository; JSON on request", async () => {
    const repo = sampleRepo("ticket-bot");
    const before = snapshot(repo);
    const text = await cli(["branch", "--select", "verify-ssl", "--branch", "review/tls", repo]);
    expect(text.code).toBe(0);
    const head = git(repo, "rev-parse", "review/tls");
    expect(text.stdout).toBe(
      [
        `${repo}: review/tls created (1 commit, 3 changes) on ${git(repo, "rev-parse", "HEAD").slice(0, 12)} → ${head.slice(0, 12)}`,
        `  ${head.slice(0, 12)} fix(verify-ssl): Re-enable TLS certificate verification — 3 changes in 2 files`,
        "1 repo: 1 created; 1 commit, 0 pushed, 0 pull requests",
        "",
      ].join("\n"),
    );
    expect(snapshot(repo)).toEqual({ ...before, localBranches: `${before.localBranches}\nrefs/heads/review/tls ${head}` });

    const json = await cli(["branch", "--select", "verify-ssl", "--branch", "review/tls", "--format", "json", repo]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.summary).toMatchObject({ repos: 1, upToDate: 1, commits: 0, pushed: 0 });
    expect(report.repos[0]).toMatchObject({ repo, status: "up-to-date", branch: "review/tls", where: "local", head, byCodemod: { "verify-ssl": 3 }, pushed: false });
  });

  it("reads --repos lists, reports each failure with its kind, and exits 2", async () => {
    const good = sampleRepo("ticket-bot");
    const dir = tempDir("list");
    fs.writeFileSync(path.join(dir, "repos.txt"), `# fleet\n${good}\n\nmissing-repo   # relative to this file\n`);
    expect(readRepoList(path.join(dir, "repos.txt"))).toEqual([good, path.join(dir, "missing-repo")]);
    const r = await cli(["branch", "--select", "verify-ssl", "--repos", path.join(dir, "repos.txt"), "--format", "json"]);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout);
    expect(report.repos.map((x: { status: string; kind?: string }) => [x.status, x.kind])).toEqual([["created", undefined], ["failed", "not-a-repo"]]);
  });

  it("rejects bad options as usage errors", async () => {
    expect((await cli(["branch", "--format", "sarif", "."])).code).not.toBe(0);
    const unknown = await cli(["branch", "--select", "no-such-codemod", "."]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stdout + unknown.stderr).toContain("unknown codemod 'no-such-codemod'");
  });
});
