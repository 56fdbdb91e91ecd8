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
export type WriteFs = Pick<typeof fs, "lstatSync" | "statSync" | "accessSync" | "readFileSync" | "openSync" | "writeSync" | "fsyncSync" | "closeSync" | "chmodSync" | "renameSync" | "unlinkSync">;

const realFs: WriteFs = {
  lstatSync: fs.lstatSync, statSync: fs.statSync, accessSync: fs.accessSync, readFileSync: fs.readFileSync,
  openSync: fs.openSync, writeSync: fs.writeSync, fsyncSync: fs.fsyncSync, closeSync: fs.closeSync,
  chmodSync: fs.chmodSync, renameSync: fs.renameSync, unlinkSync: fs.unlinkSync,
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

export function writeAtomic(absPath: string, expected: Uint8Array, next: Uint8Array): void {
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
  const dir = path.dirname(absPath);
  const tmp = path.join(dir, `.${path.basename(absPath)}.pyremedy-${process.pid}-${crypto.randomBytes(4).toString("hex")}.tmp`);
  liveTemps.add(tmp);
  try {
    const fd = wfs.openSync(tmp, "wx", stat.mode & 0o7777);
    try {
      writeAll(fd, next);
      wfs.fsyncSync(fd);
    } finally {
      wfs.closeSync(fd);
    }
    wfs.chmodSync(tmp, stat.mode & 0o7777);
    wfs.renameSync(tmp, absPath);
    liveTemps.delete(tmp);
  } catch (err) {
    try { wfs.unlinkSync(tmp); } catch { /* never created */ }
    liveTemps.delete(tmp);
    throw new WriteError(`write failed (${code(err)}); original kept`);
  }
}
