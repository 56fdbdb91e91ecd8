/**
 * Which names a scope binds (module, function or class body), so a codemod can tell a builtin
 * or a module-level name from a local that shadows it, and pick a new name nobody uses.
 */
import type { Node, Tree } from "web-tree-sitter";

/** Nodes that open a scope of their own: names bound inside them are not the enclosing scope's. */
const NESTED_SCOPES = new Set([
  "function_definition", "class_definition", "lambda",
  "list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression",
]);

const SCOPES = new Set(["module", "function_definition", "class_definition"]);

/**
 * Expressions that hold no binding but a walrus (`:=`): no statement, `as` clause or target can
 * stand inside one. A scope whose text has no `:=` is walked without entering them.
 */
const PLAIN_EXPRESSIONS = new Set([
  "call", "argument_list", "keyword_argument", "string", "concatenated_string", "binary_operator", "boolean_operator",
  "comparison_operator", "unary_operator", "not_operator", "conditional_expression", "attribute", "subscript", "slice",
  "dictionary", "pair", "list", "set", "await", "identifier", "integer", "float", "true", "false", "none",
]);

/** Per tree, scope node id → names (tree-sitter hands out a fresh Node object on every access). */
const cache = new WeakMap<Tree, Map<number, Set<string>>>();

/** Per partially parsed tree, the names its left-out definitions bind, by scope (0: the module, else the `class` keyword's index). */
const hiddenNames = new WeakMap<Tree, Map<number, string[]>>();

/** Tell scopeBindings what the definitions left out of `tree`'s parse bind (src/python/outline.ts). */
export function declareHidden(tree: Tree, hidden: readonly { readonly name: string; readonly scope: number }[]): void {
  if (hidden.length === 0) return;
  const byScope = new Map<number, string[]>();
  for (const h of hidden) {
    const names = byScope.get(h.scope) ?? [];
    names.push(h.name);
    byScope.set(h.scope, names);
  }
  hiddenNames.set(tree, byScope);
}

function targets(node: Node | null, out: Set<string>): void {
  if (!node) return;
  switch (node.type) {
    case "identifier":
      out.add(node.text);
      return;
    case "pattern_list": case "tuple_pattern": case "list_pattern": case "tuple": case "list":
    case "list_splat_pattern": case "parenthesized_expression": case "as_pattern_target":
      for (const child of node.namedChildren) targets(child, out);
      return;
    default:
      return; // attribute and subscript targets bind no name
  }
}

function parameters(fn: Node, out: Set<string>): void {
  for (const p of fn.childForFieldName("parameters")?.namedChildren ?? []) {
    if (!p) continue;
    if (p.type === "identifier") out.add(p.text);
    else if (p.type === "default_parameter" || p.type === "typed_default_parameter") targets(p.childForFieldName("name"), out);
    else if (p.type === "typed_parameter" || p.type === "list_splat_pattern" || p.type === "dictionary_splat_pattern") {
      const name = p.namedChildren.find((c) => c?.type === "identifier");
      if (name) out.add(name.text);
    }
  }
}

function importNames(stmt: Node, out: Set<string>): void {
  for (const item of stmt.childrenForFieldName("name")) {
    if (!item) continue;
    if (item.type === "aliased_import") {
      const alias = item.childForFieldName("alias");
      if (alias) out.add(alias.text);
    } else if (item.type === "dotted_name") {
      const parts = item.namedChildren;
      // `import a.b` binds `a`; `from m import b` binds `b` (a one-part dotted name).
      const bound = stmt.type === "import_statement" ? parts[0] : parts[parts.length - 1];
      if (bound) out.add(bound.text);
    }
  }
}

/** Names bound directly in `scope` (a module, function or class node), parameters included. */
export function scopeBindings(scope: Node): Set<string> {
  let perTree = cache.get(scope.tree);
  if (!perTree) cache.set(scope.tree, (perTree = new Map()));
  const hit = perTree.get(scope.id);
  if (hit) return hit;
  const names = new Set<string>();
  const globals = new Set<string>();
  if (scope.type === "function_definition") parameters(scope, names);
  const body = scope.type === "module" ? scope : scope.childForFieldName("body");
  const stack: Node[] = body ? [...body.namedChildren].filter((n): n is Node => !!n).reverse() : [];
  const walrus = scope.text.includes(":=");
  while (stack.length > 0) {
    const node = stack.pop()!;
    switch (node.type) {
      case "function_definition": case "class_definition":
        targets(node.childForFieldName("name"), names);
        continue;
      case "assignment": case "augmented_assignment":
        targets(node.childForFieldName("left"), names);
        break;
      case "for_statement":
        targets(node.childForFieldName("left"), names);
        break;
      case "as_pattern":
        targets(node.childForFieldName("alias"), names);
        break;
      case "named_expression":
        targets(node.childForFieldName("name"), names);
        break;
      case "import_statement": case "import_from_statement":
        importNames(node, names);
        continue;
      case "global_statement": case "nonlocal_statement":
        for (const c of node.namedChildren) if (c?.type === "identifier") globals.add(c.text);
        continue;
    }
    if (NESTED_SCOPES.has(node.type) || (!walrus && PLAIN_EXPRESSIONS.has(node.type))) continue;
    for (let i = node.namedChildCount - 1; i >= 0; i--) {
      const child = node.namedChild(i);
      if (child) stack.push(child);
    }
  }
  if (scope.type !== "function_definition") {
    for (const name of hiddenNames.get(scope.tree)?.get(scope.type === "module" ? 0 : scope.startIndex) ?? []) names.add(name);
  }
  for (const g of globals) names.delete(g);
  perTree.set(scope.id, names);
  return names;
}

/** The scopes whose names `node` can see, innermost first, the module last. */
export function enclosingScopes(node: Node): Node[] {
  const scopes: Node[] = [];
  for (let n: Node | null = node.parent; n; n = n.parent) if (SCOPES.has(n.type)) scopes.push(n);
  return scopes;
}

/** The innermost function or class around `node`, if any. */
export function enclosingDefinition(node: Node): Node | undefined {
  for (let n: Node | null = node.parent; n; n = n.parent) {
    if (n.type === "function_definition" || n.type === "class_definition") return n;
  }
  return undefined;
}

/** Is `name` bound in one of the scopes `node` sees (so it is not the builtin)? */
export function isShadowed(node: Node, name: string): boolean {
  return enclosingScopes(node).some((s) => scopeBindings(s).has(name));
}

export { NESTED_SCOPES };
