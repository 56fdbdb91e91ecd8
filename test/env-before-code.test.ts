/**
 * secrets-to-env with --write never loses a value: a file whose fix moves values out of the code
 * is written only once the repository's `.env` holds them, on disk, and is git-ignored. Checked
 * at every single write (as if the run were killed right after it), under a real SIGINT through
 * the built binary, and when `.env` (or `.gitignore`) cannot be written: then the file is kept
 * byte for byte and reported failed with the reason.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { narrowExcept } from "../codemods/narrow-except.js";
import { secretsToEnv } from "../codemods/secrets-to-env.js";
import type { FileReport, RunReport } from "../src/engine/report.js";
import { runFix } from "../src/engine/run.js";
import { setWriteFs } from "../src/engine/write.js";
import { dotenvMap } from "../src/secrets/dotenv.js";
import { ROOT, setup } from "./helpers.js";

beforeAll(setup);
afterEach(() => setWriteFs());

const BIN = path.join(ROOT, "dist/src/cli/main.js");

const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

function tmpdir(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-envfirst-")));
  made.push(dir);
  return dir;
}

/** A fake credential, made from parts (no live-looking value on disk). */
function secret(i: number): string {
  return ["Db", "Pa55", String(i).padStart(4, "0"), "qz"].join("-");
}

const secretModule = (i: number): string => `import os\n\nDB_PASSWORD_${i} = "${secret(i)}"\n`;

/** A handler narrow-except fixes: files that are written as they come, between the held ones. */
const plainModule = (i: number): string => `def load_${i}(path):\n    try:\n        return open(path).read()\n    except:\n        pass\n`;

interface Repo {
  readonly dir: string;
  /** Relative path of each file holding a value → that value. */
  readonly values: Map<string, string>;
  readonly plain: string[];
  readonly original: Map<string, string>;
}

/** `pairs` secret modules interleaved (in path order) with as many narrow-except modules. */
function makeRepo(pairs: number): Repo {
  const dir = tmpdir();
  const values = new Map<string, string>();
  const plain: string[] = [];
  const original = new Map<string, string>();
  for (let i = 0; i < pairs; i++) {
    const pkg = `pkg${String(Math.floor(i / 50)).padStart(2, "0")}`;
    const n = String(i).padStart(4, "0");
    const s = `${pkg}/m${n}_a_settings.py`;
    const p = `${pkg}/m${n}_b_loader.py`;
    fs.mkdirSync(path.join(dir, pkg), { recursive: true });
    fs.writeFileSync(path.join(dir, s), secretModule(i));
    fs.writeFileSync(path.join(dir, p), plainModule(i));
    values.set(s, secret(i));
    plain.push(p);
    original.set(s, secretModule(i));
    original.set(p, plainModule(i));
  }
  return { dir, values, plain, original };
}

function readEnv(dir: string): Map<string, string> {
  try {
    return dotenvMap(fs.readFileSync(path.join(dir, ".env"), "utf8"));
  } catch {
    return new Map();
  }
}

function gitIgnoresEnv(dir: string): boolean {
  try {
    return fs.readFileSync(path.join(dir, ".gitignore"), "utf8").split(/\r?\n/).includes(".env");
  } catch {
    return false;
  }
}

/**
 * The invariant, on disk: every file either still holds its value, or reads it from the
 * environment and `.env` (git-ignored) holds it. Returns the files that break it.
 */
function lostValues(repo: Repo): string[] {
  const env = [...readEnv(repo.dir).values()];
  const ignored = gitIgnoresEnv(repo.dir);
  const lost: string[] = [];
  for (const [rel, value] of repo.values) {
    const now = fs.readFileSync(path.join(repo.dir, rel), "utf8");
    if (now === repo.original.get(rel)) continue;
    if (!now.includes("os.environ[") || now.includes(value) || !env.includes(value) || !ignored) lost.push(rel);
  }
  return lost;
}

function temps(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((p) => /\.pyremedy-.*\.tmp$/.test(p));
}

function entry(report: RunReport, rel: string): FileReport {
  const f = report.files.find((x) => x.path === rel);
  if (!f) throw new Error(`${rel} not in the report: ${report.files.map((x) => x.path).join(", ")}`);
  return f;
}

const fix = (dir: string, extra: Partial<Parameters<typeof runFix>[0]> = {}): Promise<RunReport> =>
  runFix({ paths: [dir], codemods: [narrowExcept, secretsToEnv], write: true, jobs: 1, ...extra });

describe("a value leaves a file only once .env holds it", () => {
  it("at every write of a file (as if the run died right after it), its values are already in a git-ignored .env", async () => {
    const repo = makeRepo(12);
    const broken: string[] = [];
    let written = 0;
    setWriteFs({
      renameSync: ((from: fs.PathLike, to: fs.PathLike) => {
        fs.renameSync(from, to);
        const rel = path.relative(repo.dir, String(to)).split(path.sep).join("/");
        if (!rel.endsWith(".py")) return;
        written++;
        // A crash here leaves the disk as it is now.
        broken.push(...lostValues(repo).map((f) => `${f} (after writing ${rel})`));
      }) as typeof fs.renameSync,
    });
    const report = await fix(repo.dir);
    expect(broken).toEqual([]);
    expect(written).toBe(24);
    expect(report.summary).toMatchObject({ filesChanged: 24, filesFailed: 0 });
    expect(report.files.filter((f) => f.status === "changed").every((f) => f.written)).toBe(true);
    expect(report.env.map((e) => e.dotenv)).toEqual(Array(12).fill("added"));
    expect([...readEnv(repo.dir).values()].sort()).toEqual([...repo.values.values()].sort());
    expect(fs.statSync(path.join(repo.dir, ".env")).mode & 0o777).toBe(0o600);
    for (const rel of repo.values.keys()) expect(fs.readFileSync(path.join(repo.dir, rel), "utf8")).toMatch(/= os\.environ\["DB_PASSWORD_\d+"\]\n$/);
    expect(temps(repo.dir)).toEqual([]);
  });

  it("a preview writes nothing, and reports every file as it would change", async () => {
    const repo = makeRepo(3);
    const before = fs.readdirSync(repo.dir, { recursive: true }).sort();
    const report = await fix(repo.dir, { write: false });
    expect(report.summary).toMatchObject({ filesChanged: 6, filesFailed: 0 });
    expect(report.env.map((e) => e.dotenv)).toEqual(["new", "new", "new"]);
    expect(fs.readdirSync(repo.dir, { recursive: true }).sort()).toEqual(before);
    for (const [rel, text] of repo.original) expect(fs.readFileSync(path.join(repo.dir, rel), "utf8")).toBe(text);
  });
});

describe(".env or .gitignore cannot be written: the files moving values are kept and reported failed", () => {
  const enospc = (): Error => Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });

  it(".env write fails half-way (disk full): every secret file byte for byte, no .env, no temp file; the other fixes are written", async () => {
    const repo = makeRepo(3);
    fs.writeFileSync(path.join(repo.dir, ".gitignore"), ".env\n");
    setWriteFs({
      writeSync: ((fd: number, buf: Uint8Array, offset: number, length: number) => {
        if (!fs.readlinkSync(`/proc/self/fd/${fd}`).includes("/..env.pyremedy-")) return fs.writeSync(fd, buf, offset, length);
        fs.writeSync(fd, buf, offset, Math.floor(length / 2));
        throw enospc();
      }) as typeof fs.writeSync,
    });
    const report = await fix(repo.dir);
    for (const [rel, text] of repo.original) {
      if (repo.values.has(rel)) {
        expect(fs.readFileSync(path.join(repo.dir, rel), "utf8"), rel).toBe(text);
        expect(entry(report, rel)).toMatchObject({ status: "failed", reason: expect.stringMatching(/^not written: \.env does not hold DB_PASSWORD_\d+ \(\.env: write failed \(ENOSPC\)\)$/) });
        expect(entry(report, rel).written).toBeUndefined();
      } else {
        expect(entry(report, rel)).toMatchObject({ status: "changed", written: true });
      }
    }
    expect(entry(report, ".env")).toMatchObject({ status: "failed", reason: "write failed (ENOSPC)" });
    expect(report.env.map((e) => e.dotenv)).toEqual(["failed", "failed", "failed"]);
    expect(fs.existsSync(path.join(repo.dir, ".env"))).toBe(false);
    expect(temps(repo.dir)).toEqual([]);
    expect(report.summary).toMatchObject({ filesChanged: 3, filesFailed: 4 });
  });

  it("an existing .env that cannot be replaced (rename fails): .env and the secret files unchanged", async () => {
    const repo = makeRepo(2);
    fs.writeFileSync(path.join(repo.dir, ".gitignore"), ".env\n");
    fs.writeFileSync(path.join(repo.dir, ".env"), "OTHER=kept\n", { mode: 0o600 });
    setWriteFs({
      renameSync: ((from: fs.PathLike, to: fs.PathLike) => {
        if (path.basename(String(to)) === ".env") throw Object.assign(new Error("EIO"), { code: "EIO" });
        fs.renameSync(from, to);
      }) as typeof fs.renameSync,
    });
    const report = await fix(repo.dir);
    expect(fs.readFileSync(path.join(repo.dir, ".env"), "utf8")).toBe("OTHER=kept\n");
    for (const rel of repo.values.keys()) {
      expect(fs.readFileSync(path.join(repo.dir, rel), "utf8")).toBe(repo.original.get(rel));
      expect(entry(report, rel).status).toBe("failed");
    }
    for (const rel of repo.plain) expect(entry(report, rel)).toMatchObject({ status: "changed", written: true });
    expect(temps(repo.dir)).toEqual([]);
  });

  it("a read-only repository root (real mode bits): .gitignore cannot take .env, so nothing moves", async () => {
    const repo = makeRepo(2);
    fs.chmodSync(repo.dir, 0o555);
    let report: RunReport;
    try {
      report = await fix(repo.dir);
    } finally {
      fs.chmodSync(repo.dir, 0o755);
    }
    expect(entry(report, ".gitignore")).toMatchObject({ status: "failed", reason: "read-only directory; not written" });
    for (const rel of repo.values.keys()) {
      expect(fs.readFileSync(path.join(repo.dir, rel), "utf8")).toBe(repo.original.get(rel));
      expect(entry(report, rel)).toMatchObject({ status: "failed", reason: expect.stringContaining(".gitignore could not be updated") });
    }
    // The subdirectories are writable: the fixes that move nothing are written.
    for (const rel of repo.plain) expect(entry(report, rel)).toMatchObject({ status: "changed", written: true });
    expect(fs.readdirSync(repo.dir).sort()).toEqual(["pkg00"]);
  });

  it(".env edited during the run to hold another value under the name: the file keeps its literal", async () => {
    const repo = makeRepo(2);
    const [first, second] = [...repo.values.keys()];
    let edited = false;
    const progress = {
      start() {},
      advance() {
        // After the codemod has read .env (with the first file), someone sets the name by hand.
        if (!edited) fs.writeFileSync(path.join(repo.dir, ".env"), "DB_PASSWORD_1=set-by-hand\n");
        edited = true;
      },
      stop() {},
    };
    const report = await fix(repo.dir, { progress });
    expect(entry(report, second!)).toMatchObject({ status: "failed", reason: expect.stringMatching(/^not written: \.env does not hold DB_PASSWORD_1 \(\.env already sets DB_PASSWORD_1 to a different value/) });
    expect(fs.readFileSync(path.join(repo.dir, second!), "utf8")).toBe(repo.original.get(second!));
    expect(entry(report, first!)).toMatchObject({ status: "changed", written: true });
    expect(readEnv(repo.dir)).toEqual(new Map([["DB_PASSWORD_1", "set-by-hand"], ["DB_PASSWORD_0", secret(0)]]));
    expect(lostValues(repo)).toEqual([]);
  });

  it("a secret file that cannot be written anyway (read-only) moves nothing to .env", async () => {
    const repo = makeRepo(2);
    const [first, second] = [...repo.values.keys()];
    fs.chmodSync(path.join(repo.dir, second!), 0o444);
    const report = await fix(repo.dir);
    expect(entry(report, second!)).toMatchObject({ status: "failed", reason: "read-only file; not written" });
    expect(entry(report, first!)).toMatchObject({ status: "changed", written: true });
    expect(readEnv(repo.dir)).toEqual(new Map([["DB_PASSWORD_0", secret(0)]]));
    expect(report.env.map((e) => [e.name, e.files])).toEqual([["DB_PASSWORD_0", [first]]]);
  });
});

describe("SIGINT during fix --write with secrets-to-env (built binary)", () => {
  /** Start a --write run and send SIGINT once the `trigger`-th narrow-except file is fixed on disk. */
  async function interrupted(repo: Repo, jobs: number, trigger: number): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, [BIN, "fix", "--write", "--quiet", "--jobs", String(jobs), repo.dir], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const probe = path.join(repo.dir, repo.plain[trigger - 1]!);
    let sent = false;
    while (child.exitCode === null) {
      if (!fs.readFileSync(probe, "utf8").includes("except:")) {
        child.kill("SIGINT");
        sent = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    const code = await exited;
    if (!sent) throw new Error(`the run ended before it could be interrupted (exit ${code}): ${stderr}`);
    return { code, stderr };
  }

  it.each([1, 2])("--jobs %i: no value is lost, and a second run moves them all", async (jobs) => {
    const repo = makeRepo(120);
    const { code, stderr } = await interrupted(repo, jobs, 20);
    expect(code, stderr).toBe(130);
    const untouched = repo.plain.filter((rel) => fs.readFileSync(path.join(repo.dir, rel), "utf8") === repo.original.get(rel));
    expect(untouched.length, "the run was really cut short").toBeGreaterThan(0);
    expect(lostValues(repo)).toEqual([]);
    expect(temps(repo.dir)).toEqual([]);

    const again = spawnSync(process.execPath, [BIN, "fix", "--write", "--quiet", "--jobs", String(jobs), repo.dir], { encoding: "utf8" });
    expect(again.status, again.stderr).toBe(0);
    expect(lostValues(repo)).toEqual([]);
    expect([...readEnv(repo.dir).values()].sort()).toEqual([...repo.values.values()].sort());
    for (const rel of repo.values.keys()) expect(fs.readFileSync(path.join(repo.dir, rel), "utf8")).toContain("os.environ[");
  }, 60_000);
});
