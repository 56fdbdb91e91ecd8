/**
 * Which exceptions can a `try` body raise? A small table of confident inferences, used by
 * narrow-except to replace a bare `except:` with the exceptions the body is known to raise.
 *
 * | operation in the try body                                   | exceptions              |
 * |-------------------------------------------------------------|-------------------------|
 * | `import x`, `from x import y`                               | ImportError             |
 * | `int(...)`, `float(...)` (the builtins)                     | ValueError, TypeError   |
 * | `json.load(...)`, `json.loads(...)`                         | ValueError              |
 * | `x[k]` (a subscript, read or written)                       | KeyError, IndexError    |
 * | `a, b = value` (unpacking a non-literal)                    | ValueError, TypeError   |
 * | `open(...)`, `os.*` / `os.path.*` / `shutil.*` file calls   | OSError                 |
 * | `os.path.join(...)` and other path arithmetic               | (nothing)               |
 * | `with open(...) as f:` then `f.read()`, `f.write()`, ...   | OSError (+ UnicodeDecodeError for text reads) |
 *
 * Names, attribute reads and literals count as raising nothing: a NameError or AttributeError
 * there is a programming error, which narrowing is meant to let through. Everything else (a
 * call to anything not in the table, arithmetic, `await`, `yield`, loops, conditionals) makes
 * the inference give up, and the caller falls back to `except Exception:`.
 */
import type { Node } from "web-tree-sitter";
import type { PythonFile } from "./file.js";
import { qualifiedName } from "./imports.js";
import { isShadowed } from "./scope.js";

/** The order exceptions are written in, and which one a broader one already covers. */
const ORDER = ["ImportError", "OSError", "ValueError", "UnicodeDecodeError", "TypeError", "KeyError", "IndexError"] as const;
const COVERED_BY: Record<string, string> = { UnicodeDecodeError: "ValueError" };

const CONVERSIONS = new Set(["int", "float"]);
const JSON_CALLS = new Set(["json.load", "json.loads"]);
const OS_CALLS = new Set([
  "access", "chdir", "chmod", "chown", "link", "listdir", "lstat", "makedirs", "mkdir", "readlink", "remove",
  "removedirs", "rename", "renames", "replace", "rmdir", "scandir", "stat", "symlink", "truncate", "unlink", "utime",
]);
const OS_PATH_CALLS = new Set(["getsize", "getmtime", "getatime", "getctime", "samefile", "exists", "isfile", "isdir", "islink"]);
/** Path arithmetic: raises only on programming errors, so it neither adds nor blocks an inference. */
const PATH_HELPERS = new Set(["join", "basename", "dirname", "abspath", "normpath", "expanduser", "splitext", "split"]);
const SHUTIL_CALLS = new Set(["copy", "copy2", "copyfile", "copyfileobj", "copymode", "copystat", "copytree", "move", "rmtree", "disk_usage", "chown"]);
const FILE_READS = new Set(["read", "readline", "readlines"]);
const FILE_WRITES = new Set(["write", "writelines", "flush", "close", "seek", "tell", "truncate"]);

const LITERALS = new Set(["integer", "float", "true", "false", "none", "ellipsis"]);
const CONTAINERS = new Set(["list", "tuple", "set", "dictionary", "pair", "parenthesized_expression", "expression_list"]);

/** A literal, a constant or a name (or a container of them): evaluating it raises nothing worth catching. */
export function isPlainValue(node: Node): boolean {
  if (LITERALS.has(node.type) || node.type === "identifier") return true;
  if (node.type === "attribute") return isPlainValue(node.childForFieldName("object")!);
  if (node.type === "string") return !node.namedChildren.some((c) => c?.type === "interpolation");
  if (node.type === "concatenated_string") return node.namedChildren.every((c) => !c || isPlainValue(c));
  if (node.type === "unary_operator") {
    const arg = node.childForFieldName("argument");
    return !!arg && (arg.type === "integer" || arg.type === "float");
  }
  if (CONTAINERS.has(node.type)) return node.namedChildren.every((c) => !c || c.type === "comment" || isPlainValue(c));
  return false;
}

class GiveUp extends Error {}

class Inference {
  readonly found = new Set<string>();
  /** Names bound by `with open(...) as name:`, with whether the file is opened in text mode. */
  private readonly files = new Map<string, boolean>();

  constructor(private readonly file: PythonFile) {}

  private add(...names: string[]): void {
    for (const n of names) this.found.add(n);
  }

  private builtin(node: Node, name: string): boolean {
    return node.type === "identifier" && node.text === name && !isShadowed(node, name);
  }

  statements(block: Node): void {
    for (const stmt of block.namedChildren) if (stmt && stmt.type !== "comment") this.statement(stmt);
  }

  private statement(stmt: Node): void {
    switch (stmt.type) {
      case "pass_statement":
        return;
      case "import_statement":
      case "import_from_statement":
        this.add("ImportError");
        return;
      case "return_statement":
        for (const v of stmt.namedChildren) if (v) this.expression(v);
        return;
      case "expression_statement":
        for (const e of stmt.namedChildren) if (e) this.expressionStatement(e);
        return;
      case "with_statement":
        this.withStatement(stmt);
        return;
      default:
        throw new GiveUp();
    }
  }

  private expressionStatement(e: Node): void {
    if (e.type !== "assignment") return this.expression(e);
    const left = e.childForFieldName("left")!;
    const right = e.childForFieldName("right");
    if (!right || e.childForFieldName("type")) throw new GiveUp();
    this.target(left, right);
    if (right.type === "assignment") this.expressionStatement(right);
    else this.expression(right);
  }

  private target(left: Node, right: Node): void {
    if (left.type === "identifier") return;
    if (left.type === "attribute") return this.expression(left);
    if (left.type === "subscript") return this.expression(left);
    if (left.type === "pattern_list" || left.type === "tuple_pattern" || left.type === "list_pattern") {
      const literal = (right.type === "expression_list" || right.type === "tuple" || right.type === "list") &&
        right.namedChildCount === left.namedChildCount;
      if (!literal) this.add("ValueError", "TypeError");
      for (const t of left.namedChildren) if (t && t.type !== "identifier") throw new GiveUp();
      return;
    }
    throw new GiveUp();
  }

  private withStatement(stmt: Node): void {
    const clause = stmt.namedChildren.find((c) => c?.type === "with_clause");
    if (!clause) throw new GiveUp();
    for (const item of clause.namedChildren) {
      if (!item || item.type !== "with_item") throw new GiveUp();
      let value = item.childForFieldName("value")!;
      let alias: Node | undefined;
      if (value.type === "as_pattern") {
        const target = value.childForFieldName("alias")?.namedChildren[0];
        if (!target || target.type !== "identifier") throw new GiveUp();
        alias = target;
        value = value.namedChildren[0]!;
      }
      if (value.type !== "call" || !this.builtin(value.childForFieldName("function")!, "open")) throw new GiveUp();
      this.expression(value);
      if (alias) this.files.set(alias.text, this.textMode(value));
    }
    this.statements(stmt.childForFieldName("body")!);
  }

  /** `open(p)` / `open(p, "r")` read text; a literal mode holding `b` is binary. */
  private textMode(call: Node): boolean {
    const args = call.childForFieldName("arguments")?.namedChildren.filter((a): a is Node => !!a && a.type !== "comment") ?? [];
    const mode = args.find((a) => a.type === "keyword_argument" && a.childForFieldName("name")?.text === "mode")?.childForFieldName("value")
      ?? (args[1] && args[1].type !== "keyword_argument" ? args[1] : undefined);
    if (!mode) return true;
    if (mode.type !== "string" || !isPlainValue(mode)) return true;
    return !mode.text.replace(/^[a-zA-Z]*["']+|["']+$/g, "").includes("b");
  }

  private arguments(call: Node): void {
    for (const a of call.childForFieldName("arguments")?.namedChildren ?? []) {
      if (!a || a.type === "comment") continue;
      if (a.type === "keyword_argument") this.expression(a.childForFieldName("value")!);
      else if (a.type === "list_splat" || a.type === "dictionary_splat") throw new GiveUp();
      else this.expression(a);
    }
  }

  private expression(e: Node): void {
    if (e.type === "subscript") {
      this.expression(e.childForFieldName("value")!);
      for (const s of e.childrenForFieldName("subscript")) if (s) this.expression(s);
      this.add("KeyError", "IndexError");
      return;
    }
    if (e.type === "call") return this.call(e);
    if (CONTAINERS.has(e.type)) {
      for (const c of e.namedChildren) if (c && c.type !== "comment") this.expression(c);
      return;
    }
    if (e.type === "keyword_argument") return this.expression(e.childForFieldName("value")!);
    if (isPlainValue(e)) return;
    throw new GiveUp();
  }

  private call(call: Node): void {
    const fn = call.childForFieldName("function")!;
    if (fn.type === "identifier" && CONVERSIONS.has(fn.text) && this.builtin(fn, fn.text)) {
      this.add("ValueError", "TypeError");
    } else if (this.builtin(fn, "open")) {
      this.add("OSError");
    } else if (fn.type === "attribute" && fn.childForFieldName("object")!.type === "identifier" && this.files.has(fn.childForFieldName("object")!.text)) {
      const method = fn.childForFieldName("attribute")!.text;
      if (FILE_READS.has(method)) {
        this.add("OSError");
        if (this.files.get(fn.childForFieldName("object")!.text)) this.add("UnicodeDecodeError");
      } else if (FILE_WRITES.has(method)) {
        this.add("OSError");
      } else {
        throw new GiveUp();
      }
    } else {
      const name = qualifiedName(this.file, fn);
      if (!name) throw new GiveUp();
      if (JSON_CALLS.has(name)) this.add("ValueError");
      else if (name.startsWith("os.path.") && PATH_HELPERS.has(name.slice("os.path.".length))) { /* raises nothing to catch */ }
      else if (fileSystemCall(name)) this.add("OSError");
      else throw new GiveUp();
    }
    this.arguments(call);
  }
}

function fileSystemCall(name: string): boolean {
  const parts = name.split(".");
  if (parts.length === 2 && parts[0] === "os") return OS_CALLS.has(parts[1]!);
  if (parts.length === 3 && parts[0] === "os" && parts[1] === "path") return OS_PATH_CALLS.has(parts[2]!);
  if (parts.length === 2 && parts[0] === "shutil") return SHUTIL_CALLS.has(parts[1]!);
  return false;
}

/**
 * The exceptions the statements of `body` (a try block) can raise, in a fixed order and
 * without those a broader one in the list covers; undefined when not confident (or when the
 * body raises nothing the table knows).
 */
export function inferExceptions(file: PythonFile, body: Node): string[] | undefined {
  const inference = new Inference(file);
  try {
    inference.statements(body);
  } catch (err) {
    if (err instanceof GiveUp) return undefined;
    throw err;
  }
  const found = inference.found;
  const names = ORDER.filter((n) => found.has(n) && !(COVERED_BY[n] && found.has(COVERED_BY[n]!)));
  return names.length > 0 ? [...names] : undefined;
}
