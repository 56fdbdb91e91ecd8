/**
 * File-system faults during `fix --write`: each is reported with a reason, the run goes on, and
 * an original is never half-written (nor left with a temp file beside it). Permission faults are
 * real: as root (who passes every permission check) the built CLI runs as `nobody` on a tree it
 * owns; a full disk and a file deleted mid-run are simulated through write.ts's test seam.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { narrowExcept } from "../codemods/narrow-except.js";
import type { FileReport, RunReport } from "../src/engine/report.js";
import { runFix } from "../src/engine/run.js";
import { setWriteFs } from "../src/engine/write.js";
import { ROOT, runOn, setup } from "./helpers.js";

beforeAll(setup);
afterEach(() => setWriteFs());

/** A handler narrow-except fixes. */
const FIXABLE = "import json\n\n\ndef load(path):\n    try:\n        with open(path) as f:\n            return json.load(f)\n    except:\n        return None\n";
let FIXED: Buffer;
beforeAll(() => {
  FIXED = Buffer.from(runOn(FIXABLE, [narrowExcept], "x.py").output!);
});

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-faults-"));
}

/** A repo with the given files (all FIXABLE unless given), returning its path. */
function repo(files: Record<string, string> = {}): string {
  const dir = tmpdir();
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

function entry(report: RunReport, rel: string): FileReport {
  const f = report.files.find((x) => x.path === rel);
  if (!f) throw new Error(`${rel} not in the report: ${report.files.map((x) => x.path).join(", ")}`);
  return f;
}

/** Every file below `dir`, so a leftover temp file shows. */
function tree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map((p) => p.split(path.sep).join("/")).sort();
}

const fix = (dir: string, extra: Partial<Parameters<typeof runFix>[0]> = {}): Promise<RunReport> =>
  runFix({ paths: [dir], codemods: [narrowExcept], write: true, jobs: 1, ...extra });

describe("permissions (mode bits: a rename would otherwise replace what an in-place write may not touch)", () => {
  it("a read-only file is reported, kept byte for byte with its mode, and the others are written", async () => {
    const dir = repo({ "a.py": FIXABLE, "ro.py": FIXABLE });
    fs.chmodSync(path.join(dir, "ro.py"), 0o444);
    const report = await fix(dir);
    expect(entry(report, "ro.py")).toMatchObject({ status: "failed", reason: "read-only file; not written" });
    expect(entry(report, "ro.py").written).toBeUndefined();
    expect(fs.readFileSync(path.join(dir, "ro.py"), "utf8")).toBe(FIXABLE);
    expect(fs.statSync(path.join(dir, "ro.py")).mode & 0o777).toBe(0o444);
    expect(fs.readFileSync(path.join(dir, "a.py"))).toEqual(FIXED);
    expect(tree(dir)).toEqual(["a.py", "ro.py"]);
    expect(report.summary).toMatchObject({ filesFailed: 1, filesChanged: 1 });
  });

  it("a file in a read-only directory is reported and kept", async () => {
    const dir = repo({ "a.py": FIXABLE, "locked/b.py": FIXABLE });
    fs.chmodSync(path.join(dir, "locked"), 0o555);
    try {
      const report = await fix(dir);
      expect(entry(report, "locked/b.py")).toMatchObject({ status: "failed", reason: "read-only directory; not written" });
      expect(fs.readFileSync(path.join(dir, "locked/b.py"), "utf8")).toBe(FIXABLE);
      expect(fs.readFileSync(path.join(dir, "a.py"))).toEqual(FIXED);
      expect(tree(dir)).toEqual(["a.py", "locked", "locked/b.py"]);
    } finally {
      fs.chmodSync(path.join(dir, "locked"), 0o755);
    }
  });
});

describe("the file changes under us", () => {
  it("deleted between discovery and reading: failed, not recreated", async () => {
    const dir = repo({ "a.py": FIXABLE, "gone.py": FIXABLE });
    // progress.start runs after discovery, before any file is read.
    const progress = { start: () => fs.unlinkSync(path.join(dir, "gone.py")), advance() {}, stop() {} };
    const report = await fix(dir, { progress });
    expect(entry(report, "gone.py")).toMatchObject({ status: "failed", reason: "cannot read (ENOENT)" });
    expect(tree(dir)).toEqual(["a.py"]);
    expect(fs.readFileSync(path.join(dir, "a.py"))).toEqual(FIXED);
  });

  it("deleted between reading and writing: failed, not recreated", async () => {
    const dir = repo({ "gone.py": FIXABLE });
    setWriteFs({
      lstatSync: ((p: fs.PathLike) => {
        fs.rmSync(p, { force: true });
        return fs.lstatSync(p);
      }) as typeof fs.lstatSync,
    });
    const report = await fix(dir);
    expect(entry(report, "gone.py")).toMatchObject({ status: "failed", reason: "deleted during the run; not written" });
    expect(tree(dir)).toEqual([]);
  });

  it("edited between reading and writing: the edit is kept", async () => {
    const dir = repo({ "a.py": FIXABLE });
    const edited = `${FIXABLE}# edited meanwhile\n`;
    setWriteFs({
      lstatSync: ((p: fs.PathLike) => {
        fs.writeFileSync(p, edited);
        return fs.lstatSync(p);
      }) as typeof fs.lstatSync,
    });
    const report = await fix(dir);
    expect(entry(report, "a.py")).toMatchObject({ status: "failed", reason: "changed on disk during the run; not written" });
    expect(fs.readFileSync(path.join(dir, "a.py"), "utf8")).toBe(edited);
  });
});

describe("a write that fails half-way (simulated: no test can fill a disk)", () => {
  const enospc = (): Error => Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });

  it("disk full after half the bytes: failed with the reason, original intact, no temp file, the run goes on", async () => {
    const dir = repo({ "a.py": FIXABLE, "b.py": FIXABLE, "c.py": FIXABLE });
    let tmpSeen: string | undefined;
    setWriteFs({
      writeSync: ((fd: number, buf: Uint8Array, offset: number, length: number) => {
        const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
        if (!target.includes(".b.py.")) return fs.writeSync(fd, buf, offset, length);
        tmpSeen = target;
        // A partial write lands, then the disk is full.
        fs.writeSync(fd, buf, offset, Math.floor(length / 2));
        throw enospc();
      }) as typeof fs.writeSync,
    });
    const report = await fix(dir);
    expect(tmpSeen).toMatch(/\.b\.py\.pyremedy-\d+-[0-9a-f]+\.tmp$/);
    expect(entry(report, "b.py")).toMatchObject({ status: "failed", reason: "write failed (ENOSPC); original kept" });
    expect(fs.readFileSync(path.join(dir, "b.py"), "utf8")).toBe(FIXABLE);
    expect(fs.readFileSync(path.join(dir, "a.py"))).toEqual(FIXED);
    expect(fs.readFileSync(path.join(dir, "c.py"))).toEqual(FIXED);
    expect(tree(dir)).toEqual(["a.py", "b.py", "c.py"]);
  });

  it.each([
    ["fsyncSync", "EIO"],
    ["renameSync", "EXDEV"],
    ["openSync", "EMFILE"],
  ] as const)("%s failing with %s: failed, original intact, no temp file", async (call, errno) => {
    const dir = repo({ "a.py": FIXABLE });
    setWriteFs({ [call]: () => { throw Object.assign(new Error(errno), { code: errno }); } });
    const report = await fix(dir);
    expect(entry(report, "a.py")).toMatchObject({ status: "failed", reason: `write failed (${errno}); original kept` });
    expect(fs.readFileSync(path.join(dir, "a.py"), "utf8")).toBe(FIXABLE);
    expect(tree(dir)).toEqual(["a.py"]);
  });

  it("short writes are completed, not truncated", async () => {
    const dir = repo({ "a.py": FIXABLE });
    setWriteFs({
      writeSync: ((fd: number, buf: Uint8Array, offset: number, length: number) => fs.writeSync(fd, buf, offset, Math.min(length, 7))) as typeof fs.writeSync,
    });
    const report = await fix(dir);
    expect(entry(report, "a.py")).toMatchObject({ status: "changed", written: true });
    expect(fs.readFileSync(path.join(dir, "a.py"))).toEqual(FIXED);
  });
});

describe("links and sizes", () => {
  it("symlinks out of the root (file and directory) are skipped with a reason; their targets untouched", async () => {
    const outside = repo({ "secret.py": FIXABLE, "pkg/mod.py": FIXABLE });
    const dir = repo({ "a.py": FIXABLE });
    fs.symlinkSync(path.join(outside, "secret.py"), path.join(dir, "link.py"));
    fs.symlinkSync(path.join(outside, "pkg"), path.join(dir, "linked-pkg"));
    const report = await fix(dir);
    expect(entry(report, "link.py")).toMatchObject({ status: "skipped", reason: "symlink points outside the root" });
    expect(entry(report, "linked-pkg")).toMatchObject({ status: "skipped", reason: "symlink points outside the root" });
    expect(fs.readFileSync(path.join(outside, "secret.py"), "utf8")).toBe(FIXABLE);
    expect(fs.readFileSync(path.join(outside, "pkg/mod.py"), "utf8")).toBe(FIXABLE);
    expect(fs.readFileSync(path.join(dir, "a.py"))).toEqual(FIXED);
  });

  it("a symlink named on the command line is never written through (skipped like a walked one)", async () => {
    const outside = repo({ "secret.py": FIXABLE });
    const dir = repo();
    fs.symlinkSync(path.join(outside, "secret.py"), path.join(dir, "link.py"));
    const report = await fix(path.join(dir, "link.py"));
    expect(report.files.map((f) => [f.status, f.reason])).toEqual([["skipped", "symlink points outside the root"]]);
    expect(fs.readFileSync(path.join(outside, "secret.py"), "utf8")).toBe(FIXABLE);
    expect(fs.lstatSync(path.join(dir, "link.py")).isSymbolicLink()).toBe(true);
  });

  it("a very large (sparse, 3 GiB) file is skipped by its size without being read", async () => {
    const dir = repo({ "a.py": FIXABLE });
    const huge = path.join(dir, "huge.py");
    fs.writeFileSync(huge, FIXABLE);
    fs.truncateSync(huge, 3 * 1024 ** 3);
    const started = Date.now();
    const report = await fix(dir);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(entry(report, "huge.py")).toMatchObject({ status: "skipped", reason: `file too large (${3 * 1024 ** 3} bytes > ${2 * 1024 * 1024})` });
    expect(fs.statSync(huge).size).toBe(3 * 1024 ** 3);
    expect(fs.readFileSync(path.join(dir, "a.py"))).toEqual(FIXED);
    expect(report.summary).toMatchObject({ filesFailed: 0, filesSkipped: 1 });
  });

  it("a file just over --max-bytes is skipped, one at the limit is fixed", async () => {
    const dir = repo({ "at.py": FIXABLE, "over.py": `${FIXABLE}#` });
    const report = await fix(dir, { maxBytes: Buffer.byteLength(FIXABLE) });
    expect(entry(report, "over.py")).toMatchObject({ status: "skipped", reason: `file too large (${Buffer.byteLength(FIXABLE) + 1} bytes > ${Buffer.byteLength(FIXABLE)})` });
    expect(entry(report, "at.py")).toMatchObject({ status: "changed", written: true });
  });

  it("a FIFO named like a Python file never blocks the run", async () => {
    const dir = repo({ "a.py": FIXABLE });
    const made = spawnSync("mkfifo", [path.join(dir, "pipe.py")]);
    if (made.status !== 0) return; // no mkfifo on this system
    const report = await fix(dir);
    expect(report.files.map((f) => f.path)).toEqual(["a.py"]);
    const named = await fix(path.join(dir, "pipe.py"));
    expect(named.files.map((f) => [f.status, f.reason])).toEqual([["skipped", "not a regular file or directory"]]);
  });
});

/**
 * Unreadable files and repositories need a user the permissions apply to: as root, the built CLI
 * runs as `nobody` on a tree `nobody` owns; as anyone else, as that user.
 */
describe("unreadable files and repositories (real permissions, through the built binary)", () => {
  const bin = path.join(ROOT, "dist/src/cli/main.js");
  const root = process.getuid?.() === 0;
  const NOBODY = 65534;

  function own(dir: string): void {
    if (!root) return;
    for (const p of [dir, ...tree(dir).map((r) => path.join(dir, r))]) fs.lchownSync(p, NOBODY, NOBODY);
  }

  function cli(args: string[]): { code: number | null; report: RunReport } {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", ...(root ? { uid: NOBODY, gid: NOBODY } : {}) });
    if (!r.stdout) throw new Error(`no report: ${r.stderr}`);
    return { code: r.status, report: JSON.parse(r.stdout) as RunReport };
  }

  it("an unreadable file and an unreadable subdirectory are reported, the rest is fixed", () => {
    const dir = repo({ "a.py": FIXABLE, "secret.py": FIXABLE, "closed/b.py": FIXABLE });
    own(dir);
    fs.chmodSync(path.join(dir, "secret.py"), 0o000);
    fs.chmodSync(path.join(dir, "closed"), 0o000);
    try {
      const { code, report } = cli(["fix", "--select", "narrow-except", "--write", "--format", "json", "--jobs", "1", dir]);
      expect(code).toBe(2);
      expect(entry(report, "secret.py")).toMatchObject({ status: "failed", reason: "cannot read (EACCES)" });
      expect(entry(report, "closed")).toMatchObject({ status: "skipped", reason: "unreadable directory (EACCES)" });
      expect(fs.readFileSync(path.join(dir, "a.py"))).toEqual(FIXED);
    } finally {
      fs.chmodSync(path.join(dir, "secret.py"), 0o644);
      fs.chmodSync(path.join(dir, "closed"), 0o755);
    }
    expect(fs.readFileSync(path.join(dir, "secret.py"), "utf8")).toBe(FIXABLE);
    expect(fs.readFileSync(path.join(dir, "closed/b.py"), "utf8")).toBe(FIXABLE);
  });

  it("an unreadable repository fails (exit 2) with a reason; the next repository is still fixed", () => {
    const locked = repo({ "a.py": FIXABLE });
    const open = repo({ "a.py": FIXABLE });
    own(locked);
    own(open);
    fs.chmodSync(locked, 0o000);
    try {
      const { code, report } = cli(["fix", "--select", "narrow-except", "--write", "--format", "json", "--jobs", "1", locked, open]);
      expect(code).toBe(2);
      expect(report.files.find((f) => f.repo === locked)).toMatchObject({ status: "failed", reason: "unreadable directory (EACCES)" });
      expect(report.files.find((f) => f.repo === open)).toMatchObject({ path: "a.py", status: "changed" });
    } finally {
      fs.chmodSync(locked, 0o755);
    }
    expect(fs.readFileSync(path.join(locked, "a.py"), "utf8")).toBe(FIXABLE);
    expect(fs.readFileSync(path.join(open, "a.py"))).toEqual(FIXED);
  });

  it("a read-only file (EACCES for its owner) is reported and kept", () => {
    const dir = repo({ "a.py": FIXABLE, "ro.py": FIXABLE });
    own(dir);
    fs.chmodSync(path.join(dir, "ro.py"), 0o444);
    const { code, report } = cli(["fix", "--select", "narrow-except", "--write", "--format", "json", "--jobs", "1", dir]);
    expect(code).toBe(2);
    expect(entry(report, "ro.py")).toMatchObject({ status: "failed", reason: "read-only file; not written" });
    expect(fs.readFileSync(path.join(dir, "ro.py"), "utf8")).toBe(FIXABLE);
    expect(tree(dir)).toEqual(["a.py", "ro.py"]);
  });
});
