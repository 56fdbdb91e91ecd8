/**
 * `pyremedy branch --pr`: the GitHub REST path against a local HTTP server that records every
 * request, and the `gh` path with a fake `gh` on PATH that records its arguments and stdin.
 * No network: the remote URL names github.com, and git's insteadOf sends it to a bare repo.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { codemodById, codemods } from "../codemods/index.js";
import { branchExitCode, runBranches, type BranchOptions } from "../src/git/branch.js";
import { prBody, mdCode } from "../src/pr/body.js";
import { parseRemoteUrl } from "../src/pr/provider.js";
import { apiBase } from "../src/pr/github-rest.js";
import { git, useIsolatedGit, sampleRepo, tempDir, withRemote } from "./branch-helpers.js";
import { FIXTURES } from "./helpers.js";

interface Recorded {
  method: string;
  url: string;
  authorization?: string;
  apiVersion?: string;
  body?: Record<string, unknown>;
}

/** A fake GitHub API: pull requests kept in memory, every request recorded. */
function fakeGitHub(): Promise<{ url: string; requests: Recorded[]; close: () => Promise<void> }> {
  const requests: Recorded[] = [];
  const pulls: { number: number; head: string; body: string; title: string }[] = [];
  const server = http.createServer((req, res) => {
    let data = "";
    req.on("data", (c: Buffer) => (data += c.toString("utf8")));
    req.on("end", () => {
      const body = data ? (JSON.parse(data) as Record<string, unknown>) : undefined;
      requests.push({
        method: req.method!,
        url: req.url!,
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        ...(req.headers["x-github-api-version"] ? { apiVersion: String(req.headers["x-github-api-version"]) } : {}),
        ...(body ? { body } : {}),
      });
      const url = new URL(req.url!, "http://x");
      const send = (status: number, json: unknown): void => {
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(json));
      };
      const html = (n: number): string => `https://github.com/acme/ticket-bot/pull/${n}`;
      if (req.headers.authorization !== "Bearer test-token-not-real") return send(401, { message: "Bad credentials" });
      if (req.method === "GET" && url.pathname === "/repos/acme/ticket-bot/pulls") {
        const head = url.searchParams.get("head");
        return send(200, pulls.filter((p) => `acme:${p.head}` === head).map((p) => ({ number: p.number, html_url: html(p.number) })));
      }
      if (req.method === "POST" && url.pathname === "/repos/acme/ticket-bot/pulls") {
        const pr = { number: 40 + pulls.length + 1, head: String(body!.head), body: String(body!.body), title: String(body!.title) };
        pulls.push(pr);
        return send(201, { number: pr.number, html_url: html(pr.number) });
      }
      const patch = /^\/repos\/acme\/ticket-bot\/pulls\/(\d+)$/.exec(url.pathname);
      if (req.method === "PATCH" && patch) return send(200, { number: Number(patch[1]), html_url: html(Number(patch[1])) });
      return send(404, { message: "Not Found" });
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

/** ticket-bot with origin = https://github.com/acme/ticket-bot.git, served by a local bare repo. */
function githubRepo(): { repo: string; remote: string } {
  const repo = sampleRepo("ticket-bot");
  const remote = withRemote(repo);
  git(repo, "remote", "set-url", "origin", "https://github.com/acme/ticket-bot.git");
  git(repo, "config", `url.${remote}.insteadOf`, "https://github.com/acme/ticket-bot.git");
  return { repo, remote };
}

/** A directory with no `gh` in it, and node for fake scripts. */
function pathWithout(extra?: string): string {
  return [extra, path.dirname(process.execPath)].filter(Boolean).join(path.delimiter);
}

const sampleSecrets = (): string[] => {
  const dir = path.join(FIXTURES, "sample-repos", "ticket-bot", "bot");
  const text = fs.readFileSync(path.join(dir, "helpdesk.py"), "utf8") + fs.readFileSync(path.join(dir, "main.py"), "utf8");
  return [...text.matchAll(/(?:TOKEN|PASSWORD) = "([^"]+)"/g)].map((m) => m[1]!);
};

useIsolatedGit();

async function run(repo: string, options: Partial<BranchOptions>) {
  const report = await runBranches({ repos: [repo], codemods, allCodemods: true, pr: true, ...options });
  return { report, r: report.repos[0]! };
}

describe("pull requests through the GitHub REST API", () => {
  it("creates the pull request, then updates it on a re-run that pushes nothing", async () => {
    const api = await fakeGitHub();
    try {
      const { repo, remote } = githubRepo();
      const env = { PATH: pathWithout(), GITHUB_TOKEN: "test-token-not-real", GITHUB_API_URL: api.url };
      const { report, r } = await run(repo, { env, draft: true });
      expect(r.status).toBe("created");
      expect(r.pushed).toBe(true);
      expect(r.pr).toEqual({ status: "created", url: "https://github.com/acme/ticket-bot/pull/41", number: 41, via: "github-rest" });
      expect(branchExitCode(report)).toBe(0);
      expect(api.requests.map((q) => `${q.method} ${q.url}`)).toEqual([
        "GET /repos/acme/ticket-bot/pulls?state=open&head=acme%3Apyremedy%2Ffixes&per_page=1",
        "POST /repos/acme/ticket-bot/pulls",
      ]);
      expect(api.requests.every((q) => q.authorization === "Bearer test-token-not-real" && q.apiVersion === "2022-11-28")).toBe(true);
      const post = api.requests[1]!.body!;
      expect(post).toMatchObject({ head: "pyremedy/fixes", base: "main", draft: true });
      expect(post.title).toBe(`pyremedy: ${r.commits.reduce((n, c) => n + c.changes, 0)} fixes (${r.commits.map((c) => c.codemod).join(", ")})`);

      const body = String(post.body);
      const base = git(remote, "rev-parse", "main");
      // Summary table, every change with file:line, reproduce command, hidden marker.
      for (const c of r.commits) {
        expect(body).toContain(`| \`${c.codemod}\` | ${codemodById(c.codemod)!.title} | ${c.changes} | ${c.files.length} |`);
        for (const f of c.files) for (const ch of f.changes) expect(body).toContain(`- \`${f.path}:${ch.line}\` ${ch.safety === "review" ? "**review** " : ""}`);
      }
      expect(body).toContain(`## Reproduce locally\n\`\`\`sh\ngit checkout --detach ${base}\nnpx pyremedy@0.1.0 fix --write .\n\`\`\``);
      expect(body).toMatch(new RegExp(`<!-- pyremedy\nversion: 0\\.1\\.0\nbase: ${base}\nbranch: pyremedy/fixes\ncodemods: [a-z,-]+\n-->\n$`));
      const env_ = r.commits.flatMap((c) => c.env.map((e) => e.name));
      if (env_.length) {
        expect(body).toContain("## Environment variables to set");
        expect(body).toContain("## ⚠️ Rotate these credentials");
        for (const n of env_) expect(body).toContain(`\`${n}\``);
      }
      for (const secret of sampleSecrets()) expect(body).not.toContain(secret);

      const again = await run(repo, { env });
      expect(again.r.status).toBe("up-to-date");
      expect(again.r.pushed).toBe(false);
      expect(again.r.pr).toMatchObject({ status: "updated", number: 41 });
      expect(api.requests.slice(2).map((q) => `${q.method} ${q.url}`)).toEqual([
        "GET /repos/acme/ticket-bot/pulls?state=open&head=acme%3Apyremedy%2Ffixes&per_page=1",
        "PATCH /repos/acme/ticket-bot/pulls/41",
      ]);
      expect(Object.keys(api.requests[3]!.body!).sort()).toEqual(["body", "title"]);
    } finally {
      await api.close();
    }
  });

  it("without a token: a clear message, and the branch is still pushed", async () => {
    const { repo, remote } = githubRepo();
    const { report, r } = await run(repo, { env: { PATH: pathWithout() }, codemods: [codemodById("verify-ssl")!] });
    expect(r.status).toBe("created");
    expect(r.pushed).toBe(true);
    expect(git(remote, "rev-parse", "pyremedy/fixes")).toBe(r.head);
    expect(r.pr).toEqual({ status: "skipped", reason: expect.stringMatching(/^no GitHub credentials: set GH_TOKEN or GITHUB_TOKEN .*; the branch was pushed$/) });
    expect(branchExitCode(report)).toBe(0);
  });

  it("reports an API refusal as a failed pull request (exit 2), with the branch pushed", async () => {
    const api = await fakeGitHub();
    try {
      const { repo } = githubRepo();
      const { report, r } = await run(repo, { env: { PATH: pathWithout(), GH_TOKEN: "wrong-token", GITHUB_API_URL: api.url }, codemods: [codemodById("verify-ssl")!] });
      expect(r.pushed).toBe(true);
      expect(r.pr).toEqual({ status: "failed", reason: "GitHub API GET /repos/acme/ticket-bot/pulls?state=open&head=acme%3Apyremedy%2Ffixes&per_page=1: 401 Bad credentials" });
      expect(JSON.stringify(report)).not.toContain("wrong-token");
      expect(branchExitCode(report)).toBe(2);
    } finally {
      await api.close();
    }
  });

  it("never sends a token over plain http to another host", async () => {
    const { repo } = githubRepo();
    const { r } = await run(repo, { env: { PATH: pathWithout(), GITHUB_TOKEN: "test-token-not-real" }, apiUrl: "http://ghe.example.com/api/v3", codemods: [codemodById("verify-ssl")!] });
    expect(r.pr).toEqual({ status: "failed", reason: "refusing to send a token to http://ghe.example.com: the GitHub API URL must use https" });
    expect(apiBase("https://ghe.example.com/api/v3/")).toBe("https://ghe.example.com/api/v3");
  });
});

describe("pull requests through gh", () => {
  function fakeGh(existing?: number): { bin: string; log: string } {
    const dir = tempDir("gh");
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    const log = path.join(dir, "calls.jsonl");
    // The logic in a .cjs file (unambiguous module type), started by a shell script named gh.
    fs.writeFileSync(path.join(bin, "gh"), `#!/bin/sh\nexec "${process.execPath}" "${path.join(dir, "gh.cjs")}" "$@"\n`, { mode: 0o755 });
    fs.writeFileSync(
      path.join(dir, "gh.cjs"),
      `const fs = require("fs");
const args = process.argv.slice(2);
let stdin = "";
try { stdin = fs.readFileSync(0, "utf8"); } catch {}
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ args, stdin }) + "\\n");
const existing = ${existing ?? "null"};
if (args[0] === "auth") process.exit(0);
if (args[0] === "pr" && args[1] === "list") { process.stdout.write(JSON.stringify(existing ? [{ number: existing, url: "https://github.com/acme/ticket-bot/pull/" + existing }] : [])); process.exit(0); }
if (args[0] === "pr" && args[1] === "create") { process.stdout.write("https://github.com/acme/ticket-bot/pull/7\\n"); process.exit(0); }
if (args[0] === "pr" && args[1] === "edit") { process.stdout.write("https://github.com/acme/ticket-bot/pull/" + existing + "\\n"); process.exit(0); }
process.exit(1);
`,
    );
    return { bin, log };
  }

  const calls = (log: string): { args: string[]; stdin: string }[] =>
    fs.readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { args: string[]; stdin: string });

  it("creates the pull request with gh when it is logged in (preferred over a token)", async () => {
    const gh = fakeGh();
    const { repo } = githubRepo();
    const { r } = await run(repo, { env: { PATH: pathWithout(gh.bin), GITHUB_TOKEN: "test-token-not-real", GITHUB_API_URL: "http://127.0.0.1:9" }, draft: true, codemods: [codemodById("verify-ssl")!], allCodemods: false });
    expect(r.pr).toEqual({ status: "created", url: "https://github.com/acme/ticket-bot/pull/7", number: 7, via: "gh" });
    const log = calls(gh.log);
    expect(log.map((c) => c.args)).toEqual([
      ["auth", "status", "--hostname", "github.com"],
      ["pr", "list", "--repo", "acme/ticket-bot", "--head", "pyremedy/fixes", "--state", "open", "--json", "number,url", "--limit", "1"],
      ["pr", "create", "--repo", "acme/ticket-bot", "--head", "pyremedy/fixes", "--base", "main", "--title", "pyremedy: 3 fixes (verify-ssl)", "--body-file", "-", "--draft"],
    ]);
    expect(log[2]!.stdin).toContain("| `verify-ssl` | Re-enable TLS certificate verification | 3 | 2 |");
    expect(log[2]!.stdin).toContain("npx pyremedy@0.1.0 fix --select verify-ssl --write .");
  });

  it("edits the open pull request instead of opening another", async () => {
    const gh = fakeGh(12);
    const { repo } = githubRepo();
    const { r } = await run(repo, { env: { PATH: pathWithout(gh.bin) }, codemods: [codemodById("verify-ssl")!] });
    expect(r.pr).toEqual({ status: "updated", url: "https://github.com/acme/ticket-bot/pull/12", number: 12, via: "gh" });
    expect(calls(gh.log).map((c) => c.args.slice(0, 3))).toEqual([
      ["auth", "status", "--hostname"],
      ["pr", "list", "--repo"],
      ["pr", "edit", "12"],
    ]);
  });
});

describe("pull request text", () => {
  it("escapes names from the repository and keeps the marker last", () => {
    const body = prBody({
      version: "0.1.0",
      base: "a".repeat(40),
      branch: "pyremedy/fixes",
      selected: ["verify-ssl"],
      allSelected: false,
      leftovers: { notices: [{ path: "x.py", notice: { codemod: "verify-ssl", line: 2, column: 1, message: "verify=<flag> left: <!-- not a literal -->" } }], failed: [] },
      commits: [{
        codemod: "verify-ssl", title: "Re-enable TLS certificate verification", sha: "b".repeat(40), subject: "fix(verify-ssl): ...",
        files: [{ path: "a|b`c`.py", changes: [{ codemod: "verify-ssl", line: 3, column: 5, safety: "review", description: "Re-enable <b>verification</b>", note: "check | pipes" }] }],
        otherFiles: [], withheld: [], env: [], changes: 1,
      }],
    });
    expect(body).toContain("- ``a|b`c`.py:3`` **review** Re-enable &lt;b&gt;verification&lt;/b&gt;");
    expect(body).toContain("not changed, check by hand — verify=&lt;flag&gt; left: &lt;!-- not a literal --&gt;");
    expect(body.indexOf("<!--")).toBe(body.lastIndexOf("<!-- pyremedy"));
    expect(mdCode("line\nbreak")).toBe('`"line\\nbreak"`');
  });

  it("reads GitHub remotes in every URL form", () => {
    expect(parseRemoteUrl("https://github.com/acme/ticket-bot.git")).toEqual({ host: "github.com", owner: "acme", name: "ticket-bot" });
    expect(parseRemoteUrl("git@github.com:acme/ticket-bot.git")).toEqual({ host: "github.com", owner: "acme", name: "ticket-bot" });
    expect(parseRemoteUrl("ssh://git@ghe.corp.example:2222/team/svc")).toEqual({ host: "ghe.corp.example", owner: "team", name: "svc" });
    expect(parseRemoteUrl("/srv/git/repo.git")).toBeUndefined();
    expect(parseRemoteUrl("https://github.com/acme/a/b")).toBeUndefined();
    expect(parseRemoteUrl("https://github.com/acme/--upload-pack=x")).toBeUndefined();
  });
});
