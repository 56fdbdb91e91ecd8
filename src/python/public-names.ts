/**
 * A module's public top-level names, as `from module import *` and a package's re-exports should
 * see them: its own literal `__all__` when it has one, otherwise its top-level classes, functions
 * and async functions whose names do not start with `_`. Read statically, never imported.
 */
import type { Node } from "web-tree-sitter";
import { firstSyntaxError, parsePython } from "./parser.js";
import { stringValue } from "./strings.js";

export type ModuleInterface =
  | {
      readonly ok: true;
      /** In source order, without duplicates. */
      readonly names: readonly string[];
      /** True when the names come from a literal `__all__`. */
      readonly fromAll: boolean;
      /** Lines of imports that take names from the package itself or a parent (`from . import x`): cycle risks. */
      readonly packageImports: readonly number[];
    }
  | { readonly ok: false; readonly reason: string };

function children(node: Node): Node[] {
  return node.namedChildren.filter((n): n is Node => !!n);
}

/** The string items of a list/tuple literal, or undefined when any item is not a plain string. */
function literalNames(node: Node | null, text: string): string[] | undefined {
  if (!node) return undefined;
  if (node.type === "parenthesized_expression") return literalNames(node.namedChild(0), text);
  if (node.type !== "list" && node.type !== "tuple") return undefined;
  const out: string[] = [];
  for (const item of children(node)) {
    if (item.type === "comment") continue;
    const v = stringValue(item, text);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

function isAllName(node: Node | null): boolean {
  return node?.type === "identifier" && node.text === "__all__";
}

interface AllResult {
  names?: string[];
  problem?: string;
}

/** The module's `__all__`: `=`, `: list[str] =`, `+=`, `.extend([...])` and `.append("x")` with literals. */
function readAll(root: Node, text: string): AllResult {
  let names: string[] | undefined;
  const nonLiteral = (n: Node): AllResult => ({ problem: `its __all__ is not a literal list of strings (line ${n.startPosition.row + 1})` });
  for (const stmt of children(root)) {
    if (stmt.type !== "expression_statement") continue;
    const expr = stmt.namedChild(0);
    if (!expr) continue;
    if (expr.type === "assignment" && isAllName(expr.childForFieldName("left"))) {
      const right = expr.childForFieldName("right");
      if (!right) continue;
      const list = literalNames(right, text);
      if (!list) return nonLiteral(stmt);
      names = list;
    } else if (expr.type === "augmented_assignment" && isAllName(expr.childForFieldName("left"))) {
      const list = expr.childForFieldName("operator")?.text === "+=" ? literalNames(expr.childForFieldName("right"), text) : undefined;
      if (!list || !names) return nonLiteral(stmt);
      names.push(...list);
    } else if (expr.type === "call") {
      const fn = expr.childForFieldName("function");
      if (fn?.type !== "attribute" || !isAllName(fn.childForFieldName("object"))) continue;
      const method = fn.childForFieldName("attribute")?.text;
      const args = children(expr.childForFieldName("arguments")!).filter((a) => a.type !== "comment");
      if (!names || args.length !== 1) return nonLiteral(stmt);
      if (method === "extend") {
        const list = literalNames(args[0]!, text);
        if (!list) return nonLiteral(stmt);
        names.push(...list);
      } else if (method === "append") {
        const v = stringValue(args[0]!, text);
        if (v === undefined) return nonLiteral(stmt);
        names.push(v);
      } else if (method !== "index" && method !== "count" && method !== "copy") {
        return nonLiteral(stmt);
      }
    }
  }
  // An __all__ written anywhere else (inside if/try, in a function via `global`) is not literal.
  for (const a of root.descendantsOfType(["assignment", "augmented_assignment"])) {
    if (a && isAllName(a.childForFieldName("left")) && a.parent?.parent?.type !== "module") return nonLiteral(a);
  }
  return names ? { names } : {};
}

/** Names a target pattern binds (`a`, `a, b`, `[a, *b]`); attributes and subscripts bind nothing here. */
function targetNames(node: Node | null, out: Set<string>): void {
  if (!node) return;
  if (node.type === "identifier") out.add(node.text);
  else if (["pattern_list", "tuple_pattern", "list_pattern", "list_splat_pattern", "parenthesized_expression", "tuple", "list"].includes(node.type)) {
    for (const c of children(node)) targetNames(c, out);
  }
}

interface Bindings {
  names: Set<string>;
  /** `from x import *` or a module `__getattr__`: any name may exist. */
  open: boolean;
}

/** Every name bound at module level, looking into if/try/with/for blocks but not into defs and classes. */
function moduleBindings(root: Node): Bindings {
  const b: Bindings = { names: new Set(), open: false };
  const visit = (node: Node): void => {
    switch (node.type) {
      case "function_definition":
      case "class_definition": {
        const name = node.childForFieldName("name")?.text;
        if (name) b.names.add(name);
        if (name === "__getattr__" && node.type === "function_definition" && node.parent?.type === "module") b.open = true;
        return;
      }
      case "decorated_definition": {
        const def = node.childForFieldName("definition");
        if (def) visit(def);
        return;
      }
      case "assignment": {
        targetNames(node.childForFieldName("left"), b.names);
        const right = node.childForFieldName("right");
        if (right?.type === "assignment") visit(right);
        return;
      }
      case "augmented_assignment":
        targetNames(node.childForFieldName("left"), b.names);
        return;
      case "import_statement":
        for (const item of node.childrenForFieldName("name")) {
          if (!item) continue;
          if (item.type === "aliased_import") b.names.add(item.childForFieldName("alias")!.text);
          else b.names.add(item.text.split(".")[0]!.trim());
        }
        return;
      case "import_from_statement":
        if (children(node).some((c) => c.type === "wildcard_import")) b.open = true;
        for (const item of node.childrenForFieldName("name")) {
          if (!item) continue;
          b.names.add(item.type === "aliased_import" ? item.childForFieldName("alias")!.text : item.text);
        }
        return;
      case "for_statement":
        targetNames(node.childForFieldName("left"), b.names);
        break;
      case "as_pattern":
        targetNames(node.childForFieldName("alias")?.namedChild(0) ?? node.childForFieldName("alias"), b.names);
        break;
      case "except_clause":
        for (const c of children(node)) if (c.type === "as_pattern") visit(c);
        break;
      case "named_expression":
        targetNames(node.childForFieldName("name"), b.names);
        break;
      case "type_alias_statement":
        targetNames(node.childForFieldName("left")?.namedChild(0) ?? null, b.names);
        return;
      case "lambda":
        return;
    }
    for (const c of children(node)) visit(c);
  };
  for (const c of children(root)) visit(c);
  for (const g of root.descendantsOfType("global_statement")) {
    for (const id of g ? children(g) : []) if (id.type === "identifier") b.names.add(id.text);
  }
  return b;
}

function publicDefinitions(root: Node): string[] {
  const out: string[] = [];
  for (const stmt of children(root)) {
    const def = stmt.type === "decorated_definition" ? stmt.childForFieldName("definition") : stmt;
    if (!def || (def.type !== "function_definition" && def.type !== "class_definition")) continue;
    const name = def.childForFieldName("name")?.text;
    if (name && !name.startsWith("_") && !out.includes(name)) out.push(name);
  }
  return out;
}

/** A top-level call that runs the module as a script: `main()` of its own function, `sys.exit()`. */
function scriptCall(root: Node, defined: ReadonlySet<string>): Node | undefined {
  for (const stmt of children(root)) {
    const expr = stmt.type === "expression_statement" ? stmt.namedChild(0) : null;
    if (expr?.type !== "call") continue;
    const fn = expr.childForFieldName("function")?.text ?? "";
    if (defined.has(fn) || ["sys.exit", "exit", "quit", "os._exit"].includes(fn)) return expr;
  }
  return undefined;
}

/** Imports that read names from the package being loaded (or a parent): `from . import x`, `from pkg import x`. */
function packageImportLines(root: Node, ownPackage: string | undefined): number[] {
  const ancestors = new Set<string>();
  if (ownPackage) {
    const parts = ownPackage.split(".");
    for (let i = 1; i <= parts.length; i++) ancestors.add(parts.slice(0, i).join("."));
  }
  const lines: number[] = [];
  for (const stmt of root.descendantsOfType("import_from_statement")) {
    const mod = stmt?.childForFieldName("module_name");
    if (!stmt || !mod) continue;
    const risky = mod.type === "relative_import" ? /^\.+$/.test(mod.text) : ancestors.has(mod.text);
    if (risky) lines.push(stmt.startPosition.row + 1);
  }
  return lines;
}

/**
 * The public interface of a module's source. `ownPackage` (the dotted package the module sits in)
 * lets it spot imports that read from the package itself.
 */
export function moduleInterface(text: string, ownPackage?: string): ModuleInterface {
  const tree = parsePython(text);
  try {
    const root = tree.rootNode;
    const err = firstSyntaxError(root);
    if (err) return { ok: false, reason: `it does not parse (syntax error at ${err.startPosition.row + 1}:${err.startPosition.column + 1})` };
    const all = readAll(root, text);
    if (all.problem) return { ok: false, reason: all.problem };
    const bindings = moduleBindings(root);
    const script = scriptCall(root, bindings.names);
    if (script) return { ok: false, reason: `it runs code when imported (${script.text.split("\n")[0]} at line ${script.startPosition.row + 1})` };
    const packageImports = packageImportLines(root, ownPackage);
    if (all.names) {
      const names = [...new Set(all.names)];
      const missing = bindings.open ? undefined : names.find((n) => !bindings.names.has(n));
      if (missing !== undefined) return { ok: false, reason: `its __all__ lists '${missing}', which it does not define` };
      return { ok: true, names, fromAll: true, packageImports };
    }
    return { ok: true, names: publicDefinitions(root), fromAll: false, packageImports };
  } finally {
    tree.delete();
  }
}

// ---------------------------------------------------------------------------------------------
// isort / ruff order: CONSTANTS, then Classes, then everything else; natural order within each kind.

function memberType(name: string): number {
  if (name.length > 1 && /[A-Za-z]/.test(name) && name === name.toUpperCase()) return 0;
  if (/^[A-Z]/.test(name)) return 1;
  return 2;
}

/** Natural order: digit runs compare as numbers (`item2` < `item10`). */
export function naturalCompare(a: string, b: string): number {
  const chunk = /(\d+|\D+)/g;
  const xs = a.match(chunk) ?? [];
  const ys = b.match(chunk) ?? [];
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const d = Number(BigInt(x) - BigInt(y) > 0n) - Number(BigInt(x) - BigInt(y) < 0n);
      if (d !== 0) return d;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return xs.length - ys.length;
}

/** Compare two imported names as isort's `order_by_type` (ruff I001) does: case-insensitive within a kind. */
export function compareNames(a: string, b: string): number {
  return memberType(a) - memberType(b) || naturalCompare(a.toLowerCase(), b.toLowerCase()) || naturalCompare(a, b);
}

/** Names in an import statement, in isort order. */
export function sortNames(names: Iterable<string>): string[] {
  return [...names].sort(compareNames);
}

/** Items of `__all__` in ruff's RUF022 "isort-style" order: the same kinds, case-sensitive within a kind. */
export function sortDunderAll(names: Iterable<string>): string[] {
  return [...names].sort((a, b) => memberType(a) - memberType(b) || naturalCompare(a, b));
}

/** Why `text` cannot be imported as Python source, if tree-sitter finds a syntax error. */
export function syntaxProblem(text: string): string | undefined {
  const tree = parsePython(text);
  try {
    const err = firstSyntaxError(tree.rootNode);
    return err ? `it does not parse (syntax error at ${err.startPosition.row + 1}:${err.startPosition.column + 1})` : undefined;
  } finally {
    tree.delete();
  }
}
