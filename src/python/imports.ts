/**
 * Import aliases (`import requests as r`, `from ssl import _create_unverified_context as u`)
 * and adding an import to a module's import block.
 */
import type { Node } from "web-tree-sitter";
import type { Edit } from "../codemod.js";
import type { PythonFile } from "./file.js";
import { nodesByKeyword } from "./keywords.js";

const maps = new WeakMap<PythonFile, Map<string, string>>();
const IMPORT_STATEMENTS = new Set(["import_statement", "import_from_statement"]);

function dotted(node: Node | null): string | undefined {
  if (!node) return undefined;
  if (node.type === "identifier") return node.text;
  if (node.type === "dotted_name") return node.namedChildren.map((c) => c!.text).join(".");
  return undefined;
}

/** Local name → fully qualified name, for every import in the file (at any depth). */
export function importBindings(file: PythonFile): Map<string, string> {
  let map = maps.get(file);
  if (map) return map;
  map = new Map();
  // By their `import` keyword (keywords.ts): descendantsOfType would walk the whole tree.
  for (const stmt of nodesByKeyword(file, "import", IMPORT_STATEMENTS)) {
    if (!stmt) continue;
    if (stmt.type === "import_statement") {
      for (const item of stmt.childrenForFieldName("name")) {
        if (!item) continue;
        if (item.type === "aliased_import") {
          const target = dotted(item.childForFieldName("name"));
          const alias = item.childForFieldName("alias")?.text;
          if (target && alias) map.set(alias, target);
        } else {
          const target = dotted(item);
          if (target) map.set(target.split(".")[0]!, target.split(".")[0]!);
        }
      }
    } else {
      const moduleNode = stmt.childForFieldName("module_name");
      if (!moduleNode || moduleNode.type === "relative_import") continue;
      const module = dotted(moduleNode);
      if (!module) continue;
      for (const item of stmt.childrenForFieldName("name")) {
        if (!item) continue;
        if (item.type === "aliased_import") {
          const name = dotted(item.childForFieldName("name"));
          const alias = item.childForFieldName("alias")?.text;
          if (name && alias) map.set(alias, `${module}.${name}`);
        } else {
          const name = dotted(item);
          if (name) map.set(name, `${module}.${name}`);
        }
      }
    }
  }
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
