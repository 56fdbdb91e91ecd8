/**
 * `pyremedy branch` with `[tool.pyremedy]`: `branch` and `base` are the defaults of --branch
 * and --base (flags win), and the fix run in the worktree follows the repository's selection,
 * exclude globs, include-tests and codemod options. Real git, a bare repository as the remote.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { moveAnchors } from "../src/config.js";
import { git, identify, show, snapshot, subjects, tempDir, tree, useIsolatedGit, withRemote } from "./branch-helpers.js";
import { runCli, type CliRun } from "./run-cli.js";

useIsolatedGit();

const cli = (args: string[]): Promise<CliRun> => runCli(args);

const TLS = 'import requests\n\n\ndef fetch(url):\n    return requests.get(url, verify=False, timeout=5)\n';
const BARE = "def parse(text):\n    try:\n        return int(text)\n    except:\n        return None\n";

/** A repository on main holding `files`, committed; returns its path. */
function repoWith(files: Record<string, string>, label = "cfg"): string {
  const dir = path.join(tempDir(label), "svc");
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  git(path.dirname(dir), "init", "-q", "-b", "main", dir);
  identify(dir);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "Initial import");
  return dir;
}

function commitFile(dir: string, rel: string, text: string, message: string): string {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
  git(dir, "add", "--", rel);
  git(dir, "commit", "-q", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}

function json(r: { stdout: string }): { summary: Record<string, number>; repos: Record<string, unknown>[] } {
  return JSON.parse(r.stdout);
}

describe("pyremedy branch reads [tool.pyremedy] branch and base", () => {
  it("uses them as defaults for a local branch; --branch and --base win", async () => {
    const repo = repoWith({
      "pyproject.toml": `[project]\nname = "svc"\n\n[tool.pyremedy]\nbranch = "bots/pyremedy"\nbase = "stable"\n`,
      "svc/net.py": TLS,
    });
    const stable = git(repo, "rev-parse", "HEAD");
    git(repo, "branch", "stable");
    const head = commitFile(repo, "svc/later.py", TLS.replace("fetch", "fetch_later"), "Later work");
    const before = snapshot(repo);

    const r = await cli(["branch", "--select", "verify-ssl", "--format", "json", repo]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(json(r).repos[0]).toMatchObject({ status: "created", branch: "bots/pyremedy", where: "local", base: stable });
    expect(git(repo, "rev-parse", "bots/pyremedy^")).toBe(stable);
    expect(tree(repo, "bots/pyremedy")).not.toContain("svc/later.py");
    expect(git(repo, "for-each-ref", "--format=%(refname)", "refs/heads/pyremedy/")).toBe("");
    expect({ ...snapshot(repo), localBranches: "" }).toEqual({ ...before, localBranches: "" });

    const flags = await cli(["branch", "--select", "verify-ssl", "--branch", "mine/tls", "--base", "HEAD", "--format", "json", repo]);
    expect(json(flags).repos[0]).toMatchObject({ status: "created", branch: "mine/tls", base: head });
    expect(show(repo, "mine/tls", "svc/later.py")).toContain("requests.get(url, verify=True, timeout=5)");
  });

  it("says where a base that names no commit came from", async () => {
    const repo = repoWith({ "pyproject.toml": `[tool.pyremedy]\nbase = "no-such-branch"\n`, "net.py": TLS });
    const r = await cli(["branch", "--format", "json", repo]);
    expect(r.code).toBe(2);
    expect(json(r).repos[0]).toMatchObject({ status: "failed", kind: "bad-ref", reason: `base 'no-such-branch' (${path.join(repo, "pyproject.toml")}) does not name a commit` });
    const flag = await cli(["branch", "--base", "nope", "--format", "json", repo]);
    expect(json(flag).repos[0]).toMatchObject({ kind: "bad-ref", reason: "--base 'nope' does not name a commit" });
  });

  it("with --push: the configured branch goes to the remote, built on the configured remote base", async () => {
    const repo = repoWith({ "pyproject.toml": `[tool.pyremedy]\nbranch = "bots/fixes"\nbase = "origin/release"\n`, "net.py": TLS });
    const remote = withRemote(repo);
    const release = git(repo, "rev-parse", "HEAD");
    git(repo, "push", "-q", "origin", "HEAD:refs/heads/release");
    commitFile(repo, "extra.py", TLS, "Work on main");
    git(repo, "push", "-q", "origin", "main");

    const r = await cli(["branch", "--push", "--select", "verify-ssl", "--format", "json", repo]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(json(r).repos[0]).toMatchObject({ status: "created", branch: "bots/fixes", where: "origin", base: release, pushed: true });
    expect(git(remote, "rev-parse", "bots/fixes^")).toBe(release);
    expect(tree(remote, "bots/fixes")).not.toContain("extra.py");
    expect(git(remote, "for-each-ref", "--format=%(refname)", "refs/heads/")).toBe("refs/heads/bots/fixes\nrefs/heads/main\nrefs/heads/release");
    // --branch wins over the file, on the remote too.
    const other = await cli(["branch", "--push", "--select", "verify-ssl", "--branch", "review/tls", "--format", "json", repo]);
    expect(json(other).repos[0]).toMatchObject({ status: "created", branch: "review/tls", base: release });
    expect(git(remote, "rev-parse", "review/tls^")).toBe(release);
  });
});

describe("pyremedy branch applies the rest of the configuration to its fixes", () => {
  it("selection, exclude (anchored in the checkout, applied in the worktree) and codemod options", async () => {
    const repo = repoWith({
      "pyproject.toml":
        `[tool.pyremedy]\nselect = ["narrow-except", "init-exports"]\nexclude = ["legacy", "src/generated/**"]\n\n` +
        `[tool.pyremedy.narrow-except]\ninfer = false\n`,
      "src/app.py": `import requests\n\n\n${BARE}\n\ndef fetch(url):\n    return requests.get(url, verify=False, timeout=5)\n`,
      "src/legacy/old.py": BARE,
      "src/generated/gen.py": BARE,
    });
    const r = await cli(["branch", "--format", "json", repo]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = json(r).repos[0]!;
    expect(out).toMatchObject({ status: "created", branch: "pyremedy/fixes", byCodemod: { "narrow-except": 1 } });
    expect(subjects(repo, "pyremedy/fixes", "main")).toEqual(["fix(narrow-except): Narrow bare and blind excepts, and log what they catch"]);
    const app = show(repo, "pyremedy/fixes", "src/app.py");
    expect(app).toContain("    except Exception:\n        logger.exception(\"parse failed\")\n"); // infer = false
    expect(app).toContain("verify=False"); // verify-ssl is not selected
    expect(show(repo, "pyremedy/fixes", "src/legacy/old.py")).toBe(BARE);
    expect(show(repo, "pyremedy/fixes", "src/generated/gen.py")).toBe(BARE);

    // The command line still wins: --select replaces the configured selection.
    const flags = await cli(["branch", "--select", "verify-ssl", "--branch", "tls-only", "--format", "json", repo]);
    expect(json(flags).repos[0]).toMatchObject({ status: "created", byCodemod: { "verify-ssl": 1 } });
  });

  it("secrets-to-env's env-file: .env.example beside it and its .gitignore entry are committed, the file itself never", async () => {
    const pw = ["Db", "Pa55", "branch", "2024"].join("-");
    const repo = repoWith({
      "pyproject.toml": `[tool.pyremedy]\nselect = ["secrets-to-env"]\n\n[tool.pyremedy.secrets-to-env]\nenv-file = "deploy/.env.local"\nhistory = false\n`,
      "src/db.py": `import os\n\nDB_PASSWORD = "${pw}"\n`,
    });
    const before = snapshot(repo);
    const r = await cli(["branch", "--format", "json", repo]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(json(r).repos[0]).toMatchObject({ status: "created", byCodemod: { "secrets-to-env": 1 } });
    const files = tree(repo, "pyremedy/fixes");
    expect(files).toEqual([".gitignore", "deploy/.env.example", "pyproject.toml", "src/db.py"]);
    expect(show(repo, "pyremedy/fixes", ".gitignore")).toBe("# Local secrets (pyremedy secrets-to-env)\ndeploy/.env.local\n");
    expect(show(repo, "pyremedy/fixes", "deploy/.env.example")).toContain("\nDB_PASSWORD=\n");
    expect(show(repo, "pyremedy/fixes", "src/db.py")).toBe('import os\n\nDB_PASSWORD = os.environ["DB_PASSWORD"]\n');
    for (const f of files) expect(show(repo, "pyremedy/fixes", f), f).not.toContain(pw.slice(3));
    expect({ ...snapshot(repo), localBranches: "" }).toEqual({ ...before, localBranches: "" });
  });

  it("an invalid configuration fails its own repository; the others get their branch", async () => {
    const good = repoWith({ "net.py": TLS }, "good");
    const bad = repoWith({ "pyproject.toml": `[tool.pyremedy.narrow-except]\ninfer = "maybe"\n`, "net.py": TLS }, "bad");
    const r = await cli(["branch", "--select", "verify-ssl", "--format", "json", bad, good]);
    expect(r.code).toBe(2);
    const repos = json(r).repos;
    expect(repos[0]).toMatchObject({ repo: bad, status: "failed", kind: "bad-config" });
    expect(String(repos[0]!.reason)).toContain("[tool.pyremedy.narrow-except] infer must be true or false (found a string)");
    expect(repos[1]).toMatchObject({ repo: good, status: "created" });
    expect(git(bad, "for-each-ref", "--format=%(refname)", "refs/heads/")).toBe("refs/heads/main");
  });
});

describe("moveAnchors", () => {
  it("moves globs anchored in the checkout into the worktree; leaves the rest", () => {
    expect(moveAnchors(["/r/svc/**/legacy", "/r/svc/src/gen/**", "/r/**/vendor", "/elsewhere/x", "*_pb2.py", "/r/svcx/y"], "/r/svc", "/tmp/wt")).toEqual([
      "/tmp/wt/**/legacy", "/tmp/wt/src/gen/**", "/tmp/wt/**/vendor", "/elsewhere/x", "*_pb2.py", "/r/svcx/y",
    ]);
    expect(moveAnchors(["/a \\(b\\)/**/x"], "/a (b)", "/w")).toEqual(["/w/**/x"]);
  });
});
