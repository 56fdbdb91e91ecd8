/**
 * Import aliases (`import requests as r`, `from ssl import _create_unverified_context as u`)
 * and adding an import to a module's import block.
 */
import type { Node } from "web-tree-sitter";
import type { Edit } from "../codemod.js";
import type { PythonFile } from "./file.js";
import { nodesByKeyword } from "./keywords.js";
import { parsePython } from "./parser.js";

const maps = new WeakMap<PythonFile, Map<string, string>>();
const IMPORT_STATEMENTS = new Set(["import_statement", "import_from_statement"]);

function dotted(node: Node | null): string | undefined {
  if (!node) return undefined;
  if (node.type === "identifier") return node.text;
  if (node.type === "dotted_name") return node.namedChildren.map((c) => c!.text).join(".");
  return undefined;
}

/** What an import statement binds, in order: local name → fully qualified name. */
function bindingsOf(stmt: Node): [string, string][] {
  const out: [string, string][] = [];
  if (stmt.type === "import_statement") {
    for (const item of stmt.childrenForFieldName("name")) {
      if (!item) continue;
      if (item.type === "aliased_import") {
        const target = dotted(item.childForFieldName("name"));
        const alias = item.childForFieldName("alias")?.text;
        if (target && alias) out.push([alias, target]);
      } else {
        const target = dotted(item);
        if (target) out.push([target.split(".")[0]!, target.split(".")[0]!]);
      }
    }
    return out;
  }
  const moduleNode = stmt.childForFieldName("module_name");
  if (!moduleNode || moduleNode.type === "relative_import") return out;
  const module = dotted(moduleNode);
  if (!module) return out;
  for (const item of stmt.childrenForFieldName("name")) {
    if (!item) continue;
    if (item.type === "aliased_import") {
      const name = dotted(item.childForFieldName("name"));
      const alias = item.childForFieldName("alias")?.text;
      if (name && alias) out.push([alias, `${module}.${name}`]);
    } else {
      const name = dotted(item);
      if (name) out.push([name, `${module}.${name}`]);
    }
  }
  return out;
}

/**
 * The import statements of definitions left out of the parse (outline.ts), parsed on their own:
 * what each binds, by where it stands in the file.
 */
function hiddenImports(file: PythonFile): { at: number; bindings: [string, string][] }[] {
  const ranges = file.hidden.flatMap((h) => h.imports);
  if (ranges.length === 0) return [];
  // Each statement from its keyword (no indentation) to the next statement's line, one after the other.
  const offsets: { from: number; at: number }[] = [];
  let text = "";
  for (const r of ranges) {
    offsets.push({ from: text.length, at: r.start });
    const piece = file.text.slice(r.start, r.end);
    text += /[\r\n]$/.test(piece) ? piece : `${piece}\n`;
  }
  const tree = parsePython(text);
  try {
    const found = [];
    for (const stmt of tree.rootNode.namedChildren) {
      if (!stmt || !IMPORT_STATEMENTS.has(stmt.type)) continue;
      let k = offsets.length - 1;
      while (k > 0 && offsets[k]!.from > stmt.startIndex) k--;
      found.push({ at: offsets[k]!.at + (stmt.startIndex - offsets[k]!.from), bindings: bindingsOf(stmt) });
    }
    return found;
  } finally {
    tree.delete();
  }
}

/** Local name → fully qualified name, for every import in the file (at any depth), the later one winning. */
export function importBindings(file: PythonFile): Map<string, string> {
  let map = maps.get(file);
  if (map) return map;
  // By their `import` keyword (keywords.ts): descendantsOfType would walk the whole tree.
  const statements = [...nodesByKeyword(file, "import", IMPORT_STATEMENTS)].flatMap((stmt) => (stmt ? [{ at: stmt.startIndex, bindings: bindingsOf(stmt) }] : []));
  const hidden = hiddenImports(file);
  if (hidden.length > 0) statements.push(...hidden);
  statements.sort((a, b) => a.at - b.at);
  map = new Map(statements.flatMap((s) => s.bindings));
  maps.set(file, map);
  return map;
}

/**
 * The qualified dotted name of an identifier or attribute chain, through import aliases:
 * with `import requests as r`, `r.Session` → "requests.Session". Undefined when the head
 * name is not imported (a local variable, a parameter, an attribute of `self`).
 */
export function qualifiedName(file: PythonFile, node: Node | null): string | undefined {
  if (!node) return undefined;
  if (node.type === "identifier") return importBindings(file).get(node.text);
  if (node.type === "attribute") {
    const base = qualifiedName(file, node.childForFieldName("object"));
    const attr = node.childForFieldName("attribute")?.text;
    return base && attr ? `${base}.${attr}` : undefined;
  }
  return undefined;
}

/** The dotted source text of an identifier/attribute chain (`self.session.verify`), else undefined. */
export function dottedText(node: Node | null): string | undefined {
  if (!node) return undefined;
  if (node.type === "identifier") return node.text;
  if (node.type === "attribute") {
    const base = dottedText(node.childForFieldName("object"));
    const attr = node.childForFieldName("attribute")?.text;
    return base && attr ? `${base}.${attr}` : undefined;
  }
  return undefined;
}

function isDocstring(stmt: Node): boolean {
  return stmt.type === "expression_statement" && stmt.namedChildCount === 1 && stmt.namedChild(0)!.type === "string";
}

function isImport(stmt: Node): boolean {
  return stmt.type === "import_statement" || stmt.type === "import_from_statement" || stmt.type === "future_import_statement";
}

/** True when the module already has a top-level `import <module>` (not aliased). */
export function hasModuleImport(file: PythonFile, module: string): boolean {
  for (const stmt of file.root.namedChildren) {
    if (stmt?.type !== "import_statement") continue;
    for (const item of stmt.childrenForFieldName("name")) {
      if (item && item.type !== "aliased_import" && dotted(item) === module) return true;
    }
  }
  return false;
}

/** Index just past the line holding `index` (start of the next line, or end of file), backslash continuations included. */
function afterLine(file: PythonFile, index: number): { at: number; needsEol: boolean } {
  return file.afterLogicalLine(index);
}

/**
 * Where a new top-level import goes: after the last statement of the leading import block
 * (after a docstring and `from __future__` imports), else before the first statement.
 */
export function importInsertionPoint(file: PythonFile): { at: number; needsEol: boolean } {
  const stmts = file.root.namedChildren.filter((n): n is Node => !!n && n.type !== "comment");
  let last: Node | undefined;
  for (let i = 0; i < stmts.length; i++) {
    const stmt = stmts[i]!;
    if (i === 0 && isDocstring(stmt)) { last = stmt; continue; }
    if (isImport(stmt)) { last = stmt; continue; }
    break;
  }
  if (last) return afterLine(file, last.endIndex);
  const first = stmts[0];
  if (!first) return { at: file.text.length, needsEol: file.text.length > 0 && !/[\r\n]$/.test(file.text) };
  return { at: file.lineStart(file.position(first.startIndex).line), needsEol: false };
}

/** An edit adding `import <module>` to the import block, or undefined when it is already there. */
export function addImport(file: PythonFile, module: string): Edit | undefined {
  if (hasModuleImport(file, module)) return undefined;
  const { at, needsEol } = importInsertionPoint(file);
  const text = (needsEol ? file.eol : "") + `import ${module}` + file.eol;
  return { start: at, end: at, text };
}
