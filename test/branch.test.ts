/**
 * `pyremedy branch` against real git: temp repositories made from the sample repos, a bare
 * repository as the remote. The user's checkout must stay byte-identical in every case.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { codemodById, codemods } from "../codemods/index.js";
import type { Codemod } from "../src/codemod.js";
import { runFix } from "../src/engine/run.js";
import { runBranches, type BranchOptions, type RepoOutcome } from "../src/git/branch.js";
import { commitMessage, displayPath, isEnvFile } from "../src/git/commit.js";
import { liveWorktrees } from "../src/git/worktree.js";
import {
  git, identify, useIsolatedGit, pushAsSomeoneElse, sampleRepo, show, snapshot, subjects, tempDir, trailers, tree,
  withRemote, workInProgress,
} from "./branch-helpers.js";
import { FIXTURES } from "./helpers.js";

useIsolatedGit();

const verifySsl = codemodById("verify-ssl")!;

async function branch(repo: string | string[], options: Partial<BranchOptions> = {}): Promise<RepoOutcome[]> {
  const report = await runBranches({ repos: Array.isArray(repo) ? repo : [repo], codemods: [verifySsl], ...options });
  return [...report.repos];
}

async function one(repo: string, options: Partial<BranchOptions> = {}): Promise<RepoOutcome> {
  return (await branch(repo, options))[0]!;
}

/** The sample fixed in place by the engine, codemod after codemod in registry order. */
async function fixedCopy(sample: string, list: readonly Codemod[]): Promise<string> {
  const dir = path.join(tempDir("expected"), sample);
  fs.cpSync(path.join(FIXTURES, "sample-repos", sample), dir, { recursive: true });
  for (const c of list) await runFix({ paths: [dir], codemods: [c], write: true });
  return dir;
}

function noWorktreesLeft(repo: string): void {
  expect(git(repo, "worktree", "list", "--porcelain").match(/^worktree /gm)).toHaveLength(1);
  expect(fs.existsSync(path.join(repo, ".git", "worktrees")) ? fs.readdirSync(path.join(repo, ".git", "worktrees")) : []).toEqual([]);
  expect(liveWorktrees()).toEqual([]);
}

describe("pyremedy branch: local branch", () => {
  it("builds one commit per codemod in registry order and leaves the checkout byte-identical", async () => {
    const repo = sampleRepo("ticket-bot");
    workInProgress(repo);
    const before = snapshot(repo);
    let worktreeDir = "";
    const r = await one(repo, { codemods, onStage: (stage, info) => void (stage === "worktree" && (worktreeDir = info.dir!)) });

    expect(r.status).toBe("created");
    const base = git(repo, "rev-parse", "HEAD");
    expect(r.base).toBe(base);
    expect(git(repo, "rev-parse", "refs/heads/pyremedy/fixes")).toBe(r.head);

    // One commit per codemod that changed something, in registry order, with the contract's message.
    const ids = r.commits.map((c) => c.codemod);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    const order = ids.map((id) => codemods.findIndex((c) => c.id === id));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(subjects(repo, "pyremedy/fixes", base)).toEqual(ids.map((id) => `fix(${id}): ${codemodById(id)!.title}`));
    for (const c of r.commits) {
      expect(trailers(repo, c.sha)).toEqual([`Pyremedy-Codemod: ${c.codemod}`, "Pyremedy-Version: 0.1.0"]);
      const touched = git(repo, "diff-tree", "--no-commit-id", "-r", "--name-only", c.sha).split("\n").sort();
      expect(touched).toEqual([...c.files.map((f) => f.path), ...c.otherFiles].sort());
      const body = git(repo, "log", "-1", "--format=%b", c.sha);
      for (const f of c.files) expect(body).toContain(`  ${f.path}: ${f.changes.length} change`);
      expect(git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>", c.sha)).toBe("Rita Reviewer <rita@example.com>|Rita Reviewer <rita@example.com>");
    }

    // The branch holds exactly what the engine produces, codemod after codemod.
    const expected = await fixedCopy("ticket-bot", codemods);
    for (const rel of tree(repo, "pyremedy/fixes")) {
      expect(show(repo, "pyremedy/fixes", rel), rel).toBe(fs.readFileSync(path.join(expected, rel), "utf8"));
    }
    expect(show(repo, "pyremedy/fixes", "bot/main.py")).not.toContain("verify=False");
    // The untracked scratch file of the checkout never reaches the branch.
    expect(tree(repo, "pyremedy/fixes")).not.toContain("scratch/try.py");

    const after = snapshot(repo);
    expect(after).toEqual({ ...before, localBranches: expect.any(String) });
    expect(after.localBranches).toBe(`${before.localBranches}\nrefs/heads/pyremedy/fixes ${r.head}`);
    expect(fs.existsSync(worktreeDir)).toBe(false);
    noWorktreesLeft(repo);
  });

  it("re-runs commit nothing when the rebuilt tree equals the branch", async () => {
    const repo = sampleRepo("ticket-bot");
    const first = await one(repo);
    expect(first.status).toBe("created");
    expect(first.commits.map((c) => c.codemod)).toEqual(["verify-ssl"]);
    const again = await one(repo);
    expect(again.status).toBe("up-to-date");
    expect(again.commits).toEqual([]);
    expect(again.head).toBe(first.head);
    expect(again.byCodemod).toEqual({ "verify-ssl": 3 });
    expect(git(repo, "rev-parse", "pyremedy/fixes")).toBe(first.head);
    // A new base rebuilds the branch (it only carries our commits, so it may be replaced).
    fs.writeFileSync(path.join(repo, "bot", "extra.py"), "import requests\nrequests.get('https://x', verify=False)\n");
    git(repo, "add", "bot/extra.py");
    git(repo, "commit", "-q", "-m", "more code");
    const rebuilt = await one(repo);
    expect(rebuilt.status).toBe("updated");
    expect(git(repo, "rev-parse", "pyremedy/fixes^")).toBe(git(repo, "rev-parse", "HEAD"));
    expect(show(repo, "pyremedy/fixes", "bot/extra.py")).not.toContain("verify=False");
  });

  it("reports nothing to fix and creates no branch on a clean repository", async () => {
    const clean = sampleRepo("ticket-bot");
    fs.rmSync(path.join(clean, "bot"), { recursive: true });
    git(clean, "add", "-A");
    git(clean, "commit", "-q", "-m", "no code");
    const none = await one(clean);
    expect(none.status).toBe("nothing-to-fix");
    expect(git(clean, "for-each-ref", "refs/heads/pyremedy")).toBe("");
    noWorktreesLeft(clean);
  });

  it("leaves the checkout untouched and removes the worktree when a run fails midway", async () => {
    const repo = sampleRepo("ticket-bot");
    workInProgress(repo);
    const before = snapshot(repo);
    let worktreeDir = "";
    const r = await one(repo, {
      codemods,
      onStage: (stage, info) => {
        if (stage === "worktree") worktreeDir = info.dir!;
        if (stage === "committed") throw new Error("disk full (injected)");
      },
    });
    expect(r.status).toBe("failed");
    expect(r.kind).toBe("error");
    expect(r.reason).toContain("disk full (injected)");
    expect(snapshot(repo)).toEqual(before);
    expect(worktreeDir).not.toBe("");
    expect(fs.existsSync(path.dirname(worktreeDir))).toBe(false);
    noWorktreesLeft(repo);
  });

  it("never commits .env files; .env.example and .gitignore go into the commit", async () => {
    const repo = sampleRepo("ticket-bot");
    const r = await one(repo, {
      onStage: (stage, info) => {
        // What a run that moves secrets leaves in the worktree: values in .env, names in .env.example.
        if (stage !== "fixed") return;
        fs.writeFileSync(path.join(info.dir!, ".env"), "HELPDESK_API_TOKEN=" + "hd-" + "0".repeat(32) + "\n");
        fs.mkdirSync(path.join(info.dir!, "deploy"), { recursive: true });
        fs.writeFileSync(path.join(info.dir!, "deploy", ".env.local"), "X=1\n");
        fs.writeFileSync(path.join(info.dir!, ".env.example"), "HELPDESK_API_TOKEN=\n");
        fs.writeFileSync(path.join(info.dir!, ".gitignore"), "*.log\n");
      },
    });
    expect(r.status).toBe("created");
    const files = tree(repo, "pyremedy/fixes");
    expect(files).toContain(".env.example");
    expect(files).toContain(".gitignore");
    expect(files.filter((f) => isEnvFile(f))).toEqual([]);
    expect(r.commits[0]!.otherFiles).toEqual([".env.example", ".gitignore"]);
    expect(r.commits[0]!.withheld.sort()).toEqual([".env", "deploy/.env.local"]);
    expect(git(repo, "log", "-1", "--format=%B", "pyremedy/fixes")).not.toContain("hd-000");
  });

  it.runIf(codemodById("secrets-to-env"))("moves the sample's secrets without committing .env or any value", async () => {
    const repo = sampleRepo("ticket-bot");
    const secrets = codemodById("secrets-to-env")!;
    const r = await one(repo, { codemods: [secrets] });
    expect(r.status).toBe("created");
    const files = tree(repo, "pyremedy/fixes");
    expect(files.filter((f) => isEnvFile(f))).toEqual([]);
    // Whatever the engine writes next to the code (.env.example, .gitignore) lands in this commit.
    expect(r.commits[0]!.otherFiles.filter((f) => files.includes(f))).toEqual(r.commits[0]!.otherFiles);
    expect(files.includes(".env.example")).toBe(r.commits[0]!.otherFiles.includes(".env.example"));
    const names = r.commits[0]!.env.map((e) => e.name);
    if (names.length) expect(git(repo, "log", "-1", "--format=%B", r.commits[0]!.sha)).toContain(`Environment variables to set (values are not committed): ${names.join(", ")}`);
    const everything = git(repo, "log", "-p", "--format=%B", "main..pyremedy/fixes");
    const value = fs.readFileSync(path.join(FIXTURES, "sample-repos", "ticket-bot", "bot", "helpdesk.py"), "utf8").match(/HELPDESK_API_TOKEN = "([^"]+)"/)![1]!;
    expect(everything).toContain("HELPDESK_API_TOKEN");
    expect(everything.split("\n").filter((l) => l.startsWith("+") && l.includes(value))).toEqual([]);
    expect(git(repo, "log", "-1", "--format=%B", r.commits[0]!.sha)).not.toContain(value);
  });

  it("skips a branch that carries someone else's commit", async () => {
    const repo = sampleRepo("ticket-bot");
    const first = await one(repo);
    // A reviewer adds a commit on the fix branch (through a second worktree of their own).
    const theirs = path.join(tempDir("theirs"), "wt");
    git(repo, "worktree", "add", "-q", theirs, "pyremedy/fixes");
    fs.writeFileSync(path.join(theirs, "bot", "review.py"), "# reviewed\n");
    git(theirs, "add", "bot/review.py");
    git(theirs, "-c", "user.name=Olga Other", "-c", "user.email=olga@example.com", "commit", "-q", "-m", "Reviewer tweak");
    git(theirs, "checkout", "-q", "--detach");
    const tip = git(repo, "rev-parse", "pyremedy/fixes");
    expect(tip).not.toBe(first.head);

    const r = await one(repo, { codemods });
    expect(r.status).toBe("skipped");
    expect(r.kind).toBe("modified-by-others");
    expect(r.reason).toMatch(/^branch modified by others: .*Olga Other/);
    expect(git(repo, "rev-parse", "pyremedy/fixes")).toBe(tip);
    git(repo, "worktree", "remove", "--force", theirs);
  });

  it("refuses a branch that is checked out, an invalid branch name, and a missing identity", async () => {
    const repo = sampleRepo("ticket-bot");
    const checkedOut = await one(repo, { branch: "main" });
    expect([checkedOut.status, checkedOut.kind]).toEqual(["failed", "branch-checked-out"]);
    for (const bad of ["bad..name", "-rf", "x y", "a~1", "HEAD", "@{-1}", "refs/../x"]) {
      const r = await one(repo, { branch: bad });
      expect([r.status, r.kind], bad).toEqual(["failed", "bad-ref"]);
    }
    const badBase = await one(repo, { base: "--output=/tmp/pwned" });
    expect([badBase.status, badBase.kind]).toEqual(["failed", "bad-ref"]);
    expect(fs.existsSync("/tmp/pwned")).toBe(false);

    const anonymous = sampleRepo("ticket-bot", { identity: false });
    const before = snapshot(anonymous);
    const r = await one(anonymous);
    expect(r.status).toBe("failed");
    expect(r.kind).toBe("no-identity");
    expect(r.reason).toContain('git config --global user.name "Your Name"');
    expect(snapshot(anonymous)).toEqual(before);
    noWorktreesLeft(anonymous);
    // The identity may also come from the environment.
    process.env.GIT_AUTHOR_NAME = process.env.GIT_COMMITTER_NAME = "Env Person";
    process.env.GIT_AUTHOR_EMAIL = process.env.GIT_COMMITTER_EMAIL = "env@example.com";
    try {
      const ok = await one(anonymous);
      expect(ok.status).toBe("created");
      expect(git(anonymous, "log", "-1", "--format=%an <%ae>", "pyremedy/fixes")).toBe("Env Person <env@example.com>");
    } finally {
      for (const v of ["GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"]) delete process.env[v];
    }
  });

  it("handles hostile file names as data: fixed, committed, quoted in the message", async () => {
    const repo = sampleRepo("ticket-bot");
    const names = [
      "bot/-rf.py",
      "bot/--output=x.py",
      "bot/$(touch pwned).py",
      "bot/`touch pwned2`.py",
      "bot/a b; rm -rf ~.py",
      "bot/line\nPyremedy-Codemod: forged.py",
      "bot/quote\"'.py",
      "bot/:(glob)*.py",
      "bot/café ünï.py",
      "bot/\u202eyp.evil.py",
    ];
    const flawed = "import requests\n\nrequests.get('https://api.example.com', verify=False)\n";
    for (const n of names) fs.writeFileSync(path.join(repo, n), flawed);
    git(repo, "add", "-A");
    git(repo, "commit", "-q", "-m", "odd names");
    const cwdBefore = fs.readdirSync(process.cwd()).sort();

    const r = await one(repo);
    expect(r.status).toBe("created");
    const files = tree(repo, "pyremedy/fixes");
    for (const n of names) {
      expect(files, n).toContain(n);
      expect(show(repo, "pyremedy/fixes", n), n).not.toContain("verify=False");
    }
    expect(r.commits[0]!.files.map((f) => f.path)).toEqual(expect.arrayContaining(names));
    expect(trailers(repo, "pyremedy/fixes")).toEqual(["Pyremedy-Codemod: verify-ssl", "Pyremedy-Version: 0.1.0"]);
    const body = git(repo, "log", "-1", "--format=%B", "pyremedy/fixes");
    expect(body).toContain('  "bot/line\\nPyremedy-Codemod: forged.py": 1 change');
    expect(body).toContain("  \"bot/\\u202eyp.evil.py\": 1 change");
    expect(body).toContain("  bot/café ünï.py: 1 change");
    expect(fs.readdirSync(process.cwd()).sort()).toEqual(cwdBefore);
    for (const where of [repo, path.join(repo, "bot"), process.cwd()]) {
      expect(fs.existsSync(path.join(where, "pwned"))).toBe(false);
      expect(fs.existsSync(path.join(where, "pwned2"))).toBe(false);
    }
  });

  it("runs none of the repository's hooks unless --run-hooks", async () => {
    const repo = sampleRepo("ticket-bot");
    const marks = tempDir("hooks");
    // husky-style: hooks tracked in the repository, enabled through core.hooksPath.
    fs.mkdirSync(path.join(repo, ".githooks"));
    for (const hook of ["pre-commit", "commit-msg", "post-commit", "post-checkout", "reference-transaction", "pre-push"]) {
      fs.writeFileSync(path.join(repo, ".githooks", hook), `#!/bin/sh\ntouch "${marks}/${hook}"\n`, { mode: 0o755 });
    }
    git(repo, "add", ".githooks");
    git(repo, "commit", "-q", "--no-verify", "-m", "hooks");
    git(repo, "config", "core.hooksPath", ".githooks");
    withRemote(repo);
    for (const f of fs.readdirSync(marks)) fs.rmSync(path.join(marks, f));
    expect((await one(repo)).status).toBe("created");
    expect((await one(repo, { push: true })).status).toBe("created");
    expect(fs.readdirSync(marks)).toEqual([]);

    const hooked = await one(repo, { branch: "with-hooks", runHooks: true });
    expect(hooked.status).toBe("created");
    expect(fs.readdirSync(marks)).toEqual(expect.arrayContaining(["pre-commit", "commit-msg", "post-commit"]));
  });

  it("runs a batch: each repository on its own, failures reported with their kind", async () => {
    const good = sampleRepo("ticket-bot");
    const geodata = sampleRepo("geodata");
    const notRepo = tempDir("plain");
    const empty = path.join(tempDir("empty"), "empty");
    fs.mkdirSync(empty);
    git(empty, "init", "-q", "-b", "main");
    identify(empty);
    const results = await branch([notRepo, good, path.join(notRepo, "missing"), empty, geodata]);
    expect(results.map((r) => [r.status, r.kind ?? ""])).toEqual([
      ["failed", "not-a-repo"],
      ["created", ""],
      ["failed", "not-a-repo"],
      ["failed", "no-commits"],
      ["created", ""],
    ]);
    expect(results[3]!.reason).toBe("the repository has no commits yet");
  });

  it("fixes only the named subdirectory of a repository", async () => {
    const repo = sampleRepo("ticket-bot");
    fs.mkdirSync(path.join(repo, "tools"));
    fs.writeFileSync(path.join(repo, "tools", "probe.py"), "import requests\nrequests.get('https://x', verify=False)\n");
    git(repo, "add", "-A");
    git(repo, "commit", "-q", "-m", "tools");
    const r = await one(path.join(repo, "tools"));
    expect(r.status).toBe("created");
    expect(r.commits[0]!.files.map((f) => f.path)).toEqual(["tools/probe.py"]);
    expect(show(repo, "pyremedy/fixes", "bot/main.py")).toContain("verify=False");
  });
});

describe("pyremedy branch --push", () => {
  it("pushes a branch built on the remote's default branch; a re-run pushes nothing", async () => {
    const repo = sampleRepo("ticket-bot");
    const remote = withRemote(repo);
    const remoteMain = git(remote, "rev-parse", "main");
    // The user is elsewhere: a local commit and work in progress must not matter.
    git(repo, "checkout", "-q", "-b", "feature");
    fs.writeFileSync(path.join(repo, "feature.py"), "import requests\nrequests.get('https://x', verify=False)\n");
    git(repo, "add", "feature.py");
    git(repo, "commit", "-q", "-m", "local only");
    workInProgress(repo);
    const before = snapshot(repo);

    const r = await one(repo, { push: true });
    expect(r.status).toBe("created");
    expect(r.pushed).toBe(true);
    expect(r.base).toBe(remoteMain);
    expect(git(remote, "rev-parse", "pyremedy/fixes")).toBe(r.head);
    expect(git(remote, "rev-parse", "pyremedy/fixes^")).toBe(remoteMain);
    expect(tree(remote, "pyremedy/fixes")).not.toContain("feature.py");
    const after = snapshot(repo);
    expect(after).toEqual(before);
    noWorktreesLeft(repo);

    const again = await one(repo, { push: true });
    expect(again.status).toBe("up-to-date");
    expect(again.pushed).toBe(false);
    expect(git(remote, "rev-parse", "pyremedy/fixes")).toBe(r.head);
    expect(git(remote, "for-each-ref", "--format=%(refname)", "refs/heads/")).toBe("refs/heads/main\nrefs/heads/pyremedy/fixes");
  });

  it("does not overwrite someone else's commit on the remote branch", async () => {
    const repo = sampleRepo("ticket-bot");
    const remote = withRemote(repo);
    await one(repo, { push: true });
    const theirs = pushAsSomeoneElse(remote, "pyremedy/fixes", { "bot/review.py": "# looked at it\n" });
    const r = await one(repo, { push: true, codemods });
    expect(r.status).toBe("skipped");
    expect(r.kind).toBe("modified-by-others");
    expect(r.pushed).toBe(false);
    expect(git(remote, "rev-parse", "pyremedy/fixes")).toBe(theirs);
  });

  it("reports a lease rejection when the branch moves during the run, and overwrites nothing", async () => {
    const repo = sampleRepo("ticket-bot");
    const remote = withRemote(repo);
    await one(repo, { push: true });
    let theirs = "";
    const r = await one(repo, {
      push: true,
      codemods,
      onStage: (stage) => {
        if (stage === "push") theirs = pushAsSomeoneElse(remote, "pyremedy/fixes", { "bot/late.py": "# pushed meanwhile\n" });
      },
    });
    expect(r.status).toBe("failed");
    expect(r.kind).toBe("lease-rejected");
    expect(r.pushed).toBe(false);
    expect(git(remote, "rev-parse", "pyremedy/fixes")).toBe(theirs);
    noWorktreesLeft(repo);
  });

  it("reports a rejected push and goes on with the next repository", async () => {
    const blocked = sampleRepo("ticket-bot");
    const remote = withRemote(blocked);
    fs.writeFileSync(path.join(remote, "hooks", "pre-receive"), "#!/bin/sh\necho 'branch creation denied by policy' >&2\nexit 1\n", { mode: 0o755 });
    const noRemote = sampleRepo("ticket-bot");
    const fine = sampleRepo("geodata");
    withRemote(fine);
    const before = snapshot(blocked);
    const results = await branch([blocked, noRemote, fine], { push: true });
    expect(results.map((r) => [r.status, r.kind ?? ""])).toEqual([
      ["failed", "push-rejected"],
      ["failed", "no-remote"],
      ["created", ""],
    ]);
    expect(results[0]!.reason).toContain("denied by policy");
    expect(results[1]!.reason).toContain("no remote named 'origin'");
    expect(snapshot(blocked)).toEqual(before);
    expect(git(remote, "for-each-ref", "refs/heads/pyremedy")).toBe("");
  });
});

describe("commit messages", () => {
  it("list files and counts, env names and trailers, never values", () => {
    const message = commitMessage({
      codemod: "secrets-to-env",
      title: "Move credentials to the environment",
      version: "9.9.9",
      files: [{ path: "bot/main.py", changes: [{ codemod: "secrets-to-env", line: 3, column: 1, safety: "review", description: "Read HELPDESK_API_TOKEN from the environment" }] }],
      otherFiles: [".env.example", ".gitignore"],
      env: ["HELPDESK_API_TOKEN"],
      leftovers: { notices: [], failed: [{ path: "legacy/odd\nname.py", reason: "fix refused: not idempotent" }] },
    });
    expect(message).toBe(
      [
        "fix(secrets-to-env): Move credentials to the environment",
        "",
        "1 change in 1 file:",
        "  bot/main.py: 1 change",
        "",
        "1 change marked for review: `pyremedy explain secrets-to-env` says what to check.",
        "",
        "Also updated: .env.example, .gitignore",
        "",
        "Environment variables to set (values are not committed): HELPDESK_API_TOKEN",
        "",
        "Not changed:",
        '  "legacy/odd\\nname.py": fix refused: not idempotent',
        "",
        "Pyremedy-Codemod: secrets-to-env",
        "Pyremedy-Version: 9.9.9",
        "",
      ].join("\n"),
    );
    expect(displayPath("plain/path.py")).toBe("plain/path.py");
    expect(displayPath('tab\there"\\')).toBe('"tab\\there\\"\\\\"');
    expect(isEnvFile(".env")).toBe(true);
    expect(isEnvFile("svc/.env.production")).toBe(true);
    expect(isEnvFile(".env.example")).toBe(false);
    expect(isEnvFile("env.py")).toBe(false);
  });
});
