/**
 * Writing a fixed file: never half-written. The new bytes go to a temp file in the same
 * directory (same file system), get the original's mode, and replace it by rename — but only
 * if the file on disk still holds exactly the bytes we read.
 */
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";

export class WriteError extends Error {}

const liveTemps = new Set<string>();

/** Temp files still being written; removed on interrupt (see cleanupTemps). */
export function cleanupTemps(): void {
  for (const tmp of liveTemps) {
    try { fs.unlinkSync(tmp); } catch { /* already gone */ }
  }
  liveTemps.clear();
}

export function writeAtomic(absPath: string, expected: Uint8Array, next: Uint8Array): void {
  let stat: fs.Stats;
  let current: Buffer;
  try {
    stat = fs.lstatSync(absPath);
    if (!stat.isFile()) throw new WriteError("is no longer a regular file");
    current = fs.readFileSync(absPath);
  } catch (err) {
    if (err instanceof WriteError) throw err;
    throw new WriteError(`cannot re-read before writing (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (Buffer.compare(current, Buffer.from(expected)) !== 0) throw new WriteError("changed on disk during the run; not written");
  const dir = path.dirname(absPath);
  const tmp = path.join(dir, `.${path.basename(absPath)}.pyremedy-${process.pid}-${crypto.randomBytes(4).toString("hex")}.tmp`);
  liveTemps.add(tmp);
  try {
    const fd = fs.openSync(tmp, "wx", stat.mode & 0o7777);
    try {
      fs.writeFileSync(fd, next);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.chmodSync(tmp, stat.mode & 0o7777);
    fs.renameSync(tmp, absPath);
    liveTemps.delete(tmp);
  } catch (err) {
    try { fs.unlinkSync(tmp); } catch { /* never created */ }
    liveTemps.delete(tmp);
    throw new WriteError(`write failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); original kept`);
  }
}
