/**
 * A decoded, parsed Python file plus the position and layout helpers every codemod needs.
 */
import type { Node, Tree } from "web-tree-sitter";
import type { HiddenDefinition } from "./outline.js";

export interface Position {
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units. */
  readonly column: number;
}

export class PythonFile {
  private lineStartCache: number[] | undefined;
  private indentCache: string | undefined;

  constructor(
    /** Path relative to the project root, with `/`. */
    readonly relPath: string,
    readonly text: string,
    readonly tree: Tree,
    /** The file's own line ending; inserted lines must use it. */
    readonly eol: string,
    /**
     * Definitions the parser left out (src/python/outline.ts): the tree has no nodes there, the
     * text is whole. Empty when the whole file was parsed.
     */
    readonly hidden: readonly HiddenDefinition[] = [],
  ) {}

  get root(): Node {
    return this.tree.rootNode;
  }

  private get lineStarts(): number[] {
    if (!this.lineStartCache) {
      const starts = [0];
      const t = this.text;
      if (!t.includes("\r")) {
        for (let i = t.indexOf("\n"); i >= 0; i = t.indexOf("\n", i + 1)) starts.push(i + 1);
      } else {
        for (let i = 0; i < t.length; i++) {
          const c = t.charCodeAt(i);
          if (c === 10) starts.push(i + 1);
          else if (c === 13 && t.charCodeAt(i + 1) !== 10) starts.push(i + 1);
        }
      }
      this.lineStartCache = starts;
    }
    return this.lineStartCache;
  }

  /** 1-based line/column of a string index. */
  position(index: number): Position {
    const starts = this.lineStarts;
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= index) lo = mid; else hi = mid - 1;
    }
    return { line: lo + 1, column: index - starts[lo]! + 1 };
  }

  /** Index where 1-based `line` starts. */
  lineStart(line: number): number {
    return this.lineStarts[Math.min(Math.max(line - 1, 0), this.lineStarts.length - 1)]!;
  }

  /** Text of 1-based `line` without its line ending. */
  lineText(line: number): string {
    const start = this.lineStart(line);
    let end = start;
    while (end < this.text.length && this.text[end] !== "\n" && this.text[end] !== "\r") end++;
    return this.text.slice(start, end);
  }

  /**
   * Where new lines go after the code ending at `index`: the start of the next line, or the end
   * of the text (`needsEol`: it does not end with a line break). A backslash after `index`
   * continues the line (`import json \`), so the lines it joins are skipped: code inserted right
   * after it would be joined to the statement.
   */
  afterLogicalLine(index: number): { at: number; needsEol: boolean } {
    let line = this.position(index).line;
    let rest = this.lineText(line).slice(index - this.lineStart(line));
    while (line < this.lineCount && /^[ \t\f]*\\$/.test(rest)) rest = this.lineText(++line);
    if (line >= this.lineCount) return { at: this.text.length, needsEol: !/[\r\n]$/.test(this.text) };
    return { at: this.lineStart(line + 1), needsEol: false };
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** Leading whitespace of the line holding `index`. */
  indentAt(index: number): string {
    const line = this.lineText(this.position(index).line);
    return /^[ \t]*/.exec(line)![0];
  }

  /** One level of indentation as the file writes it (first indented block), default four spaces. */
  get indentUnit(): string {
    if (this.indentCache === undefined) {
      const m = /:[ \t]*(?:#[^\r\n]*)?\r?\n(?:[ \t]*(?:#[^\r\n]*)?\r?\n)*([ \t]+)\S/.exec(this.text);
      this.indentCache = m ? m[1]! : "    ";
    }
    return this.indentCache;
  }

  slice(node: { startIndex: number; endIndex: number }): string {
    return this.text.slice(node.startIndex, node.endIndex);
  }
}
