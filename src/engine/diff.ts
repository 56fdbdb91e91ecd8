import { createTwoFilesPatch, FILE_HEADERS_ONLY, formatPatch, type StructuredPatchHunk } from "diff";

const ESCAPES: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\v": "\\v" };

/**
 * A path as git writes it in a patch header: C-style quoted when it holds a quote, a backslash or
 * a control character (git apply and GNU patch read that back). Unquoted, a file named
 * `x.py\n+++ b/other.py` would end its header early and turn the rest of its name into patch
 * text; a tab would end the name where git expects a timestamp.
 */
export function headerPath(path: string): string {
  if (!/["\\\x00-\x1f\x7f]/.test(path)) return path;
  return `"${path.replace(/["\\\x00-\x1f\x7f]/g, (c) => ESCAPES[c] ?? `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`)}"`;
}

const CONTEXT = 3;

/** Lines that differ beyond which the hunks come from align() rather than jsdiff's diff. */
const LARGE_DIFF = 400;
/** How far (old + new lines) a resynchronisation is looked for after lines that differ. */
const RESYNC = 120;

/** The lines of `text`, each with its line break. */
function splitLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) {
    out.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/** A run of lines (each with its line break) that both texts hold, or that one of them adds. */
interface Run {
  readonly lines: readonly string[];
  readonly added?: boolean;
  readonly removed?: boolean;
}

/**
 * An alignment of `a` and `b` by walking both line lists: after lines that differ, the nearest
 * place (old + new lines) where three lines agree again. No runs when none is found within
 * RESYNC lines. Also how many lines differ.
 */
function align(a: readonly string[], b: readonly string[]): { runs?: Run[]; differing: number } {
  const runs: Run[] = [];
  let i = 0, j = 0, differing = 0;
  const agree = (x: number, y: number): boolean => a[x] === b[y] && a[x + 1] === b[y + 1] && a[x + 2] === b[y + 2];
  const change = (x: number, y: number): void => {
    if (x > 0) runs.push({ lines: a.slice(i, i + x), removed: true });
    if (y > 0) runs.push({ lines: b.slice(j, j + y), added: true });
    differing += x + y;
    i += x;
    j += y;
  };
  while (i < a.length && j < b.length) {
    const start = i;
    while (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    }
    if (i > start) runs.push({ lines: a.slice(start, i) });
    if (i >= a.length || j >= b.length) break;
    let found = false;
    for (let d = 1; d <= RESYNC && !found; d++) {
      for (let x = 0; x <= d && !found; x++) {
        if (i + x < a.length && j + d - x < b.length && agree(i + x, j + d - x)) {
          change(x, d - x);
          found = true;
        }
      }
    }
    if (!found) return { differing: differing + (a.length - i) + (b.length - j) };
  }
  change(a.length - i, b.length - j);
  return { runs, differing };
}

/**
 * The hunks of `runs`, built by the rules of jsdiff's structuredPatch: CONTEXT lines around
 * changes, changes at most 2 × CONTEXT lines apart in one hunk, a line without a line break
 * followed by "\ No newline at end of file".
 */
function hunksOf(runs: readonly Run[]): StructuredPatchHunk[] {
  const all: Run[] = [...runs, { lines: [] }];
  const hunks: StructuredPatchHunk[] = [];
  const context = (lines: readonly string[]): string[] => lines.map((l) => ` ${l}`);
  let oldRangeStart = 0, newRangeStart = 0, oldLine = 1, newLine = 1;
  let current: string[] = [];
  for (let k = 0; k < all.length; k++) {
    const run = all[k]!;
    if (run.added || run.removed) {
      if (!oldRangeStart) {
        const previous = all[k - 1];
        oldRangeStart = oldLine;
        newRangeStart = newLine;
        if (previous) {
          current = context(previous.lines.slice(-CONTEXT));
          oldRangeStart -= current.length;
          newRangeStart -= current.length;
        }
      }
      for (const line of run.lines) current.push((run.added ? "+" : "-") + line);
      if (run.added) newLine += run.lines.length;
      else oldLine += run.lines.length;
      continue;
    }
    if (oldRangeStart) {
      if (run.lines.length <= CONTEXT * 2 && k < all.length - 2) {
        current.push(...context(run.lines));
      } else {
        const size = Math.min(run.lines.length, CONTEXT);
        current.push(...context(run.lines.slice(0, size)));
        hunks.push({ oldStart: oldRangeStart, oldLines: oldLine - oldRangeStart + size, newStart: newRangeStart, newLines: newLine - newRangeStart + size, lines: current });
        oldRangeStart = 0;
        newRangeStart = 0;
        current = [];
      }
    }
    oldLine += run.lines.length;
    newLine += run.lines.length;
  }
  for (const hunk of hunks) {
    const lines: string[] = [];
    for (const line of hunk.lines) {
      if (line.endsWith("\n")) lines.push(line.slice(0, -1));
      else lines.push(line, "\\ No newline at end of file");
    }
    hunk.lines = lines;
  }
  return hunks;
}

/** A unified diff of one file, with `a/` and `b/` prefixes that `git apply` accepts from the root. */
export function unifiedDiff(relPath: string, before: string, after: string, prefix = "", walkAbove = LARGE_DIFF): string {
  const name = prefix ? `${prefix.replace(/\/+$/, "")}/${relPath}` : relPath;
  const a = splitLines(before);
  const b = splitLines(after);
  // jsdiff's Myers diff takes time in lines × changes: a file with thousands of fixes took half a
  // minute. Past LARGE_DIFF differing lines, the walk's alignment makes the hunks (its diff may be
  // a little less minimal where a change holds lines both sides share).
  const { runs, differing } = align(a, b);
  const patch = runs && differing > walkAbove
    ? formatPatch({ oldFileName: headerPath(`a/${name}`), newFileName: headerPath(`b/${name}`), oldHeader: undefined, newHeader: undefined, hunks: hunksOf(runs) }, FILE_HEADERS_ONLY)
    : createTwoFilesPatch(headerPath(`a/${name}`), headerPath(`b/${name}`), before, after, undefined, undefined, {
      context: CONTEXT,
      headerOptions: FILE_HEADERS_ONLY,
    });
  return patch.replace(/^((?:---|\+\+\+) [^\n]*?)\t$/gm, "$1");
}
