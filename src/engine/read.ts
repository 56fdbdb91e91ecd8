/**
 * Reading a discovered file, bounded: the size cap is checked on the open file before any byte
 * is read (a multi-gigabyte file is skipped, not loaded), and opening never blocks on a FIFO
 * swapped in for the file since discovery.
 */
import fs from "node:fs";

export type ReadResult =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly status: "skipped" | "failed"; readonly reason: string };

/** The reason processSource gives for the same file, so a file is reported alike either way. */
export function tooLarge(size: number, maxBytes: number): string {
  return `file too large (${size} bytes > ${maxBytes})`;
}

export function readSource(absPath: string, maxBytes: number): ReadResult {
  let fd: number;
  try {
    fd = fs.openSync(absPath, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    return { ok: false, status: "failed", reason: `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return { ok: false, status: "skipped", reason: "not a regular file" };
    if (stat.size > maxBytes) return { ok: false, status: "skipped", reason: tooLarge(stat.size, maxBytes) };
    const bytes = fs.readFileSync(fd);
    // The file may have grown since fstat.
    if (bytes.length > maxBytes) return { ok: false, status: "skipped", reason: tooLarge(bytes.length, maxBytes) };
    return { ok: true, bytes };
  } catch (err) {
    return { ok: false, status: "failed", reason: `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  } finally {
    fs.closeSync(fd);
  }
}
