/**
 * The `.env` format as python-dotenv reads it (dotenv/parser.py): `[export ]NAME=value`, values
 * unquoted (trailing ` # comment` dropped), single-quoted (only \\ and \' escapes) or
 * double-quoted (\n, \", \\ ... escapes; may span lines); `#` comment lines. Pure.
 */

export interface DotenvEntry {
  readonly name: string;
  readonly value: string;
}

const KEY = /^[ \t]*(?:export[ \t]+)?(?:'([^']+)'|([^=#\s'"]+))[ \t]*=[ \t]*/;

const DOUBLE_ESCAPES: Record<string, string> = { "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };

/** Every `NAME=value` of a `.env` text, in order (a later duplicate wins in `toMap`). */
export function parseDotenv(text: string): DotenvEntry[] {
  const entries: DotenvEntry[] = [];
  let rest = text.replace(/^\ufeff/, "");
  while (rest.length > 0) {
    const lineEnd = rest.search(/\r?\n|\r/);
    const line = lineEnd < 0 ? rest : rest.slice(0, lineEnd);
    const key = KEY.exec(line);
    if (!key) {
      rest = skipLine(rest);
      continue;
    }
    const name = key[1] ?? key[2]!;
    const afterKey = rest.slice(key[0].length);
    const quote = afterKey[0];
    if (quote === "'" || quote === '"') {
      const body = quote === "'" ? /^'((?:\\'|[^'])*)'/.exec(afterKey) : /^"((?:\\"|[^"])*)"/.exec(afterKey);
      if (body) {
        const raw = body[1]!;
        const value = quote === "'" ? raw.replace(/\\([\\'])/g, "$1") : raw.replace(/\\([\\'"abfnrtv])/g, (_, c: string) => DOUBLE_ESCAPES[c]!);
        entries.push({ name, value });
        rest = skipLine(afterKey.slice(body[0].length));
        continue;
      }
    }
    const valueLine = lineEnd < 0 ? afterKey : afterKey.slice(0, lineEnd - key[0].length);
    entries.push({ name, value: valueLine.replace(/[ \t]+#.*$/, "").replace(/^#.*$/, "").trimEnd() });
    rest = skipLine(rest);
  }
  return entries;
}

function skipLine(text: string): string {
  const m = /\r?\n|\r/.exec(text);
  return m ? text.slice(m.index + m[0].length) : "";
}

export function dotenvMap(text: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const e of parseDotenv(text ?? "")) map.set(e.name, e.value);
  return map;
}

/**
 * `NAME=value` that python-dotenv reads back as exactly `value`, and that a POSIX shell
 * (`set -a; . ./.env`) reads the same way where the value has no quote or newline. Undefined
 * when no quoting is safe (a value with both `${` and a quote or a line break, which
 * python-dotenv would interpolate).
 */
export function formatDotenvLine(name: string, value: string): string | undefined {
  if (/^[A-Za-z0-9_./:@+,%^=-]*$/.test(value) && !value.startsWith("=")) return `${name}=${value}`;
  if (!/['\n\r]/.test(value) && !/\\[\\']/.test(value) && !value.endsWith("\\")) return `${name}='${value}'`;
  if (value.includes("${")) return undefined;
  const escaped = value.replace(/[\\"\n\r\t]/g, (c) => ({ "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t" })[c]!);
  return `${name}="${escaped}"`;
}
