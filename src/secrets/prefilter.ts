/**
 * secrets-to-env's prefilter: can this text hold a site findSecretSites reports (a change or a
 * problem)? Only two kinds exist:
 *
 * - a literal whose value matches a provider rule's pattern;
 * - a literal bound to a credential name (patterns.ts isCredentialName, or an AWS name):
 *   assigned to it (`NAME = "…"`, `x.NAME: str = "…"`, `d["NAME"] = "…"`), passed or defaulted
 *   as it (`NAME="…"`), keyed by it (`"NAME": "…"`), or the fallback of `os.getenv("NAME", "…")`.
 *   The name is an identifier, or a string before `:`, `]` or `,`; the value starts a string.
 *
 * A literal's value is what the tree sees: escapes decoded, implicitly concatenated pieces
 * joined. So the same tests also run on the text with escape sequences decoded, line
 * continuations dropped and adjacent literals joined (when it has any of those), where a mark or
 * a name written with escapes shows. Like every prefilter it may say yes too often, never too
 * rarely (test/prefilter.test.ts).
 */
import { VALID_ENV_NAME } from "./names.js";
import { isCredentialName, nameWords, PROVIDER_GATE, PROVIDER_RULES, URL_GATE } from "./patterns.js";

/** The provider rules' own patterns: a value holding a provider credential matches one. */
const PROVIDER_PATTERNS = new RegExp(PROVIDER_RULES.map((r) => `(?:${r.pattern.source})`).join("|"));
/** `word` in any case, as classes: V8 scans a case-insensitive (`i`) alternation a third slower. */
const caseless = (word: string): string => word.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`);

/**
 * Where a credential name may sit: each hit is checked as an identifier and as a string. (What
 * /passw|passphrase|pass(?![a-z])|pwd|pswd|secret|token|credential|(?:api|access|private|auth)(?:[^a-z0-9\n\r"'\\]|\\[^\n\r])*key|aws|amazon/gi
 * matches, spelled without the `i` flag.)
 */
const NAME_HINT = new RegExp(
  [
    caseless("passw"), caseless("passphrase"), `${caseless("pass")}(?![a-zA-Z])`, caseless("pwd"), caseless("pswd"), caseless("secret"),
    caseless("token"), caseless("credential"),
    `(?:${["api", "access", "private", "auth"].map(caseless).join("|")})(?:[^a-zA-Z0-9\\n\\r"'\\\\]|\\\\[^\\n\\r])*${caseless("key")}`,
    caseless("aws"), caseless("amazon"),
  ].join("|"),
  "g",
);

const URL_RULE = PROVIDER_RULES.find((r) => r.provider === "url")!;

/** Every match of a pattern (its source; no flags) in `text`. */
function* everyMatch(source: string, text: string): Generator<RegExpExecArray> {
  const pattern = new RegExp(source, "g");
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    yield m;
    if (m[0] === "") pattern.lastIndex++;
  }
}

/** The URLs with a password the URL rule accepts (placeholder passwords are not), as in findProviderSecrets. */
function* urlsWithPassword(text: string): Generator<RegExpExecArray> {
  for (const m of everyMatch(URL_RULE.pattern.source, text)) if (!URL_RULE.accept || URL_RULE.accept(m[0])) yield m;
}

function urlWithPassword(text: string): RegExpExecArray | undefined {
  for (const m of urlsWithPassword(text)) return m;
  return undefined;
}

/** URL_GATE tried at one `://` (its first characters): a scan for those three is far cheaper than the regex's. */
const URL_GATE_AT = new RegExp(URL_GATE.source, "y");

/** The first URL_GATE match in `text`, if any (as URL_GATE.exec would find it). */
function urlGate(text: string): RegExpExecArray | undefined {
  for (let i = text.indexOf("://"); i >= 0; i = text.indexOf("://", i + 1)) {
    URL_GATE_AT.lastIndex = i;
    const m = URL_GATE_AT.exec(text);
    if (m) return m;
  }
  return undefined;
}

/** A URL with a password (in decoded windows: anything the gate lets through), if any. */
function urlProvider(text: string, windows: boolean): RegExpExecArray | undefined {
  const gate = urlGate(text);
  return gate && (windows ? gate : urlWithPassword(text));
}

/** Whitespace, line continuations and comments (inside brackets a statement may span lines). */
const WS = String.raw`(?:\s|\\(?:\r\n|\n|\r)|#[^\n\r]*(?![^\n\r]))*`;
/** The start of a string literal: its prefix and its quote. */
const STRING = String.raw`([rRuUbBfFtT]{0,2})["']`;
/** Trivia, then `=` (not `==`). */
const EQUALS = new RegExp(String.raw`${WS}=(?!=)`, "y");
/** Trivia, then the start of the value. */
const VALUE = new RegExp(`${WS}${STRING}`, "y");
const TRIVIA = new RegExp(WS, "y");
/** After a string's closing quote: a dict key, a subscript assigned to, os.getenv's variable. */
const AFTER_KEY = new RegExp(String.raw`${WS}:(?!=)${WS}${STRING}`, "y");
const AFTER_VARIABLE = new RegExp(String.raw`${WS},${WS}(?:default${WS}=(?!=)${WS})?${STRING}`, "y");
const NEXT_STRING = new RegExp(String.raw`${WS}[rRuUbBfFtT]{0,2}["']`, "y");
/** What may follow a literal that is the whole value of its binding (not `"x" % y`, `"x".join`, ...). */
const VALUE_END = /[ \t\f\v]*(?:#[^\n\r]*)?(?:[\n\r;,)}\]:]|\\[\n\r]|$)/y;

const isWordChar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80;
const isLineBreak = (c: number): boolean => c === 0x0a || c === 0x0d;

/** Answers of credentialName: a code base spells the same few names thousands of times. */
const credentialNames = new Map<string, boolean>();

function credentialName(name: string): boolean {
  const known = credentialNames.get(name);
  if (known !== undefined) return known;
  let yes = isCredentialName(name);
  if (!yes) {
    const words = nameWords(name);
    yes = words.includes("aws") || words.includes("amazon");
  }
  if (credentialNames.size >= 50_000) credentialNames.clear();
  credentialNames.set(name, yes);
  return yes;
}

/**
 * Can the literal matched by `glue` (its prefix in group 1, its quote last) be the whole value of
 * the binding, one a name rule accepts? Not bytes, at least 8 characters (escapes only shorten
 * the source text), no whitespace (it stays whitespace in the value), and nothing after it that
 * makes it part of a larger expression. Triple-quoted, unterminated and (whitespace-free)
 * implicitly concatenated literals are not judged.
 */
function plausibleValue(text: string, glue: RegExpExecArray): boolean {
  if (/[bB]/.test(glue[1]!)) return false;
  const open = glue.index + glue[0].length - 1;
  const q = text.charCodeAt(open);
  if (text.charCodeAt(open + 1) === q && text.charCodeAt(open + 2) === q) return true;
  let i = open + 1;
  for (;;) {
    if (i >= text.length) return true;
    const c = text.charCodeAt(i);
    if (c === q) break;
    if (isLineBreak(c)) return true;
    if (c === 0x20 || c === 0x09 || c === 0x0c || c === 0x0b) return false;
    i += c === 0x5c ? 2 : 1;
  }
  NEXT_STRING.lastIndex = i + 1;
  if (NEXT_STRING.test(text)) return true;
  VALUE_END.lastIndex = i + 1;
  return i - open - 1 >= 8 && VALUE_END.test(text);
}

/** Index of the `=` ending the annotation that starts at `i`; brackets may span lines, nothing else may. */
function annotationEnd(text: string, i: number): number {
  const limit = Math.min(text.length, i + 300);
  let depth = 0;
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (c === 0x3d /* = */ && depth === 0) return text.charCodeAt(i + 1) === 0x3d ? -1 : i;
    if (isLineBreak(c) && depth === 0) return -1;
    if (c === 0x22 || c === 0x27) {
      const close = text.indexOf(text[i]!, i + 1);
      if (close < 0) return -1;
      i = close + 1;
      continue;
    }
    if (c === 0x28 || c === 0x5b || c === 0x7b) depth++;
    else if (c === 0x29 || c === 0x5d || c === 0x7d) depth--;
    else if (c === 0x5c) i++;
    if (depth < 0) return -1;
    i++;
  }
  return -1;
}

/** From `i` (after a name, or a subscript's `]`): `= "…"` or `: Annotation = "…"`, with a plausible value. */
function assignedLiteral(text: string, i: number): boolean {
  TRIVIA.lastIndex = i;
  TRIVIA.test(text);
  let at = TRIVIA.lastIndex;
  if (text.charCodeAt(at) === 0x3a /* : */) {
    at = annotationEnd(text, at + 1);
    if (at < 0) return false;
  } else {
    EQUALS.lastIndex = at;
    if (!EQUALS.test(text)) return false;
    at = EQUALS.lastIndex - 1;
  }
  if (text.charCodeAt(at + 1) === 0x3d) return false;
  return bindsLiteral(text, VALUE, at + 1);
}

function bindsLiteral(text: string, glue: RegExp, at: number): boolean {
  glue.lastIndex = at;
  const m = glue.exec(text);
  return !!m && plausibleValue(text, m);
}

/**
 * Does the string whose opening quote is at `open` follow `opener` (`(` or `[`), as a call's
 * first argument or a subscript does? Comments are not read backwards: after a line break, yes.
 */
function follows(text: string, open: number, opener: number): boolean {
  let i = open - 1;
  while (i >= 0 && open - i <= 2 && /[rRuUbBfFtT]/.test(text[i]!)) i--;
  let crossed = false;
  for (; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (isLineBreak(c)) crossed = true;
    else if (c !== 0x20 && c !== 0x09 && c !== 0x0c && c !== 0x0b && c !== 0x5c) break;
  }
  return i < 0 || text.charCodeAt(i) === opener || crossed;
}

/** Is the string whose opening quote is at `open` a call's first argument (`f(`, `a.b(`, `g()(`)? After a line break: yes. */
function opensCall(text: string, open: number): boolean {
  if (!follows(text, open, 0x28 /* ( */)) return false;
  let i = open - 1;
  while (i >= 0 && open - i <= 2 && /[rRuUbBfFtT]/.test(text[i]!)) i--;
  while (i >= 0 && /[ \t\f\v\\]/.test(text[i]!)) i--;
  if (i < 0 || isLineBreak(text.charCodeAt(i))) return true;
  // text[i] is the "(": what stands before it is the function, when this is a call.
  let j = i - 1;
  while (j >= 0 && /[ \t\f\v]/.test(text[j]!)) j--;
  if (j < 0) return false;
  const c = text.charCodeAt(j);
  return isWordChar(c) || c === 0x29 /* ) */ || c === 0x5d /* ] */ || isLineBreak(c) || c === 0x5c;
}

/** Is the credential-like word at [start, end) part of a name bound to a string literal? */
function boundName(text: string, start: number, end: number): boolean {
  // As an identifier (or attribute, keyword, parameter).
  let s = start;
  let e = end;
  while (s > 0 && isWordChar(text.charCodeAt(s - 1))) s--;
  while (e < text.length && isWordChar(text.charCodeAt(e))) e++;
  if (assignedLiteral(text, e) && credentialName(text.slice(s, e))) return true;
  // As the content of a one-line string (a dict key, a subscript, os.getenv's variable).
  for (const q of [0x22, 0x27]) {
    let left = start - 1;
    while (left >= 0 && text.charCodeAt(left) !== q && !isLineBreak(text.charCodeAt(left))) left--;
    if (left < 0 || text.charCodeAt(left) !== q) continue;
    let right = end;
    while (right < text.length && text.charCodeAt(right) !== q && !isLineBreak(text.charCodeAt(right))) right++;
    if (right >= text.length || text.charCodeAt(right) !== q) continue;
    const content = text.slice(left + 1, right);
    const name = content.includes("\\") ? decodeEscapes(content) : content;
    if (!credentialName(name)) continue;
    // A triple-quoted string closes with two more quotes (and opens with two before).
    let close = right + 1;
    while (close < right + 3 && text.charCodeAt(close) === q) close++;
    let open = left;
    while (open > left - 2 && text.charCodeAt(open - 1) === q) open--;
    if (bindsLiteral(text, AFTER_KEY, close)) return true;
    if (follows(text, open, 0x5b /* [ */)) {
      TRIVIA.lastIndex = close;
      TRIVIA.test(text);
      if (text.charCodeAt(TRIVIA.lastIndex) === 0x5d /* ] */ && assignedLiteral(text, TRIVIA.lastIndex + 1)) return true;
    }
    // os.getenv("NAME", "…"): only a plain environment variable name counts (sites.ts environFallback).
    if (VALID_ENV_NAME.test(name) && opensCall(text, open) && bindsLiteral(text, AFTER_VARIABLE, close)) return true;
  }
  return false;
}

/**
 * Where (and why) `text` may hold a credential site, if anywhere. `windows`: the text is pieces
 * of a file, each cut at most WINDOW characters from where it was decoded, so a long provider
 * pattern (a PEM block) may not fit: the gate alone decides.
 */
function scan(text: string, windows = false): SecretHint | undefined {
  const gate = PROVIDER_GATE.exec(text);
  const provider = (gate && (windows ? gate : PROVIDER_PATTERNS.exec(text))) || urlProvider(text, windows);
  if (provider) return { index: provider.index, why: "provider" };
  NAME_HINT.lastIndex = 0;
  for (let m = NAME_HINT.exec(text); m; m = NAME_HINT.exec(text)) {
    if (boundName(text, m.index, m.index + m[0].length)) return { index: m.index, why: "name" };
  }
  return undefined;
}

/** Names Python's `\N{...}` may give an ASCII character that can be part of a mark or a name. */
const NAMED_ASCII: Record<string, string> = {
  "HYPHEN-MINUS": "-", "LOW LINE": "_", "FULL STOP": ".", COLON: ":", SOLIDUS: "/", "COMMERCIAL AT": "@", "PLUS SIGN": "+",
  "EQUALS SIGN": "=", SPACE: " ",
};

function namedCharacter(name: string): string {
  const n = name.toUpperCase().trim();
  const letter = /^LATIN (SMALL|CAPITAL) LETTER ([A-Z])$/.exec(n);
  if (letter) return letter[1] === "SMALL" ? letter[2]!.toLowerCase() : letter[2]!;
  const digit = ["ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE"].indexOf(n.replace(/^DIGIT /, ""));
  if (n.startsWith("DIGIT ") && digit >= 0) return String(digit);
  return NAMED_ASCII[n] ?? "\uFFFD";
}

/**
 * What can make a literal's value differ from its source text where a mark or a name could
 * show: an escape that stands for a printable ASCII character, a line continuation inside a
 * string, two adjacent literals joined where both sides are word-like. (Other escapes stand
 * for separators; boundName reads those itself.)
 */
const HIDDEN_ESCAPE = /\\(?:x[2-7][0-9a-fA-F]|u00[2-7][0-9a-fA-F]|U000000[2-7][0-9a-fA-F]|N\{|0?[4-7][0-7]|1[0-7][0-7])/y;
const JUNCTION = /["'](?:\s|\\(?:\r\n|\n|\r)|#[^\n\r]*(?![^\n\r]))*[rRuUbBfFtT]{0,2}["']/y;
const JOINS = /[\w\-.:/@+=%]/;
/** Characters around a hidden spot that are decoded and scanned again. */
const WINDOW = 1000;

/**
 * Can a JUNCTION match start at the quote at `q`? What follows the quote must be trivia (a
 * space, a line break, `\`, `#`, or any non-ASCII character, which `\s` may take), a string
 * prefix or another quote. Most quotes open a word or close before `)`, `,` or `.`: no regex
 * runs for them.
 */
function mayJoinAt(text: string, q: number): boolean {
  const c = text.charCodeAt(q + 1);
  if (c >= 0x80 || c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x5c /* \ */ || c === 0x23 /* # */ || c === 0x22 || c === 0x27) return true;
  return "rRuUbBfFtT".includes(text[q + 1] ?? "-");
}

/**
 * Where the text hides something (see HIDDEN_ESCAPE), in order. The escapes and the junctions
 * are what a global scan of HIDDEN_ESCAPE and JUNCTION finds, but found from the backslashes
 * and quotes (indexOf runs far faster over a file than those regexes, whose first characters
 * are everywhere), each regex tried there only.
 */
function hiddenSpots(text: string): number[] {
  const spots: number[] = [];
  for (let i = text.indexOf("\\"); i >= 0; i = text.indexOf("\\", i + 1)) {
    const next = text.charCodeAt(i + 1);
    // A line continuation after a word-like character (never after another backslash).
    if (next === 0x0a || next === 0x0d) {
      if (i > 0 && JOINS.test(text[i - 1]!)) spots.push(i);
      continue;
    }
    HIDDEN_ESCAPE.lastIndex = i;
    if (HIDDEN_ESCAPE.test(text)) spots.push(i);
  }
  // The quotes in order, as a global JUNCTION scan meets them: after a match, from its closing
  // quote on, which may open the next junction ("a" "b" "c").
  let double = text.indexOf('"');
  let single = text.indexOf("'");
  while (double >= 0 || single >= 0) {
    const q = single < 0 || (double >= 0 && double < single) ? double : single;
    let next = q + 1;
    if (mayJoinAt(text, q)) {
      JUNCTION.lastIndex = q;
      const m = JUNCTION.exec(text);
      if (m) {
        const before = text[q - 1];
        const after = text[q + m[0].length];
        if (before && after && JOINS.test(before) && JOINS.test(after)) spots.push(q);
        next = q + m[0].length - 1;
      }
    }
    if (double >= 0 && double < next) double = text.indexOf('"', next);
    if (single >= 0 && single < next) single = text.indexOf("'", next);
  }
  return spots.sort((a, b) => a - b);
}

/** The decoded text around each spot (overlapping windows merged), one piece a line. */
function decodedWindows(text: string, spots: readonly number[]): string {
  const pieces: string[] = [];
  let start = 0;
  let end = -1;
  for (const spot of spots) {
    const from = Math.max(0, spot - WINDOW);
    if (end < 0 || from > end) {
      if (end >= 0) pieces.push(decodeEscapes(text.slice(start, end)));
      start = from;
    }
    end = Math.min(text.length, spot + WINDOW);
  }
  if (end >= 0) pieces.push(decodeEscapes(text.slice(start, end)));
  return pieces.join("\n");
}

/**
 * The same, and every other escape: the text with values (more or less) as the tree reads them.
 * A junction's lookbehind follows its first quote (not before it, where V8 would try it at
 * every character).
 */
const NORMALIZE =
  /\\(?:(\\|["'])|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|N\{([^}\n\r]{1,80})\}|([0-7]{1,3})|([ntrabfv])|(\r\n|\n|\r))|["'](?<=[\w\-.:/@+=%]["'])(?:\s|\\(?:\r\n|\n|\r)|#[^\n\r]*(?![^\n\r]))*[rRuUbBfFtT]{0,2}["'](?=[\w\-.:/@+=%])/g;

export function decodeEscapes(text: string): string {
  return text.replace(NORMALIZE, (all, kept, x, u, U, named, octal, control, continuation) => {
    if (kept !== undefined) return all;
    const hex = x ?? u ?? U;
    if (hex !== undefined) {
      const code = parseInt(hex, 16);
      return code <= 0x10ffff ? String.fromCodePoint(code) : "\uFFFD";
    }
    if (named !== undefined) return namedCharacter(named);
    if (octal !== undefined) return String.fromCharCode(parseInt(octal, 8));
    if (control !== undefined) return " ";
    if (continuation !== undefined) return "";
    return ""; // a junction between adjacent literals
  });
}

export interface SecretHint {
  /** Where in the text (for "escaped": in the decoded pieces around what the source hides). */
  readonly index: number;
  readonly why: "provider" | "name" | "escaped";
}

/** The first place that makes `text` worth parsing for secrets-to-env, if any. */
export function secretHint(text: string): SecretHint | undefined {
  const raw = scan(text);
  if (raw) return raw;
  const spots = hiddenSpots(text);
  if (spots.length === 0) return undefined;
  // The index is one in the decoded windows, for diagnosis only.
  const decoded = scan(decodedWindows(text, spots), true);
  return decoded && { index: decoded.index, why: "escaped" };
}

export function mayHoldSecret(text: string): boolean {
  return secretHint(text) !== undefined;
}

/**
 * Every place of `text` that may hold what secret-to-env acts on (Codemod.sites): each provider
 * pattern, each URL with a password, each credential-like word bound to a literal (what `scan`
 * looks for, all of them), and each spot where the source hides something from those scans (an
 * escape, a continuation inside a string, touching literals). A literal that only decoding
 * reveals holds such a spot, or shares its statement with one (a key written with escapes and
 * its value): the definition that holds the spot holds the literal.
 */
export function secretSites(text: string): number[] {
  const sites = [...everyMatch(PROVIDER_PATTERNS.source, text)].map((m) => m.index);
  for (const m of urlsWithPassword(text)) sites.push(m.index);
  for (const m of everyMatch(NAME_HINT.source, text)) if (boundName(text, m.index, m.index + m[0].length)) sites.push(m.index);
  sites.push(...hiddenSpots(text));
  return sites;
}
