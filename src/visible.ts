/**
 * Text from scanned repositories (file names, source lines, comments, error messages that quote
 * them) made safe for a terminal. A name like `\x1b]0;pwned\x07.py` or a source line holding
 * `\x1b[2J` would otherwise retitle the window, clear the screen or hide text when a report is
 * printed; `\r` would let one half of a line overwrite the other, and bidirectional controls
 * would reorder what a reviewer reads (Trojan Source). Escapes are visible and written the
 * way git and C write them. Only human-readable output goes through here: JSON, SARIF and
 * patch reports carry the text as it is (their own encodings keep it harmless).
 */

/** C0 controls, DEL, C1 controls, line/paragraph separators and bidirectional controls. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const UNSAFE_ALL = new RegExp(UNSAFE.source, "g");

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  if (ch === "\n") return "\\n";
  if (ch === "\t") return "\\t";
  if (ch === "\r") return "\\r";
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * A path as it may appear in a commit message or a report line: plain when it is printable,
 * else C-quoted like git does, so a name cannot forge lines (trailers, table rows), drive the
 * terminal, or hide text with bidirectional controls.
 */
export function displayPath(p: string): string {
  if (!UNSAFE.test(p) && !/["\\]/.test(p)) return p;
  let out = '"';
  for (const ch of p) out += ch === '"' || ch === "\\" ? `\\${ch}` : UNSAFE.test(ch) ? escapeChar(ch) : ch;
  return `${out}"`;
}

/**
 * Free text (a message, a reason, a source line) with every control escaped in place (`\x1b`,
 * `\n`, `\u202e`); printable text, backslashes included, is left as it is. `keepTab` keeps tabs
 * (a diff's source lines are indented with them).
 */
export function visibleText(s: string, options: { readonly keepTab?: boolean } = {}): string {
  if (!UNSAFE.test(s)) return s;
  return s.replace(UNSAFE_ALL, (ch) => (ch === "\t" && options.keepTab ? ch : escapeChar(ch)));
}

/**
 * A unified diff for a terminal: every line's controls escaped, tabs kept, and the `\r` of a
 * CRLF line ending kept (it only returns the cursor before the newline; escaping it would mark
 * every line of a Windows file).
 */
export function visibleDiff(diff: string): string {
  if (!UNSAFE.test(diff.replace(/[\t\n]|\r(?=\n|$)/g, ""))) return diff;
  return diff
    .split("\n")
    .map((line) => {
      const crlf = line.endsWith("\r");
      return visibleText(crlf ? line.slice(0, -1) : line, { keepTab: true }) + (crlf ? "\r" : "");
    })
    .join("\n");
}
