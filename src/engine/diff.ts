import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";

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

/** A unified diff of one file, with `a/` and `b/` prefixes that `git apply` accepts from the root. */
export function unifiedDiff(relPath: string, before: string, after: string, prefix = ""): string {
  const name = prefix ? `${prefix.replace(/\/+$/, "")}/${relPath}` : relPath;
  const patch = createTwoFilesPatch(headerPath(`a/${name}`), headerPath(`b/${name}`), before, after, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
  return patch.replace(/^((?:---|\+\+\+) [^\n]*?)\t$/gm, "$1");
}
