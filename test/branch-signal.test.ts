/**
 * Interrupting a run: a child process holds a temporary worktree of a real repository and gets
 * SIGINT. The worktree, its directory and its admin entry must be gone, the checkout unchanged.
 * The child runs the real src/git modules, transpiled on the fly (they import only node: modules).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { git, isolateGit, removeTemps, sampleRepo, snapshot, tempDir, workInProgress } from "./branch-helpers.js";
import { ROOT } from "./helpers.js";

let restoreEnv: () => void;
let modules: string;

beforeAll(() => {
  restoreEnv = isolateGit();
  modules = tempDir("modules");
  // An ES module scope of its own, whatever package.json sits above the temp directory.
  fs.writeFileSync(path.join(modules, "package.json"), '{"type":"module"}\n');
  for (const name of ["git", "refs", "worktree"]) {
    const source = fs.readFileSync(path.join(ROOT, "src", "git", `${name}.ts`), "utf8");
    const out = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } });
    fs.writeFileSync(path.join(modules, `${name}.js`), out.outputText);
  }
});
afterAll(() => {
  restoreEnv();
  removeTemps();
});

/** Start a child that creates a worktree of `repo` at HEAD, then waits; resolves with its directory. */
function holdWorktree(repo: string, withCliHandler: boolean): Promise<{ child: ReturnType<typeof spawn>; dir: string }> {
  const script = path.join(modules, `hold-${withCliHandler ? "cli" : "bare"}.mjs`);
  fs.writeFileSync(
    script,
    [
      // The CLI (src/cli/main.ts) installs its own handler first, which exits the process.
      withCliHandler ? 'process.once("SIGINT", () => process.exit(130));' : "",
      'const { createWorktree } = await import("./worktree.js");',
      "const wt = await createWorktree(process.argv[2], process.argv[3]);",
      'process.stdout.write(wt.dir + "\\n");',
      "setInterval(() => {}, 1000);",
    ].join("\n"),
  );
  const child = spawn(process.execPath, [script, repo, git(repo, "rev-parse", "HEAD")], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve({ child, dir: out.trim() });
    });
    child.on("exit", (code) => reject(new Error(`child exited early with ${code}`)));
  });
}

describe("interrupting pyremedy branch", () => {
  for (const withCliHandler of [true, false]) {
    it(`removes its worktree on SIGINT (${withCliHandler ? "with the CLI's handler" : "module handler alone"})`, async () => {
      const repo = sampleRepo("ticket-bot");
      workInProgress(repo);
      const before = snapshot(repo);
      const { child, dir } = await holdWorktree(repo, withCliHandler);
      expect(fs.existsSync(path.join(dir, "bot", "main.py"))).toBe(true);
      expect(fs.readdirSync(path.join(repo, ".git", "worktrees"))).toHaveLength(1);

      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      child.kill("SIGINT");
      expect(await exited).toBe(130);

      expect(fs.existsSync(path.dirname(dir))).toBe(false);
      expect(snapshot(repo).adminEntries).toEqual([]);
      expect(snapshot(repo)).toEqual(before);
    });
  }

  it("leaves other worktrees of the repository alone", async () => {
    const repo = sampleRepo("ticket-bot");
    const mine = path.join(tempDir("own"), "own-worktree");
    git(repo, "worktree", "add", "-q", "--detach", mine);
    const { child } = await holdWorktree(repo, true);
    const exited = new Promise((resolve) => child.on("exit", resolve));
    child.kill("SIGINT");
    await exited;
    expect(fs.existsSync(mine)).toBe(true);
    expect(git(repo, "worktree", "list", "--porcelain").match(/^worktree /gm)).toHaveLength(2);
  });
});
