/**
 * Partial parsing: which definitions of a file the parser may leave out.
 *
 * Parsing is most of pyremedy's time, and most of a file a codemod reads is code it has no
 * business with: narrow-except looks at the functions holding an `except`, at module-level
 * statements (imports, the logger) and at the names the module binds. The codemod says where
 * it could act (`Codemod.sites`); this module reads the text lexically (strings, brackets,
 * comments, indentation) and finds the function and class definitions, at module level and in
 * the body of a class that is kept, that hold no such site. The engine hands tree-sitter the
 * rest as its included ranges: the tree has the same nodes at the same indices for everything
 * kept, and nothing for what was left out.
 *
 * What a left-out definition still means to a codemod is its name (the scope binds it) and the
 * imports it holds (import bindings are gathered at any depth): the outline records both (scope.ts
 * adds the name to the scope's names, imports.ts parses the import statements on their own). The
 * first module-level definition is always kept (code that inserts after the import block looks
 * at what follows it).
 *
 * Whenever the text is not plainly well-formed Python 3 the answer is undefined and the whole
 * file is parsed: an unclosed string or bracket, more brackets open at once than Python allows
 * (MAX_NESTED_BRACKETS), a backslash that continues nothing, tabs or form feeds in indentation,
 * an unexpected indent or a dedent to no enclosing level, a block missing after a colon, decorators on no definition, and what Python 2 or a merge conflict leaves (a
 * print or exec statement, `except X, e`, backticks, `<>`, lines opening with `<`, `>` or `=`).
 * A syntax error that shows only to a parser (`x = = 1`) in a definition left out goes
 * unnoticed: such a file may be fixed where a whole parse would have skipped it. The fix itself
 * only touches what was parsed, and the engine's safety net checks that.
 */
import { MAX_NESTED_BRACKETS, scanString } from "./scan.js";

/** A definition left out of the parse. */
export interface HiddenDefinition {
  /** From the start of its first line (its first decorator) to the start of the next statement's line. */
  readonly start: number;
  readonly end: number;
  /** The name it binds. */
  readonly name: string;
  /** The scope that binds it: 0 for the module, else the index of the enclosing `class` keyword. */
  readonly scope: number;
  /**
   * The import statements inside it, at any depth: from the `import` or `from` keyword to the
   * start of the next statement's line. Import bindings are gathered from the whole file
   * (imports.ts), these too.
   */
  readonly imports: readonly { readonly start: number; readonly end: number }[];
}

/** A logical line: one statement's line(s), from the start of its first physical line. */
interface LogicalLine {
  readonly lineStart: number;
  /** Index of its first character. */
  readonly code: number;
  /** Columns of indentation (spaces only). */
  readonly indent: number;
  /** Its last significant character (outside comments) is a colon: it opens a block. */
  readonly opensBlock: boolean;
  /** Just after its last significant character (after the colon of a line opening a block). */
  readonly end: number;
  /** `def`, `class`, `@` (a decorator), `import` (an import statement) or "" for anything else. */
  readonly kind: "def" | "class" | "@" | "import" | "";
  /** The name a `def` or `class` binds. */
  readonly name: string;
}

const NL = 0x0a;
const CR = 0x0d;

const DEFINITION = /(?:async[ \t]+)?def[ \t]+([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)|class[ \t]+([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)/y;
const IMPORT = /(?:import|from)(?![A-Za-z0-9_\u0080-\uffff])/y;
/** `print x`, `exec code`, `print >>f, x`: what follows the word is no operator Python 3 allows there. */
const PY2_STATEMENT = /(?:print|exec)[ \t]+(?![ \t]*[(=.,)\[;:#\r\n]|[ \t]*$)/y;

const isWordOrStar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2a;

/** Characters the scan of a logical line must look at; every other one is just its last significant character. */
const SPECIAL = new Uint8Array(128);
for (const c of "\n\r \t\f#\\\"'`()[]{}<,") SPECIAL[c.charCodeAt(0)] = 1;

/** The last text outlined and its logical lines: processSource checks the indentation, then parseFor outlines the same text. */
let memo: { text: string; lines: LogicalLine[] | undefined } | undefined;

/** The logical lines of `text`, or undefined when it is not plainly well-formed (see above). */
function logicalLines(text: string): LogicalLine[] | undefined {
  if (memo?.text === text) return memo.lines;
  const lines = scanLogicalLines(text);
  memo = { text, lines };
  return lines;
}

function scanLogicalLines(text: string): LogicalLine[] | undefined {
  const lines: LogicalLine[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const lineStart = i;
    let indent = 0;
    let c = text.charCodeAt(i);
    while (c === 0x20) {
      indent++;
      c = text.charCodeAt(++i);
    }
    // Blank lines and comment-only lines are no statements (a form feed alone on a line is blank).
    let j = i;
    while (j < n && (text.charCodeAt(j) === 0x09 || text.charCodeAt(j) === 0x0c || text.charCodeAt(j) === 0x20)) j++;
    const first = text.charCodeAt(j);
    if (j >= n || first === NL || first === CR || first === 0x23) {
      while (j < n && text.charCodeAt(j) !== NL && text.charCodeAt(j) !== CR) j++;
      i = j < n && text.charCodeAt(j) === CR && text.charCodeAt(j + 1) === NL ? j + 2 : j + 1;
      continue;
    }
    if (j !== i) return undefined; // a tab or a form feed in indentation
    if (first === 0x3c || first === 0x3e || first === 0x3d) return undefined; // `<<<<<<<`, `>>>>>>>`, `=======`
    const code = i;
    let kind: LogicalLine["kind"] = "";
    let name = "";
    // The patterns are tried only where the first letter allows them (most lines start otherwise).
    DEFINITION.lastIndex = code;
    const def = first === 0x64 /* d */ || first === 0x63 /* c */ || first === 0x61 /* a */ ? DEFINITION.exec(text) : null;
    if (def) {
      kind = def[1] !== undefined ? "def" : "class";
      name = def[1] ?? def[2]!;
    } else if (first === 0x40) {
      kind = "@";
    } else if (first === 0x69 /* i */ || first === 0x66 /* f */) {
      IMPORT.lastIndex = code;
      if (IMPORT.test(text)) kind = "import";
    } else if (first === 0x70 /* p */ || first === 0x65 /* e */) {
      PY2_STATEMENT.lastIndex = code;
      if (PY2_STATEMENT.test(text)) return undefined;
    }
    const exceptClause = first === 0x65 && text.startsWith("except", code) && !isWordOrStar(text.charCodeAt(code + 6));
    // To the end of the logical line.
    let depth = 0;
    let last = 0;
    let end = 0;
    for (;;) {
      if (i >= n) {
        if (depth > 0) return undefined;
        break;
      }
      c = text.charCodeAt(i);
      if (c >= 128 || SPECIAL[c] === 0) {
        // A run of ordinary characters: only its last one matters.
        do c = text.charCodeAt(++i); while (i < n && (c >= 128 || SPECIAL[c] === 0));
        last = text.charCodeAt(i - 1);
        end = i;
        continue;
      }
      if (c === NL || c === CR) {
        i += c === CR && text.charCodeAt(i + 1) === NL ? 2 : 1;
        if (depth === 0) break;
        continue;
      }
      if (c === 0x20 || c === 0x09 || c === 0x0c) {
        i++;
        continue;
      }
      if (c === 0x23) {
        // To the line break (a lone CR never gets here: such files are skipped before parsing).
        const nl = text.indexOf("\n", i);
        i = nl < 0 ? n : text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
        continue;
      }
      if (c === 0x5c) {
        const next = text.charCodeAt(i + 1);
        if (next === NL) i += 2;
        else if (next === CR) i += text.charCodeAt(i + 2) === NL ? 3 : 2;
        else return undefined;
        continue;
      }
      if (c === 0x22 || c === 0x27) {
        const string = scanString(text, i);
        if (!string.closed) return undefined;
        i = end = string.end;
        last = c;
        continue;
      }
      if (c === 0x60) return undefined; // a backtick: Python 2's repr
      if (c === 0x28 || c === 0x5b || c === 0x7b) {
        if (++depth > MAX_NESTED_BRACKETS) return undefined;
      } else if (c === 0x29 || c === 0x5d || c === 0x7d) {
        if (--depth < 0) return undefined;
      } else if (c === 0x3c && text.charCodeAt(i + 1) === 0x3e) return undefined; // `<>`
      else if (c === 0x2c && exceptClause && depth === 0) return undefined; // `except X, e:`
      last = c;
      end = ++i;
    }
    lines.push({ lineStart, code, indent, opensBlock: last === 0x3a, end, kind, name });
  }
  return lines;
}

/** Where Python's indentation rules break, and CPython's words for it. */
export interface IndentationProblem {
  /** The first character of the logical line at fault (at the end of the text: just after the last line's colon). */
  readonly index: number;
  readonly message: "unexpected indent" | "expected an indented block" | "unindent does not match any outer indentation level";
}

/** Indentation as Python reads it: every block indented, every dedent back to an open level. */
function indentationOf(lines: readonly LogicalLine[]): IndentationProblem | undefined {
  const levels = [0];
  let opens = false;
  for (const line of lines) {
    const top = levels[levels.length - 1]!;
    if (line.indent > top) {
      if (!opens) return { index: line.code, message: "unexpected indent" };
      levels.push(line.indent);
    } else {
      if (opens) return { index: line.code, message: "expected an indented block" };
      while (line.indent < levels[levels.length - 1]!) levels.pop();
      if (line.indent !== levels[levels.length - 1]) return { index: line.code, message: "unindent does not match any outer indentation level" };
    }
    opens = line.opensBlock;
  }
  // At the end of the text, Python points just after the colon.
  return opens ? { index: lines[lines.length - 1]!.end, message: "expected an indented block" } : undefined;
}

/**
 * The indentation error Python would report in `text`, read lexically (tree-sitter-python parses
 * an unexpected indent, a dedent to no open level and a block with nothing under it without an
 * error). Undefined when there is none, and when the text is not plain enough to tell (tabs or
 * form feeds in indentation, an unclosed bracket or string: see above).
 */
export function indentationProblem(text: string): IndentationProblem | undefined {
  const lines = logicalLines(text);
  return lines && indentationOf(lines);
}

/** Whether the outline can read `text` (see above): then it has no more brackets open at once than Python allows. */
export function readsPlainly(text: string): boolean {
  return logicalLines(text) !== undefined;
}

/**
 * The definitions that may be left out of the parse of `text`, given the indices where a codemod
 * could act; undefined when the whole text must be parsed.
 */
export function hiddenDefinitions(text: string, sites: readonly number[]): HiddenDefinition[] | undefined {
  const lines = logicalLines(text);
  if (!lines || indentationOf(lines)) return undefined;
  const marks = [...sites].sort((a, b) => a - b);
  /** Index of the first of `sorted` at or after `at`. */
  const firstFrom = (sorted: readonly number[], at: number): number => {
    let lo = 0, hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const holdsMark = (start: number, end: number): boolean => {
    const k = firstFrom(marks, start);
    return k < marks.length && marks[k]! < end;
  };
  const startOf = (k: number): number => (k < lines.length ? lines[k]!.lineStart : text.length);
  const importLines = lines.flatMap((l, k) => (l.kind === "import" ? [k] : []));
  const importStarts = importLines.map((k) => lines[k]!.code);
  const importsIn = (start: number, end: number): HiddenDefinition["imports"] => {
    const found = [];
    for (let k = firstFrom(importStarts, start); k < importStarts.length && importStarts[k]! < end; k++) {
      found.push({ start: importStarts[k]!, end: startOf(importLines[k]! + 1) });
    }
    return found;
  };
  const hidden: HiddenDefinition[] = [];
  let keptFirst = false;

  /** The statements of one block: lines [from, to), all at `indent` or deeper. */
  const block = (from: number, to: number, indent: number, scope: number): boolean => {
    let k = from;
    while (k < to) {
      const first = k;
      while (k < to && lines[k]!.kind === "@" && lines[k]!.indent === indent) k++;
      const line = lines[k];
      if (!line || k >= to || line.indent !== indent) return false;
      if (k > first && line.kind !== "def" && line.kind !== "class") return false; // decorators on nothing
      let end = k + 1;
      while (end < to && lines[end]!.indent > indent) end++;
      if (line.kind === "def" || line.kind === "class") {
        const start = lines[first]!.lineStart;
        const stop = startOf(end);
        const keep = holdsMark(start, stop) || (scope === 0 && !keptFirst);
        if (scope === 0) keptFirst = true;
        if (!keep) hidden.push({ start, end: stop, name: line.name, scope, imports: importsIn(start, stop) });
        else if (line.kind === "class" && end > k + 1 && !block(k + 1, end, lines[k + 1]!.indent, line.code)) return false;
      }
      k = end;
    }
    return true;
  };
  return block(0, lines.length, 0, 0) ? hidden : undefined;
}

/** tree-sitter's included ranges: the text without the hidden definitions (rows count "\n"; every boundary is a line start). */
export function includedRanges(text: string, hidden: readonly HiddenDefinition[]): { startIndex: number; endIndex: number; startPosition: { row: number; column: number }; endPosition: { row: number; column: number } }[] {
  const rowAt = rowCounter(text);
  const ranges = [];
  let from = 0;
  for (const h of [...hidden].sort((a, b) => a.start - b.start)) {
    if (h.start > from) ranges.push(range(text, from, h.start, rowAt));
    from = h.end;
  }
  if (from < text.length || ranges.length === 0) ranges.push(range(text, from, text.length, rowAt));
  return ranges;
}

function range(text: string, start: number, end: number, rowAt: (i: number) => number) {
  const point = (i: number) => {
    const row = rowAt(i);
    const lineStart = text.lastIndexOf("\n", i - 1) + 1;
    return { row, column: i - lineStart };
  };
  return { startIndex: start, endIndex: end, startPosition: point(start), endPosition: point(end) };
}

/** Row of an index, for indices asked in increasing order. */
function rowCounter(text: string): (i: number) => number {
  let at = 0;
  let row = 0;
  return (i) => {
    if (i < at) {
      at = 0;
      row = 0;
    }
    for (let j = text.indexOf("\n", at); j >= 0 && j < i; j = text.indexOf("\n", j + 1)) row++;
    at = i;
    return row;
  };
}
