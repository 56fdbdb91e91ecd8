/**
 * The patch report: one unified diff that `git apply` (or `patch -p1`) accepts, made from the
 * bytes read and the bytes a write would produce — so BOMs, CRLF line endings, PEP 263
 * encodings and a missing final newline all survive, and applying it gives exactly the files
 * `--write` gives. It is the one report that carries secret values: it has to apply.
 *
 * With one repository, paths are relative to its root (apply from there); with several, each
 * path is prefixed by its repository's path from the current directory (apply from there).
 */
import { unifiedDiff } from "../engine/diff.js";
import type { RunReport } from "../engine/report.js";
import { repoPrefix } from "./paths.js";

/** Bytes as a string of the same length (one char per byte), so diffing never re-encodes anything. */
function bytesAsText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

function utf8AsText(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}

export function renderPatch(report: RunReport, cwd = process.cwd()): Uint8Array {
  const parts: Buffer[] = [];
  for (const f of report.files) {
    if (f.status !== "changed" || !f.source) continue;
    const prefix = utf8AsText(repoPrefix(report, f.repo, cwd));
    const diff = unifiedDiff(utf8AsText(f.path), bytesAsText(f.source.bytesBefore), bytesAsText(f.source.bytesAfter), prefix);
    parts.push(Buffer.from(diff, "latin1"));
  }
  return Buffer.concat(parts);
}
