/**
 * Writing a fixed file: never half-written. The new bytes go to a temp file in the same
 * directory (same file system), get the original's mode, and replace it by rename — but only
 * if the file on disk still holds exactly the bytes we read, and only if it may be written at
 * all: a rename would otherwise replace a read-only file (or one in a read-only directory)
 * that an in-place write would not be allowed to touch.
 */
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";

export class WriteError extends Error {}

/** The file-system calls a write makes. */
export type WriteFs = Pick<typeof fs, "lstatSync" | "statSync" | "accessSync" | "readFileSync" | "openSync" | "writeSync" | "fsyncSync" | "closeSync" | "chmodSync" | "renameSync" | "linkSync" | "unlinkSync">;

const realFs: WriteFs = {
  lstatSync: fs.lstatSync, statSync: fs.statSync, accessSync: fs.accessSync, readFileSync: fs.readFileSync,
  openSync: fs.openSync, writeSync: fs.writeSync, fsyncSync: fs.fsyncSync, closeSync: fs.closeSync,
  chmodSync: fs.chmodSync, renameSync: fs.renameSync, linkSync: fs.linkSync, unlinkSync: fs.unlinkSync,
};

let wfs: WriteFs = realFs;

/**
 * Test seam: replace some of the calls writeAtomic makes, to simulate faults no test can cause
 * for real (a full disk, a file deleted between reading and writing). Without an argument,
 * restores the real file system.
 */
export function setWriteFs(replacement?: Partial<WriteFs>): void {
  wfs = replacement ? { ...realFs, ...replacement } : realFs;
}

const liveTemps = new Set<string>();

/** Temp files still being written; removed on interrupt (see cleanupTemps). */
export function cleanupTemps(): void {
  for (const tmp of liveTemps) {
    try { fs.unlinkSync(tmp); } catch { /* already gone */ }
  }
  liveTemps.clear();
}

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** Why the file at `absPath` (with `stat`) must not be replaced, if it must not. */
function notWritable(absPath: string, stat: fs.Stats): string | undefined {
  // Mode bits first: root passes every access check, yet a file nobody may write stays unwritten.
  if ((stat.mode & 0o222) === 0) return "read-only file; not written";
  const dir = path.dirname(absPath);
  try {
    if ((wfs.statSync(dir).mode & 0o222) === 0) return "read-only directory; not written";
    wfs.accessSync(absPath, fs.constants.W_OK);
    wfs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    return `not writable (${code(err)}); not written`;
  }
  return undefined;
}

/** Write all of `bytes` to `fd` (writeSync may write less than asked). */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += wfs.writeSync(fd, bytes, done, bytes.length - done);
}

/**
 * The checks a write makes before touching anything: `absPath` is still a regular file holding
 * exactly `expected`, and may be written. Throws a WriteError saying why not; returns its stat.
 * A caller that must do something first (put moved secrets in .env) asks here before doing it.
 */
export function checkWritable(absPath: string, expected: Uint8Array): fs.Stats {
  let stat: fs.Stats;
  let current: Buffer;
  try {
    stat = wfs.lstatSync(absPath);
    if (!stat.isFile()) throw new WriteError(stat.isSymbolicLink() ? "is a symbolic link; not written through" : "is no longer a regular file; not written");
    current = wfs.readFileSync(absPath);
  } catch (err) {
    if (err instanceof WriteError) throw err;
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new WriteError("deleted during the run; not written");
    throw new WriteError(`cannot re-read before writing (${code(err)})`);
  }
  if (Buffer.compare(current, Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength)) !== 0) {
    throw new WriteError("changed on disk during the run; not written");
  }
  const refused = notWritable(absPath, stat);
  if (refused) throw new WriteError(refused);
  return stat;
}

/**
 * A temp file beside `absPath` holding all of `bytes` on disk (fsync) with `mode`, then put in
 * place: renamed over `absPath`, or hard-linked to it (which fails if `absPath` exists). The temp
 * file never outlives the call.
 */
function viaTemp(absPath: string, bytes: Uint8Array, mode: number, place: "rename" | "link"): void {
  const tmp = path.join(path.dirname(absPath), `.${path.basename(absPath)}.pyremedy-${process.pid}-${crypto.randomBytes(4).toString("hex")}.tmp`);
  liveTemps.add(tmp);
  let renamed = false;
  try {
    const fd = wfs.openSync(tmp, "wx", mode);
    try {
      writeAll(fd, bytes);
      wfs.fsyncSync(fd);
    } finally {
      wfs.closeSync(fd);
    }
    wfs.chmodSync(tmp, mode);
    if (place === "rename") {
      wfs.renameSync(tmp, absPath);
      renamed = true;
    } else {
      wfs.linkSync(tmp, absPath);
    }
  } finally {
    if (!renamed) {
      try { wfs.unlinkSync(tmp); } catch { /* never created */ }
    }
    liveTemps.delete(tmp);
  }
}

export function writeAtomic(absPath: string, expected: Uint8Array, next: Uint8Array): void {
  const stat = checkWritable(absPath, expected);
  try {
    viaTemp(absPath, next, stat.mode & 0o7777, "rename");
  } catch (err) {
    throw new WriteError(`write failed (${code(err)}); original kept`);
  }
}

/**
 * Create `absPath` with `mode` atomically: a complete temp file, hard-linked into place only if
 * nothing is there yet (an existing file is never replaced). Refused in a read-only directory,
 * by its mode bits, as writeAtomic refuses one.
 */
export function createAtomic(absPath: string, bytes: Uint8Array, mode: number): void {
  const dir = path.dirname(absPath);
  let dirMode: number;
  try {
    dirMode = wfs.statSync(dir).mode;
  } catch (err) {
    throw new WriteError(`write failed (${code(err)})`);
  }
  if ((dirMode & 0o222) === 0) throw new WriteError("read-only directory; not written");
  try {
    viaTemp(absPath, bytes, mode, "link");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new WriteError(`${path.basename(absPath)} appeared during the run; not written`);
    throw new WriteError(`write failed (${code(err)})`);
  }
}

/**
 * Make the entries of `dir` durable (a new or renamed file survives a crash): what must be on
 * disk before another write depends on it. Best effort where a file system cannot sync a directory.
 */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = wfs.openSync(dir, "r");
    wfs.fsyncSync(fd);
  } catch {
    /* not supported here (EINVAL, EISDIR on some systems): the file itself was synced */
  } finally {
    if (fd !== undefined) wfs.closeSync(fd);
  }
}
