/**
 * Finding nodes by a keyword they start with, through the text: a regular expression finds the
 * word and `descendantForIndex` the token there. Walking a whole tree in WASM (a Query, or
 * descendantsOfType) costs about a sixth of parsing it; this costs a few lookups per
 * occurrence. Only keyword tokens count: the same word in a string, a comment or an identifier
 * (`except_`, `self.print`) is another node.
 */
import type { Node } from "web-tree-sitter";
import type { PythonFile } from "./file.js";

const patterns = new Map<string, RegExp>();

/** Every token of `type` spelled `word` (a keyword: `type` is the word itself), in document order. */
export function tokensSpelled(file: PythonFile, word: string, type: string = word): Node[] {
  let re = patterns.get(word);
  if (!re) patterns.set(word, (re = new RegExp(`\\b${word}\\b`, "g")));
  const text = file.text;
  const found: Node[] = [];
  if (!text.includes(word)) return found;
  const root = file.root;
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const node = root.descendantForIndex(m.index, m.index + word.length);
    if (node && node.type === type && node.startIndex === m.index && node.endIndex === m.index + word.length) found.push(node);
  }
  return found;
}

/** Every `keyword` token of `file`, in document order. */
export function keywordTokens(file: PythonFile, keyword: string): Node[] {
  return tokensSpelled(file, keyword);
}

const QUOTE = /["'`]/g;

/**
 * Every `string_start` token (prefix and opening quote) of `file`, in document order: the same
 * nodes as `descendantsOfType("string_start")`, found from the quote characters (and the backticks of Python 2 repr). A string that
 * cannot hold another (not an f- or t-string) and a comment are skipped whole.
 */
export function stringStartTokens(file: PythonFile): Node[] {
  const text = file.text;
  const root = file.root;
  const found: Node[] = [];
  QUOTE.lastIndex = 0;
  for (let m = QUOTE.exec(text); m; m = QUOTE.exec(text)) {
    const node = root.descendantForIndex(m.index, m.index + 1);
    if (!node) continue;
    if (node.type === "comment") {
      QUOTE.lastIndex = node.endIndex;
    } else if (node.type === "string_start") {
      found.push(node);
      const string = node.parent;
      QUOTE.lastIndex = string && !/[fFtT]/.test(node.text) ? Math.max(string.endIndex, node.endIndex) : node.endIndex;
    }
  }
  return found;
}

/** The nodes of `type` that a `keyword` token opens or belongs to (its parent), in document order. */
export function nodesByKeyword(file: PythonFile, keyword: string, types: ReadonlySet<string>): Node[] {
  const found: Node[] = [];
  for (const token of keywordTokens(file, keyword)) {
    const parent = token.parent;
    if (parent && types.has(parent.type)) found.push(parent);
  }
  return found;
}
