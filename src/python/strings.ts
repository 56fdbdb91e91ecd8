/**
 * Reading Python string literals from tree-sitter nodes.
 */
import type { Node } from "web-tree-sitter";

export interface StringLiteral {
  /** The prefix letters, lower-cased ("", "r", "b", "f", "rb", ...). */
  readonly prefix: string;
  /** The quote that opens and closes it: ', ", ''' or """. */
  readonly quote: string;
  /** The value, with escapes resolved where that is safe; undefined for f-strings with fields. */
  readonly value: string | undefined;
  readonly isBytes: boolean;
  readonly isFString: boolean;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\n": "",
};

/** The value of a non-raw string literal's body (between its quotes). */
export function unescape(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|\r\n|[\s\S])/g, (all, e: string) => {
    if (e in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[e]!;
    if (e === "\r\n") return "";
    if (/^[xuU]/.test(e)) return String.fromCodePoint(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return all;
  });
}

/** Parse a `string` node (not `concatenated_string`). */
export function readString(node: Node, source: string): StringLiteral | undefined {
  if (node.type !== "string") return undefined;
  const raw = source.slice(node.startIndex, node.endIndex);
  const m = /^([a-zA-Z]*)('''|"""|'|")/.exec(raw);
  if (!m) return undefined;
  const prefix = m[1]!.toLowerCase();
  const quote = m[2]!;
  if (!raw.endsWith(quote) || raw.length < prefix.length + 2 * quote.length) return undefined;
  const body = raw.slice(prefix.length + quote.length, raw.length - quote.length);
  const isFString = prefix.includes("f") || prefix.includes("t");
  const hasFields = isFString && node.namedChildren.some((c) => c?.type === "interpolation");
  const value = hasFields ? undefined : prefix.includes("r") ? body : unescape(body);
  return { prefix, quote, value, isBytes: prefix.includes("b"), isFString };
}

/** The value of a plain `str` literal (or implicit concatenation of them), else undefined. */
export function stringValue(node: Node, source: string): string | undefined {
  if (node.type === "concatenated_string") {
    let out = "";
    for (const part of node.namedChildren) {
      const v = part ? stringValue(part, source) : undefined;
      if (v === undefined) return undefined;
      out += v;
    }
    return out;
  }
  const lit = readString(node, source);
  if (!lit || lit.isBytes || lit.value === undefined) return undefined;
  return lit.value;
}
