/**
 * SIGINT in the middle of `fix --write` over many files, through the built binary, in this
 * thread (--jobs 1) and with worker threads (--jobs 2): every file is either its original bytes
 * or its complete fix, no temp file is left behind, and the exit code says it was interrupted.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { narrowExcept } from "../codemods/narrow-except.js";
import { ROOT, runOn, setup } from "./helpers.js";

beforeAll(setup);

const BIN = path.join(ROOT, "dist/src/cli/main.js");
const FILES = 600;

/** A module with several handlers narrow-except fixes (so each file takes a little work). */
function source(i: number): string {
  const handlers = Array.from({ length: 6 }, (_, k) => `def f${k}(path):\n    try:\n        return open(path).read() + "${i}-${k}"\n    except:\n        pass\n\n\n`).join("");
  return `"""Module ${i}."""\nimport json\n\n\n${handlers}`;
}

interface Tree {
  readonly dir: string;
  readonly names: string[];
  readonly original: Map<string, Buffer>;
  readonly fixed: Map<string, Buffer>;
}

function makeTree(): Tree {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-sigint-"));
  const names: string[] = [];
  const original = new Map<string, Buffer>();
  const fixed = new Map<string, Buffer>();
  for (let i = 0; i < FILES; i++) {
    const name = `pkg${String(Math.floor(i / 100)).padStart(2, "0")}/mod_${String(i).padStart(4, "0")}.py`;
    const text = source(i);
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
    names.push(name);
    original.set(name, Buffer.from(text));
    const out = runOn(text, [narrowExcept], name);
    if (out.status !== "changed") throw new Error(`${name}: ${out.status}`);
    fixed.set(name, Buffer.from(out.output!));
  }
  return { dir, names, original, fixed };
}

/** Start a --write run and send SIGINT once `trigger` files are fixed on disk. */
async function interrupted(tree: Tree, jobs: number, trigger: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, "fix", "--write", "--select", "narrow-except", "--quiet", "--jobs", String(jobs), tree.dir], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  let sent = false;
  const watch = async (): Promise<void> => {
    while (!sent && child.exitCode === null) {
      // Files are written in path order: the trigger-th one being fixed means the run is under way.
      const probe = fs.readFileSync(path.join(tree.dir, tree.names[trigger - 1]!));
      if (probe.equals(tree.fixed.get(tree.names[trigger - 1]!)!)) {
        child.kill("SIGINT");
        sent = true;
        return;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  await watch();
  const result = await exited;
  if (!sent) throw new Error(`the run ended before it could be interrupted (exit ${result.code}): ${stderr}`);
  return { ...result, stderr };
}

function verdict(tree: Tree): { fixed: number; original: number; broken: string[]; temps: string[] } {
  let fixed = 0;
  let original = 0;
  const broken: string[] = [];
  for (const name of tree.names) {
    const now = fs.readFileSync(path.join(tree.dir, name));
    if (now.equals(tree.fixed.get(name)!)) fixed++;
    else if (now.equals(tree.original.get(name)!)) original++;
    else broken.push(name);
  }
  const temps = (fs.readdirSync(tree.dir, { recursive: true }) as string[]).filter((p) => /\.pyremedy-.*\.tmp$/.test(p));
  return { fixed, original, broken, temps };
}

describe("SIGINT during fix --write", () => {
  it.each([1, 2])("--jobs %i: every file is original or fully fixed, no temp file is left, exit 130", async (jobs) => {
    const tree = makeTree();
    const { code, signal, stderr } = await interrupted(tree, jobs, 20);
    expect(signal, stderr).toBeNull();
    expect(code, stderr).toBe(130);
    const v = verdict(tree);
    expect(v.broken).toEqual([]);
    expect(v.temps).toEqual([]);
    // In path order with one thread; with several, a later file may be written before earlier ones.
    expect(v.fixed).toBeGreaterThanOrEqual(jobs === 1 ? 20 : 1);
    expect(v.original, "the run was really cut short").toBeGreaterThan(0);
    expect(v.fixed + v.original).toBe(FILES);
  }, 60_000);

  it("a second run after the interrupt finishes the job", async () => {
    const tree = makeTree();
    await interrupted(tree, 1, 10);
    const again = spawn(process.execPath, [BIN, "fix", "--write", "--select", "narrow-except", "--quiet", "--jobs", "1", tree.dir], { stdio: "ignore" });
    const code = await new Promise<number | null>((resolve) => again.on("exit", resolve));
    expect(code).toBe(0);
    expect(verdict(tree)).toMatchObject({ fixed: FILES, original: 0, broken: [], temps: [] });
  }, 90_000);
});
