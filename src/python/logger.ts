/**
 * The module's logger: find the one it already has (`log = logging.getLogger(__name__)`,
 * `from .app import logger`), or plan the edits that add one (`import logging` in the import
 * block, `logger = logging.getLogger(__name__)` after the imports).
 */
import type { Node } from "web-tree-sitter";
import type { Edit } from "../codemod.js";
import type { PythonFile } from "./file.js";
import { addImport, qualifiedName } from "./imports.js";
import { tokensSpelled } from "./keywords.js";
import { scopeBindings } from "./scope.js";

/** Calls that return a logger with `.exception()`. */
const FACTORIES = new Set(["logging.getLogger", "structlog.get_logger", "structlog.stdlib.get_logger", "celery.utils.log.get_task_logger"]);

/** Preferred names among several module loggers, and the names tried for a new one. */
const PREFERRED = ["logger", "log", "LOGGER", "LOG", "_logger", "_log"];
const NEW_NAMES = ["logger", "_logger", "log", "module_logger"];

export interface ModuleLogger {
  readonly name: string;
  /** Index where the module has bound it: module-level code before it cannot use it. */
  readonly definedAt: number;
  /** The module it is imported from, when it is imported rather than created here. */
  readonly importedFrom?: string;
}

export interface NewLogger {
  readonly name: string;
  /** Edits adding `import logging` (when needed) and the definition; they never overlap each other. */
  readonly edits: readonly Edit[];
  readonly definedAt: number;
  /** One line for a reviewer: what was added. */
  readonly summary: string;
}

function topLevel(file: PythonFile): Node[] {
  return file.root.namedChildren.filter((n): n is Node => !!n && n.type !== "comment");
}

function assignmentOf(stmt: Node): Node | undefined {
  if (stmt.type !== "expression_statement" || stmt.namedChildCount !== 1) return undefined;
  const a = stmt.namedChild(0)!;
  return a.type === "assignment" && a.childForFieldName("left")?.type === "identifier" ? a : undefined;
}

/** The logger the module defines or imports at top level, if it has one. */
export function findModuleLogger(file: PythonFile): ModuleLogger | undefined {
  const created: ModuleLogger[] = [];
  const imported: ModuleLogger[] = [];
  for (const stmt of topLevel(file)) {
    const a = assignmentOf(stmt);
    if (a) {
      const right = a.childForFieldName("right");
      if (right?.type === "call" && FACTORIES.has(qualifiedName(file, right.childForFieldName("function")) ?? "")) {
        created.push({ name: a.childForFieldName("left")!.text, definedAt: stmt.endIndex });
      }
      continue;
    }
    if (stmt.type !== "import_from_statement") continue;
    const module = stmt.childForFieldName("module_name")?.text ?? "";
    for (const item of stmt.childrenForFieldName("name")) {
      if (!item) continue;
      const local = item.type === "aliased_import" ? item.childForFieldName("alias")?.text : item.text;
      // Only names that say "logger": `from math import log` is not one.
      if (local && /logger/i.test(local) && !local.includes(".")) imported.push({ name: local, definedAt: stmt.endIndex, importedFrom: module });
    }
  }
  const rank = (l: ModuleLogger): number => {
    const i = PREFERRED.indexOf(l.name);
    return i < 0 ? PREFERRED.length : i;
  };
  const pick = (list: ModuleLogger[]): ModuleLogger | undefined => [...list].sort((a, b) => rank(a) - rank(b))[0];
  return pick(created) ?? pick(imported);
}

/** The names a new logger may get, in the order they are tried. */
const CANDIDATES = [...NEW_NAMES, ...[2, 3, 4, 5, 6, 7, 8, 9].map((i) => `logger_${i}`)];
/** Each candidate as a word, compiled once. */
const SPELLED = new Map(CANDIDATES.map((name) => [name, new RegExp(`\\b${name}\\b`, "g")]));

/**
 * Where the text spells the names planNewLogger would look up (for Codemod.sites): each
 * candidate in turn, up to the first the text never spells (isTaken stops there).
 */
export function loggerNameSites(text: string): number[] {
  const sites: number[] = [];
  for (const name of CANDIDATES) {
    const before = sites.length;
    for (const m of text.matchAll(SPELLED.get(name)!)) sites.push(m.index);
    if (sites.length === before) break;
  }
  return sites;
}

/**
 * May a new module-level `name` be introduced? Not if any identifier of the file spells it,
 * except attribute names (`self.logger`), keyword names (`f(logger=...)`) and receivers of
 * `.exception(...)` that nothing binds (calls to the logger a previous pass planned to define).
 */
function isTaken(file: PythonFile, name: string): boolean {
  const spelled = SPELLED.get(name)!;
  spelled.lastIndex = 0;
  if (!spelled.test(file.text)) return false;
  const module = scopeBindings(file.root);
  // Found by spelling (keywords.ts): descendantsOfType("identifier") would walk the whole tree.
  for (const id of tokensSpelled(file, name, "identifier")) {
    const parent = id.parent;
    if (parent?.type === "attribute" && parent.childForFieldName("attribute")?.equals(id)) continue;
    if (parent?.type === "keyword_argument" && parent.childForFieldName("name")?.equals(id)) continue;
    if (parent?.type === "attribute" && parent.childForFieldName("attribute")?.text === "exception" && parent.parent?.type === "call" && !module.has(name)) continue;
    return true;
  }
  return false;
}

/** How this module can reach `logging.getLogger`, and the top-level statement that makes it reachable. */
function loggingFactory(file: PythonFile): { expr: string; after?: Node } | { taken: true } | undefined {
  for (const stmt of topLevel(file)) {
    if (stmt.type === "import_statement") {
      for (const item of stmt.childrenForFieldName("name")) {
        if (!item) continue;
        if (item.type === "aliased_import") {
          if (item.childForFieldName("name")?.text === "logging") return { expr: `${item.childForFieldName("alias")!.text}.getLogger`, after: stmt };
        } else if (item.text === "logging" || item.text.startsWith("logging.")) {
          return { expr: "logging.getLogger", after: stmt };
        }
      }
    } else if (stmt.type === "import_from_statement" && stmt.childForFieldName("module_name")?.text === "logging") {
      for (const item of stmt.childrenForFieldName("name")) {
        if (item?.type === "dotted_name" && item.text === "getLogger") return { expr: "getLogger", after: stmt };
        if (item?.type === "aliased_import" && item.childForFieldName("name")?.text === "getLogger") {
          return { expr: item.childForFieldName("alias")!.text, after: stmt };
        }
      }
    }
  }
  // `logging` bound to something else at module level: adding `import logging` would clash.
  if (scopeBindings(file.root).has("logging")) return { taken: true };
  return undefined;
}

function isDocstring(stmt: Node): boolean {
  return stmt.type === "expression_statement" && stmt.namedChildCount === 1 && stmt.namedChild(0)!.type === "string";
}

function isImport(stmt: Node): boolean {
  return stmt.type === "import_statement" || stmt.type === "import_from_statement" || stmt.type === "future_import_statement";
}

/** `try: import x / except ImportError: ...` and `if TYPE_CHECKING: import x` belong to the import block. */
function guardsImports(stmt: Node): boolean {
  if (stmt.type !== "try_statement" && stmt.type !== "if_statement") return false;
  return stmt.descendantsOfType(["import_statement", "import_from_statement"]).length > 0 &&
    stmt.descendantsOfType(["function_definition", "class_definition"]).length === 0;
}

/** Index of the start of the line after the one holding `index` (backslash continuations included), and whether the file ends without a newline there. */
function afterLine(file: PythonFile, index: number): { at: number; needsEol: boolean } {
  return file.afterLogicalLine(index);
}

function blankLine(file: PythonFile, line: number): boolean {
  return line >= 1 && line <= file.lineCount && /^[ \t\f]*$/.test(file.lineText(line));
}

/** Blank lines to add after a definition inserted at `at`: one before code, two before a def or class (PEP 8). */
function blankLinesNeededAfter(file: PythonFile, at: number): number {
  if (at >= file.text.length) return 0;
  let line = file.position(at).line;
  let blanks = 0;
  while (line <= file.lineCount && blankLine(file, line)) {
    blanks++;
    line++;
  }
  if (line > file.lineCount) return 0;
  const next = file.root.namedChildren.find((n) => !!n && n.type !== "comment" && n.endIndex > at);
  // A definition the parser left out (always a def or class) may come first.
  const hidden = file.hidden.find((h) => h.scope === 0 && h.end > at);
  const definitionNext = hidden && (!next || hidden.start < next.startIndex) ? true : !!next && /^(function_definition|class_definition|decorated_definition)$/.test(next.type);
  const wanted = definitionNext ? 2 : 1;
  return Math.max(0, wanted - blanks);
}

/**
 * Plan a new module logger. `before`: the first index of module-level code that will call it
 * (a handler at module level or in a class body); the definition must come before it.
 * Returns a reason instead when it cannot be placed.
 */
export function planNewLogger(file: PythonFile, before?: number): NewLogger | { reason: string } {
  const name = CANDIDATES.find((n) => !isTaken(file, n));
  if (!name) return { reason: "no free name for a module logger" };
  const factory = loggingFactory(file);
  if (factory && "taken" in factory) return { reason: "the name `logging` is bound to something else in this module" };

  // The definition goes after the module's import block (imports, and try/if blocks of imports).
  const stmts = topLevel(file);
  let last: Node | undefined;
  for (let i = 0; i < stmts.length; i++) {
    const stmt = stmts[i]!;
    if (before !== undefined && stmt.endIndex > before) break;
    if ((i === 0 && isDocstring(stmt)) || isImport(stmt) || guardsImports(stmt)) last = stmt;
    else break;
  }
  if (factory?.after && (!last || factory.after.endIndex > last.endIndex)) last = factory.after;
  const point = last
    ? afterLine(file, last.endIndex)
    : stmts[0]
      ? { at: file.lineStart(file.position(stmts[0].startIndex).line), needsEol: false }
      : { at: file.text.length, needsEol: file.text.length > 0 && !/[\r\n]$/.test(file.text) };
  if (before !== undefined && point.at > before) {
    return { reason: "the module's `import logging` comes after module-level code that would need the logger" };
  }

  const eol = file.eol;
  const definition = `${name} = ${factory?.expr ?? "logging.getLogger"}(__name__)`;
  const edits: Edit[] = [];
  let prefix = point.needsEol ? eol : "";
  let mergedImport = false;
  let summary = `adds \`${definition}\``;
  if (!factory) {
    const imp = addImport(file, "logging");
    if (imp && imp.start === point.at) {
      prefix = imp.text;
      mergedImport = true;
    } else if (imp) {
      edits.push(imp);
    }
    summary = `adds \`import logging\` and \`${definition}\``;
  }
  // A blank line on each side of the definition, unless one is already there (or it is the file's edge).
  const previousLine = point.at === 0 ? undefined : file.position(point.at - 1).line;
  const blankBefore = mergedImport || (previousLine !== undefined && !blankLine(file, previousLine)) ? eol : "";
  const blankAfter = eol.repeat(blankLinesNeededAfter(file, point.at));
  edits.push({ start: point.at, end: point.at, text: prefix + blankBefore + definition + eol + blankAfter });
  return { name, edits, definedAt: point.at, summary };
}
