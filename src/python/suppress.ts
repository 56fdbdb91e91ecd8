/**
 * Suppression comments. A construct is left alone when its line (or the first line of the
 * statement holding it) carries one of:
 *   # pyremedy: ignore                 every codemod
 *   # pyremedy: ignore[id, ...]        the listed codemods
 *   # noqa / # noqa: CODE, ...         bare, or naming one of the codemod's peer codes
 *   # nosec / # nosec BXXX             bandit's marker
 *   # pragma: allowlist secret         detect-secrets' marker (secrets-to-env only)
 */

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
