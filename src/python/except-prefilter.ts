/**
 * narrow-except's prefilter: can this text hold an `except` clause the codemod acts on? That is
 * a bare `except:` (every one is narrowed), or a clause naming Exception/BaseException whose
 * first statement could be part of a handler that only discards the error (`pass`, `continue`,
 * `break`, `return`, `print(...)`, `...`, a string, an assignment). A handler that starts by
 * raising, logging or calling anything else is not "swallowing" (codemods/narrow-except.ts
 * `swallows`), so a file holding only those is never parsed.
 *
 * Only files that parse matter (a file with a syntax error is never changed): there an `except`
 * keyword is the first token on its line, and its header is an expression, in which two names
 * never follow each other without an operator or a keyword between them. That leaves prose out
 * ("except when the cause is ..."). tree-sitter treats line breaks and comments as trivia inside
 * a header, so the scan does too; anything it cannot read (an unclosed bracket, a header longer
 * than MAX_SCAN) counts as a yes. test/prefilter.test.ts checks it never says no where the
 * codemod finds something.
 */
import { isQuote, lineEnd, skipTrivia, stringEnd } from "./scan.js";

const EXCEPT = /\bexcept\b/g;
/** Two words with only trivia between them, neither a keyword: not an expression. */
const WORD = /[A-Za-z0-9_\u0080-\uFFFF]+/y;
const KEYWORDS = new Set([
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else",
  "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
  "return", "try", "while", "with", "yield", "print", "exec",
]);
/** Exception or BaseException as a name, alone or as the attribute of builtins. */
const BLIND = /(?<![A-Za-z0-9_])(?:Base)?Exception(?![A-Za-z0-9_])/;
/** A first statement that may belong to a swallowing handler, whatever follows it. */
const SWALLOWING_START = /(?:pass|continue|break|return|print)(?![A-Za-z0-9_])|\.\.\.|[rRuUbBfFtT]{0,2}["']/y;
/** Beyond this many characters a header or statement is not read: the answer is yes. */
const MAX_SCAN = 4096;

type Header = { readonly colon: number; readonly bare: boolean; readonly blind: boolean; readonly alias?: string } | "unknown";

/** Only whitespace (tree-sitter's extras include two zero-width characters) before `i` on its line. */
function firstOnLine(text: string, i: number): boolean {
  for (let j = i - 1; j >= 0; j--) {
    const c = text.charCodeAt(j);
    if (c === 0x0a || c === 0x0d) return true;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0c && c !== 0x0b && c !== 0x2060 && c !== 0x200b && !/\s/.test(text[j]!)) return false;
  }
  return true;
}

const isWordChar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80;

/**
 * The header from just after `except` to its colon; undefined when there is none, or when it is
 * no expression (two words in a row): then this `except` is prose in a string or a comment.
 */
function header(text: string, start: number): Header | undefined {
  const limit = Math.min(text.length, start + MAX_SCAN);
  let depth = 0;
  let bare = true;
  /** The word just before, when nothing but trivia followed it. */
  let word: string | undefined;
  /** `as NAME` with nothing after it (yet). */
  let alias: string | undefined;
  let i = start;
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0c || c === 0x0b || c === 0x0a || c === 0x0d) {
      i++;
      continue;
    }
    if (c === 0x23 /* # */) {
      i = lineEnd(text, i);
      continue;
    }
    if (c === 0x5c /* \ */) {
      i += 2;
      continue;
    }
    if (c === 0x2a /* * */) {
      // `except*` stays bare; between words it is an operator.
      word = alias = undefined;
      i++;
      continue;
    }
    if (c === 0x3a /* : */ && depth === 0 && text.charCodeAt(i + 1) !== 0x3d) {
      return { colon: i, bare, blind: !bare && BLIND.test(text.slice(start, i)), ...(alias ? { alias } : {}) };
    }
    bare = false;
    if (isWordChar(c)) {
      WORD.lastIndex = i;
      const w = WORD.exec(text)![0];
      if (word !== undefined && !KEYWORDS.has(word) && !KEYWORDS.has(w)) return undefined;
      alias = word === "as" && depth === 0 && !KEYWORDS.has(w) ? w : undefined;
      word = w;
      i += w.length;
      continue;
    }
    word = alias = undefined;
    if (isQuote(c)) {
      i = stringEnd(text, i);
      continue;
    }
    if (c === 0x28 || c === 0x5b || c === 0x7b) depth++;
    else if ((c === 0x29 || c === 0x5d || c === 0x7d) && depth > 0) depth--;
    i++;
  }
  return i >= text.length ? undefined : "unknown";
}

/**
 * What the logical line from `i` holds: an `=` outside brackets (an assignment, or close enough),
 * and whether it names `alias` where narrow-except's `mentions` sees it for sure (outside
 * brackets, which may be a comprehension, and lambdas, not as an attribute's name).
 */
function assignment(text: string, i: number, alias: string | undefined): { assigns: boolean; mentions: boolean } {
  const limit = Math.min(text.length, i + MAX_SCAN);
  let depth = 0;
  let assigns = false;
  let mentions = false;
  let lambda = false;
  let afterDot = false;
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0c || c === 0x0b) {
      i++;
      continue;
    }
    if (c === 0x23) {
      i = lineEnd(text, i);
      continue;
    }
    if (c === 0x5c) {
      i += 2;
      continue;
    }
    if ((c === 0x0a || c === 0x0d) && depth === 0) return { assigns, mentions };
    if (isWordChar(c)) {
      WORD.lastIndex = i;
      const w = WORD.exec(text)![0];
      if (depth === 0 && w === "lambda") lambda = true;
      if (depth === 0 && !lambda && !afterDot && w === alias) mentions = true;
      afterDot = false;
      i += w.length;
      continue;
    }
    afterDot = c === 0x2e /* . */;
    if (isQuote(c)) {
      i = stringEnd(text, i);
      continue;
    }
    if (c === 0x28 || c === 0x5b || c === 0x7b) depth++;
    else if ((c === 0x29 || c === 0x5d || c === 0x7d) && depth > 0) depth--;
    else if (c === 0x3d /* = */ && depth === 0) {
      if (text.charCodeAt(i + 1) === 0x3d) {
        i += 2;
        continue;
      }
      assigns = true;
    }
    i++;
  }
  // Too long to read: assume the worst.
  return { assigns: true, mentions: false };
}

/** Could the handler whose colon is at `colon` only be discarding the error? */
function maySwallow(text: string, colon: number, alias: string | undefined): boolean {
  const first = skipTrivia(text, colon + 1);
  if (first >= text.length) return false;
  SWALLOWING_START.lastIndex = first;
  if (SWALLOWING_START.test(text)) return true;
  // Otherwise only an assignment that leaves the caught exception alone.
  const line = assignment(text, first, alias);
  return line.assigns && !line.mentions;
}

/** Indices of the `except` keywords that may be ones the codemod acts on (all of them, or only the first). */
export function swallowingExcepts(text: string, firstOnly = false): number[] {
  const found: number[] = [];
  if (!text.includes("except")) return found;
  EXCEPT.lastIndex = 0;
  for (let m = EXCEPT.exec(text); m; m = EXCEPT.exec(text)) {
    if (!firstOnLine(text, m.index)) continue;
    const h = header(text, m.index + 6);
    if (!h) continue;
    if (h === "unknown" || h.bare || (h.blind && maySwallow(text, h.colon, h.alias))) {
      found.push(m.index);
      if (firstOnly) break;
    }
  }
  return found;
}

/** Index of the first `except` that may be one the codemod acts on, or -1. */
export function swallowingExceptAt(text: string): number {
  return swallowingExcepts(text, true)[0] ?? -1;
}

export function mayHoldSwallowingExcept(text: string): boolean {
  return swallowingExceptAt(text) >= 0;
}
