/**
 * Byte-level scanning of Python source for the codemods' prefilters: skip a string literal or a
 * comment, find the end of a logical line. These see text, not a tree, and decide only whether
 * a file is worth parsing, so where the text is ambiguous they answer so as to parse too much,
 * never too little.
 */

const NL = 0x0a;
const CR = 0x0d;
const HASH = 0x23;
const BACKSLASH = 0x5c;

/** Index of the line ending (or end of text) at or after `i`. */
export function lineEnd(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === NL || c === CR) return i;
    i++;
  }
  return n;
}

/**
 * Index just past the string literal whose opening quote is at `i` (prefix letters are the
 * caller's). Triple-quoted strings run to their closing triple; others to their quote or, when
 * unterminated, to the end of the line. A backslash always takes the next character, as in
 * Python's tokenizer (raw strings included).
 */
export function stringEnd(text: string, i: number): number {
  return scanString(text, i).end;
}

/** Where the string literal opened at `i` ends, and whether its closing quote is there (unterminated, it ends at its line's end or the text's). */
export function scanString(text: string, i: number): { end: number; closed: boolean } {
  const q = text.charCodeAt(i);
  const n = text.length;
  if (text.charCodeAt(i + 1) === q && text.charCodeAt(i + 2) === q) {
    // The next three quotes whose first is not escaped (an odd run of backslashes before it).
    const triple = q === 0x22 ? '"""' : "'''";
    for (let from = i + 3; ; ) {
      const j = text.indexOf(triple, from);
      if (j < 0) return { end: n, closed: false };
      let slashes = 0;
      while (j - slashes - 1 >= i + 3 && text.charCodeAt(j - slashes - 1) === BACKSLASH) slashes++;
      if (slashes % 2 === 0) return { end: j + 3, closed: true };
      from = j + 1;
    }
  }
  let j = i + 1;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c === BACKSLASH) j += 2;
    else if (c === q) return { end: j + 1, closed: true };
    else if (c === NL || c === CR) return { end: j, closed: false };
    else j++;
  }
  return { end: n, closed: false };
}

/** Index of the first character at or after `i` that is not whitespace, a line break, a comment or a line continuation. */
export function skipTrivia(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0c || c === 0x0b || c === NL || c === CR) i++;
    else if (c === HASH) i = lineEnd(text, i);
    else if (c === BACKSLASH && (text.charCodeAt(i + 1) === NL || text.charCodeAt(i + 1) === CR)) i += 2;
    else return i;
  }
  return n;
}

/**
 * The quote most of the text's one-line string literals open with (`"` on a tie), read
 * lexically: comments and the insides of strings (f-strings included) are skipped.
 */
export function usualQuote(text: string): "'" | '"' {
  let single = 0, double = 0;
  const n = text.length;
  for (let i = 0; i < n; ) {
    const c = text.charCodeAt(i);
    if (c === HASH) i = lineEnd(text, i);
    else if (c === BACKSLASH) i += 2;
    else if (c === 0x22 || c === 0x27) {
      if (text.charCodeAt(i + 1) !== c || text.charCodeAt(i + 2) !== c) {
        if (c === 0x27) single++;
        else double++;
      }
      i = Math.max(i + 1, stringEnd(text, i));
    } else i++;
  }
  return single > double ? "'" : '"';
}

export const isQuote = (c: number): boolean => c === 0x22 || c === 0x27;

/** CPython's tokenizer refuses more brackets open at once than this ("too many nested parentheses"). */
export const MAX_NESTED_BRACKETS = 200;

/**
 * Index of the first bracket that opens one level more than Python allows (MAX_NESTED_BRACKETS),
 * read lexically (the insides of strings and comments are skipped), or undefined. Such a file is
 * no Python, and its tree is deep enough that walking up from a node inside costs the square of
 * the depth: it is refused before the parse. Where the scan is unsure (an f-string's fields) it
 * counts too few, never too many.
 */
export function tooManyNestedBrackets(text: string): number | undefined {
  let depth = 0;
  return firstInCode(text, BRACKET_SCAN, (c) => {
    if (c === 0x28 || c === 0x5b || c === 0x7b) return ++depth > MAX_NESTED_BRACKETS;
    if (depth > 0) depth--;
    return false;
  });
}

/** What tooManyNestedBrackets looks at: brackets, and what starts a comment, an escape or a string. */
const BRACKET_SCAN = /[()[\]{}#\\"']/g;

/**
 * Index of the first U+FEFF (a byte order mark) in code, outside strings and comments, or
 * undefined. Python refuses one there ("invalid non-printable character U+FEFF"); tree-sitter
 * reads it as a space, and a fix that removes the lines before it would turn it into the file's BOM.
 */
export function strayByteOrderMark(text: string): number | undefined {
  return text.includes("\uFEFF") ? firstInCode(text, BOM_SCAN, () => true) : undefined;
}

/** What strayByteOrderMark looks at: the mark, and what starts a comment, an escape or a string. */
const BOM_SCAN = /[\uFEFF#\\"']/g;

/**
 * The index of the first character `pattern` finds in code (outside strings and comments) that
 * `found` accepts (it is given the character's code), or undefined. `pattern` is global and also
 * matches `#`, backslashes and quotes, which this skips over: a comment to its line's end, an
 * escape with the character after it, a string literal whole.
 */
function firstInCode(text: string, pattern: RegExp, found: (c: number) => boolean): number | undefined {
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    const i = m.index;
    const c = text.charCodeAt(i);
    if (c === HASH) pattern.lastIndex = lineEnd(text, i);
    else if (c === BACKSLASH) pattern.lastIndex = i + 2;
    else if (c === 0x22 || c === 0x27) pattern.lastIndex = Math.max(i + 1, stringEnd(text, i));
    else if (found(c)) return i;
  }
  return undefined;
}
