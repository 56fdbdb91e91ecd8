/**
 * Suppression comments. A construct is left alone when its line (or the first line of the
 * statement holding it) carries one of:
 *   # pyremedy: ignore                 every codemod
 *   # pyremedy: ignore[id, ...]        the listed codemods
 *   # noqa / # noqa: CODE, ...         bare, or naming one of the codemod's peer codes
 *   # nosec / # nosec BXXX             bandit's marker
 *   # pragma: allowlist secret         detect-secrets' marker (secrets-to-env only)
 */
import type { PythonFile } from "./file.js";
import { query } from "./parser.js";

export interface SuppressionMarker {
  readonly kind: "pyremedy" | "noqa" | "nosec" | "allowlist";
  /** Codes or ids it names; empty = all. */
  readonly codes: readonly string[];
}

const PYREMEDY = /#\s*pyremedy:\s*ignore(?:\[([^\]]*)\])?/gi;
const NOQA = /#\s*noqa(?::\s*([A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?/gi;
const NOSEC = /#\s*nosec\b((?:[\s,]+B\d{3})*)/gi;
const ALLOWLIST = /#\s*pragma:\s*allowlist[ -]secret/i;

function codes(list: string | undefined, split = /[\s,]+/): string[] {
  return (list ?? "").split(split).map((s) => s.trim()).filter(Boolean);
}

/** The markers on one line of source (its comment part, if any). */
export function markersOnLine(line: string): SuppressionMarker[] {
  const hash = line.indexOf("#");
  if (hash < 0) return [];
  const comment = line.slice(hash);
  const found: SuppressionMarker[] = [];
  for (const m of comment.matchAll(PYREMEDY)) found.push({ kind: "pyremedy", codes: codes(m[1]) });
  for (const m of comment.matchAll(NOQA)) found.push({ kind: "noqa", codes: codes(m[1]) });
  for (const m of comment.matchAll(NOSEC)) found.push({ kind: "nosec", codes: codes(m[1]) });
  if (ALLOWLIST.test(comment)) found.push({ kind: "allowlist", codes: [] });
  return found;
}

/** Does `marker` silence codemod `id`, whose peers detect the flaw under `peerCodes`? */
export function markerSuppresses(marker: SuppressionMarker, id: string, peerCodes: readonly string[]): boolean {
  const peers = peerCodes.map((c) => c.toUpperCase());
  switch (marker.kind) {
    case "pyremedy":
      return marker.codes.length === 0 || marker.codes.includes(id);
    case "noqa":
      return marker.codes.length === 0 || marker.codes.some((c) => peers.includes(c.toUpperCase()));
    case "nosec":
      return marker.codes.length === 0 || marker.codes.some((c) => peers.includes(c.toUpperCase()));
    case "allowlist":
      return id === "secrets-to-env";
  }
}

export function lineSuppresses(line: string, id: string, peerCodes: readonly string[]): boolean {
  return markersOnLine(line).some((m) => markerSuppresses(m, id, peerCodes));
}

/** A `# pyremedy: ignore` comment in a file (the markers of other tools are theirs to judge). */
export interface IgnoreComment {
  readonly line: number;
  /** 1-based column of the marker's `#`. */
  readonly column: number;
  /** The marker as written, e.g. `# pyremedy: ignore[verify-ssl]`. */
  readonly marker: string;
  /** The ids it names; empty = every codemod. */
  readonly ids: readonly string[];
}

/** A `# pyremedy: ignore` comment that suppressed nothing (`--report-unused-ignores`). */
export interface UnusedIgnore {
  readonly line: number;
  readonly column: number;
  readonly marker: string;
  /** The ids that suppressed nothing; empty for a bare `# pyremedy: ignore`. */
  readonly unused: readonly string[];
  /** Of those, the ones that name no codemod at all (typos). */
  readonly unknown?: readonly string[];
}

/** Cheap test: can `text` hold a `# pyremedy: ignore` marker at all? */
export function mayHoldIgnores(text: string): boolean {
  return /pyremedy\s*:\s*ignore/i.test(text);
}

/** Every `# pyremedy: ignore` marker in real comments of `file` (not in strings). */
export function ignoreComments(file: PythonFile): IgnoreComment[] {
  const found: IgnoreComment[] = [];
  for (const { node } of query("(comment) @comment").captures(file.root)) {
    const text = node.text;
    for (const m of text.matchAll(PYREMEDY)) {
      const { line, column } = file.position(node.startIndex + m.index);
      found.push({ line, column, marker: m[0], ids: codes(m[1]) });
    }
  }
  return found;
}

/** `line:id` for each (line, codemod) pair where a marker on that line silenced a change. */
export const usedKey = (line: number, id: string): string => `${line}:${id}`;

/**
 * The comments that suppressed nothing. A marker is judged only for codemods that ran (`ran`):
 * `ignore[x]` for a codemod left out by --select may be needed by another run. Ids that name no
 * codemod (`known`) are always unused.
 */
export function unusedIgnores(
  comments: readonly IgnoreComment[],
  used: ReadonlySet<string>,
  ran: readonly string[],
  known: readonly string[],
): UnusedIgnore[] {
  const out: UnusedIgnore[] = [];
  const base = (c: IgnoreComment): Pick<UnusedIgnore, "line" | "column" | "marker"> => ({ line: c.line, column: c.column, marker: c.marker });
  for (const c of comments) {
    if (c.ids.length === 0) {
      if (ran.length > 0 && !ran.some((id) => used.has(usedKey(c.line, id)))) out.push({ ...base(c), unused: [] });
      continue;
    }
    const unknown = c.ids.filter((id) => !known.includes(id) && !ran.includes(id));
    const idle = c.ids.filter((id) => ran.includes(id) && !used.has(usedKey(c.line, id)));
    if (unknown.length || idle.length) out.push({ ...base(c), unused: [...idle, ...unknown], ...(unknown.length ? { unknown } : {}) });
  }
  return out;
}
