/**
 * narrow-except: narrow bare `except:` clauses, and make handlers that swallow errors log them.
 */
import type { Node } from "web-tree-sitter";
import { optionValue, type Change, type Codemod, type Edit, type Notice, type Safety } from "../src/codemod.js";
import { mayHoldSwallowingExcept, swallowingExcepts } from "../src/python/except-prefilter.js";
import { inferExceptions, isPlainValue } from "../src/python/exception-inference.js";
import type { PythonFile } from "../src/python/file.js";
import { qualifiedName } from "../src/python/imports.js";
import { nodesByKeyword } from "../src/python/keywords.js";
import { findModuleLogger, loggerNameSites, planNewLogger } from "../src/python/logger.js";
import { usualQuote } from "../src/python/scan.js";
import { enclosingDefinition, enclosingScopes, isShadowed, NESTED_SCOPES, scopeBindings } from "../src/python/scope.js";
import { lineSuppresses } from "../src/python/suppress.js";

const ID = "narrow-except";
const PEERS = ["E722", "BLE001", "S110", "S112", "B110", "B112", "W0702", "W0718"];

/** Handlers are found by their `except` keyword (keywords.ts): a Query would walk the whole tree. */
const EXCEPT_CLAUSE = new Set(["except_clause"]);

const BLIND = new Set(["Exception", "BaseException"]);
const LOG_METHODS = new Set(["debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"]);
const REPORTING_CALLS = new Set([
  "traceback.print_exc", "traceback.print_exception", "traceback.format_exc", "traceback.format_exception",
  "sentry_sdk.capture_exception", "sentry_sdk.capture_message",
]);

/** Methods and functions that, by their name, report the error being handled (`self.showtraceback()`). */
const REPORTING_NAMES = /^(print_exc|print_exception|format_exc|format_exception|showtraceback|handle_?error|handleError|capture_exception|report_exception)$/;

const PROPAGATES =
  "KeyboardInterrupt, SystemExit, GeneratorExit and asyncio.CancelledError now propagate instead of being swallowed " +
  "(usually the bug being fixed); check that nothing relied on catching them here.";

/** The parts of one `except` clause. */
interface Handler {
  readonly clause: Node;
  readonly keyword: Node;
  readonly colon: Node;
  readonly block: Node;
  /** The handler's statements, comments left out. */
  readonly body: readonly Node[];
  /** `except X as e:`: the whole `X as e`; `except X:`: X. */
  readonly value?: Node;
  readonly type?: Node;
  readonly alias?: Node;
}

type Logging = "none" | "insert" | { readonly replace: Node };

interface Plan {
  readonly handler: Handler;
  /** New text between `except` and `:` (bare clauses only). */
  readonly clauseText?: string;
  readonly logging: Logging;
  /** Remove ` as e` once the print that used `e` became logging. */
  readonly dropAlias: boolean;
  readonly safety: Safety;
  readonly description: string;
  readonly note: string;
}

function parseHandler(clause: Node): Handler | undefined {
  const keyword = clause.child(0);
  const colon = clause.children.find((c) => c?.type === ":");
  const block = clause.namedChildren.find((c) => c?.type === "block");
  if (!keyword || keyword.type !== "except" || !colon || !block) return undefined;
  const body = block.namedChildren.filter((n): n is Node => !!n && n.type !== "comment");
  if (body.length === 0) return undefined;
  const value = clause.childForFieldName("value") ?? undefined;
  if (value?.type === "as_pattern") {
    const target = value.childForFieldName("alias")?.namedChildren[0];
    return { clause, keyword, colon, block, body, value, type: value.namedChildren[0] ?? undefined, alias: target?.type === "identifier" ? target : undefined };
  }
  return { clause, keyword, colon, block, body, value, type: value };
}

/**
 * Does the type expression name Exception or BaseException (alone, in a tuple, or as builtins.X)?
 * `spelled`: only whether it spells one, whatever the name binds to (no scope walk, no import lookup).
 */
function isBlind(file: PythonFile, node: Node | undefined, spelled = false): boolean {
  if (!node) return false;
  if (node.type === "identifier") return BLIND.has(node.text) && (spelled || !isShadowed(node, node.text));
  if (node.type === "attribute") {
    // Only `builtins.Exception` qualifies; the name is checked first, import bindings cost a pass over the file.
    if (!BLIND.has(node.childForFieldName("attribute")?.text ?? "")) return false;
    return spelled || BLIND.has((qualifiedName(file, node) ?? "").replace(/^builtins\./, ""));
  }
  if (node.type === "tuple" || node.type === "parenthesized_expression") return node.namedChildren.some((c) => !!c && isBlind(file, c, spelled));
  return false;
}

/** Every node under `roots`, not descending into nested functions, classes and lambdas (nor into `skip`). */
function* walk(roots: readonly Node[], skip: (n: Node) => boolean = () => false): Generator<Node> {
  const stack = [...roots].reverse();
  while (stack.length > 0) {
    const node = stack.pop()!;
    yield node;
    if (NESTED_SCOPES.has(node.type) || skip(node)) continue;
    for (let i = node.namedChildCount - 1; i >= 0; i--) {
      const child = node.namedChild(i);
      if (child) stack.push(child);
    }
  }
}

/** A bare `raise` (or `raise e` of the caught name) re-raises what the handler caught. */
function reraises(h: Handler): boolean {
  const nestedHandler = (n: Node): boolean => n.type === "except_clause";
  for (const n of walk(h.body, nestedHandler)) {
    if (n.type !== "raise_statement") continue;
    const values = n.namedChildren.filter((c) => c && c.type !== "comment");
    if (values.length === 0) return true;
    if (h.alias && values.length === 1 && values[0]!.type === "identifier" && values[0]!.text === h.alias.text) return true;
  }
  return false;
}

function raisesAnything(h: Handler): boolean {
  for (const n of walk(h.body)) if (n.type === "raise_statement") return true;
  return false;
}

/** A call that logs or reports the error: `log.error(...)`, `logging.exception(...)`, `exc_info=`, traceback.print_exc(). */
function isReportingCall(file: PythonFile, call: Node): boolean {
  const fn = call.childForFieldName("function");
  if (!fn) return false;
  const args = call.childForFieldName("arguments")?.namedChildren ?? [];
  if (args.some((a) => a?.type === "keyword_argument" && a.childForFieldName("name")?.text === "exc_info")) return true;
  if (fn.type === "attribute" && LOG_METHODS.has(fn.childForFieldName("attribute")!.text)) {
    const receiver = fn.childForFieldName("object")!;
    const tail = receiver.type === "attribute" ? receiver.childForFieldName("attribute")!.text : receiver.text;
    if (/log/i.test(tail) || qualifiedName(file, receiver) === "logging") return true;
  }
  if (REPORTING_CALLS.has(qualifiedName(file, fn) ?? "")) return true;
  const name = fn.type === "attribute" ? fn.childForFieldName("attribute")!.text : fn.text;
  return REPORTING_NAMES.test(name);
}

function logsError(file: PythonFile, h: Handler): boolean {
  for (const n of walk(h.body)) if (n.type === "call" && isReportingCall(file, n)) return true;
  return false;
}

function printCall(stmt: Node): Node | undefined {
  if (stmt.type !== "expression_statement" || stmt.namedChildCount !== 1) return undefined;
  const call = stmt.namedChild(0)!;
  const fn = call.type === "call" ? call.childForFieldName("function") : null;
  return fn?.type === "identifier" && fn.text === "print" && !isShadowed(fn, "print") ? call : undefined;
}

function printsToOwnStream(print: Node): boolean {
  const file = print.childForFieldName("arguments")?.namedChildren
    .find((a) => a?.type === "keyword_argument" && a.childForFieldName("name")?.text === "file")
    ?.childForFieldName("value");
  return !!file && !/^(sys\.)?(stdout|stderr)$/.test(file.text);
}

function mentions(nodes: readonly Node[], name: string): boolean {
  for (const n of walk(nodes)) {
    if (n.type !== "identifier" || n.text !== name) continue;
    const parent = n.parent;
    if (parent?.type === "attribute" && parent.childForFieldName("attribute")?.equals(n)) continue;
    if (parent?.type === "keyword_argument" && parent.childForFieldName("name")?.equals(n)) continue;
    return true;
  }
  return false;
}

/**
 * Does the handler only discard the error? Its statements are all `pass`, `continue`, `break`,
 * `return` of a literal, constant or name, assignments and `print(...)`, and the caught
 * exception is used, if at all, only in a print.
 */
function swallows(h: Handler): boolean {
  for (const stmt of h.body) {
    switch (stmt.type) {
      case "pass_statement": case "continue_statement": case "break_statement":
        continue;
      case "return_statement": {
        const value = stmt.namedChildren.find((c) => c && c.type !== "comment");
        if (value && !isPlainValue(value)) return false;
        continue;
      }
      case "expression_statement": {
        const print = printCall(stmt);
        // `print(..., file=self.stream)` reports the error where the program chose to: not swallowed.
        if (print && !printsToOwnStream(print)) continue;
        if (print) return false;
        const ok = stmt.namedChildren.every((e) => !e || e.type === "assignment" || e.type === "augmented_assignment" ||
          e.type === "ellipsis" || e.type === "string");
        if (!ok) return false;
        if (h.alias && mentions([stmt], h.alias.text)) return false;
        continue;
      }
      default:
        return false;
    }
  }
  return true;
}

/** Exception names the earlier clauses of the same try already handle. */
function handledEarlier(h: Handler): Set<string> {
  const names = new Set<string>();
  for (const sibling of h.clause.parent?.namedChildren ?? []) {
    if (!sibling || sibling.equals(h.clause)) break;
    if (sibling.type !== "except_clause") continue;
    for (const n of walk([sibling.childForFieldName("value") ?? sibling], (x) => x.type === "block")) {
      if (n.type === "identifier") names.add(n.text);
    }
  }
  return names;
}

function typeList(types: readonly string[]): string {
  return types.length === 1 ? types[0]! : `(${types.join(", ")})`;
}

function planBare(file: PythonFile, h: Handler, infer: boolean): Plan {
  if (reraises(h)) {
    return {
      handler: h, clauseText: " BaseException", logging: "none", dropAlias: false, safety: "safe",
      description: "Write the catch-all as `except BaseException:` (the handler re-raises)",
      note: "Same behaviour: a bare except catches BaseException; now it says so.",
    };
  }
  const tryBody = h.clause.parent?.childForFieldName("body");
  const earlier = handledEarlier(h);
  const inferred = infer && tryBody ? inferExceptions(file, tryBody)?.filter((t) => !earlier.has(t)) : undefined;
  const confident = !!inferred && inferred.length > 0 && inferred.every((t) => !isShadowed(h.clause, t));
  const types = confident ? inferred! : ["Exception"];
  // A missing optional dependency is expected, not an error worth a traceback on every import.
  const optionalImport = confident && types.length === 1 && types[0] === "ImportError";
  // A handler that raises something else, or already reports the error, gets no second report.
  const log = !raisesAnything(h) && !logsError(file, h) && !optionalImport;
  const what = `Narrow bare except to ${typeList(types)}${log ? " and log the error" : ""}`;
  const note = confident
    ? `Inferred from the try body: only ${typeList(types)} is caught now; anything else it raises propagates. ` +
      "Check that nothing else must be handled here."
    : PROPAGATES;
  return { handler: h, clauseText: ` ${typeList(types)}`, logging: log ? "insert" : "none", dropAlias: false, safety: "review", description: what, note };
}

function planBlind(file: PythonFile, h: Handler): Plan | undefined {
  // The spelling first, then the body; what the name binds to (a walk of each scope around, the
  // imports) last, as most handlers that name Exception do something with it.
  if (!isBlind(file, h.type, true) || !swallows(h) || !isBlind(file, h.type) || logsError(file, h)) return undefined;
  const alias = h.alias?.text;
  const printing = alias ? h.body.find((s) => printCall(s) && mentions([s], alias)) : undefined;
  if (printing) {
    const rest = h.body.filter((s) => !s.equals(printing));
    return {
      handler: h, logging: { replace: printing }, dropAlias: !mentions(rest, alias!), safety: "review",
      description: "Log the error with its traceback instead of printing it",
      note: "The message now goes to the logging system (stderr by default) instead of stdout, with the traceback.",
    };
  }
  return {
    handler: h, logging: "insert", dropAlias: false, safety: "safe",
    description: "Log the swallowed error with its traceback (logger.exception)",
    note: "Control flow is unchanged; the error now reaches the logs.",
  };
}

/** The runner's rule, applied here so the logger's definition never rides on a suppressed change. */
function suppressed(file: PythonFile, h: Handler): boolean {
  const lines = [file.position(h.clause.startIndex).line];
  const stmt = h.clause.parent;
  if (stmt) lines.push(file.position(stmt.startIndex).line);
  return lines.some((l) => lineSuppresses(file.lineText(l), ID, PEERS));
}

/** Handlers outside any function run while the module is imported: the logger must exist by then. */
function runsAtImport(h: Handler): boolean {
  for (let n: Node | null = h.clause.parent; n; n = n.parent) if (n.type === "function_definition") return false;
  return true;
}

function topLevelStatement(node: Node): Node {
  let n = node;
  while (n.parent && n.parent.type !== "module") n = n.parent;
  return n;
}

/** Is `name` rebound where the handler runs (a parameter, a local, a class attribute)? */
function shadowedLocally(h: Handler, name: string): boolean {
  const scopes = enclosingScopes(h.clause).filter((s) => s.type !== "module");
  return scopes.some((s, i) => (s.type !== "class_definition" || i === 0) && scopeBindings(s).has(name));
}

/** "fetch_tickets failed": the enclosing function or class. Never data: no f-string, no locals. */
function message(h: Handler): string {
  const name = enclosingDefinition(h.clause)?.childForFieldName("name")?.text;
  // At module level the logger's name (__name__) already says which module.
  return name ? `${name} failed` : "module setup failed";
}

function lineIndent(file: PythonFile, node: Node): string | undefined {
  const before = file.text.slice(file.lineStart(file.position(node.startIndex).line), node.startIndex);
  return /^[ \t]*$/.test(before) ? before : undefined;
}

/** `pass`, or a lone `...` that stands for it. */
function isPass(stmt: Node): boolean {
  return stmt.type === "pass_statement" || (stmt.type === "expression_statement" && stmt.namedChildCount === 1 && stmt.namedChild(0)!.type === "ellipsis");
}

function handlerEdits(file: PythonFile, plan: Plan, call: string): Edit[] {
  const h = plan.handler;
  const edits: Edit[] = [];
  if (plan.clauseText !== undefined) {
    edits.push({ start: h.keyword.endIndex, end: h.colon.startIndex, text: plan.clauseText });
    // `except:            # why` keeps its comment where it was, as far as the padding allows.
    const pad = /^[ \t]*(?=#)/.exec(file.text.slice(h.colon.endIndex, h.colon.endIndex + 200))?.[0] ?? "";
    const grown = plan.clauseText.length - (h.colon.startIndex - h.keyword.endIndex);
    const eat = /^ +$/.test(pad) ? Math.min(grown, pad.length - 2) : 0;
    if (eat > 0) edits.push({ start: h.colon.endIndex, end: h.colon.endIndex + eat, text: "" });
  }
  if (plan.dropAlias && h.value && h.type) edits.push({ start: h.type.endIndex, end: h.value.endIndex, text: "" });
  if (plan.logging === "none") return edits;
  const replaced = plan.logging === "insert" ? undefined : plan.logging.replace;
  const lonePass = h.body.length === 1 && isPass(h.body[0]!);
  const sameLine = file.position(h.body[0]!.startIndex).line === file.position(h.colon.startIndex).line;
  if (sameLine) {
    // `except: pass` → the body moves to lines of its own.
    const indent = file.indentAt(h.clause.startIndex) + file.indentUnit;
    let lines = h.body.map((s) => (replaced && s.equals(replaced) ? call : file.slice(s)));
    if (!replaced) lines = lonePass ? [call] : [call, ...lines];
    const eol = file.eol;
    edits.push({ start: h.colon.endIndex, end: h.body[h.body.length - 1]!.endIndex, text: eol + indent + lines.join(eol + indent) });
    return edits;
  }
  if (replaced) {
    edits.push({ start: replaced.startIndex, end: replaced.endIndex, text: call });
  } else if (lonePass) {
    edits.push({ start: h.body[0]!.startIndex, end: h.body[0]!.endIndex, text: call });
  } else {
    const first = h.body[0]!;
    const indent = lineIndent(file, first) ?? file.indentAt(h.clause.startIndex) + file.indentUnit;
    edits.push({ start: first.startIndex, end: first.startIndex, text: call + file.eol + indent });
  }
  return edits;
}

export const narrowExcept: Codemod = {
  id: ID,
  title: "Narrow bare and blind excepts, and log what they catch",
  what:
    "A bare `except:` whose handler re-raises becomes `except BaseException:` (same behaviour, now explicit). Any other " +
    "bare `except:` is narrowed: to the exceptions its try body is known to raise (imports → `ImportError`, `int()`/`float()` → " +
    "`(ValueError, TypeError)`, `json.load(s)` → `ValueError`, subscripts → `(KeyError, IndexError)`, `open()` and file-system " +
    "calls → `OSError`), else to `except Exception:`. A handler of `Exception`/`BaseException` that only discards the error " +
    "(`pass`, `continue`, `return None`, assignments, `print(...)`) keeps its clause. Every changed handler that neither raises " +
    "nor already reports the error now logs it with `logger.exception(\"<function> failed\")` (a `print(..., e)` becomes that " +
    "call); the module's existing logger is reused, otherwise `import logging` and `logger = logging.getLogger(__name__)` are " +
    "added once. Optional-import fallbacks (`except ImportError:`) are narrowed but not logged. Specific handlers, handlers " +
    "that re-raise, log or use the error, and suppressed lines are left alone.",
  why:
    "A bare `except:` also catches KeyboardInterrupt, SystemExit, GeneratorExit and asyncio.CancelledError: Ctrl-C is ignored, " +
    "`sys.exit()` does not exit, and cancelled tasks keep running. A handler that swallows `Exception` without logging hides " +
    "every failure, including programming errors, and leaves nothing to debug from.",
  safety: "review",
  safetyNote:
    "Narrowing changes what is caught: KeyboardInterrupt and SystemExit now propagate, and so does `asyncio.CancelledError` " +
    "(a BaseException), which is usually the bug being fixed; inferred exception lists may miss an error the try body can " +
    "raise. Those changes are marked `review`. Adding logging keeps control flow (`safe`): the message is a constant naming the " +
    "enclosing function, never an f-string or local variables, but the traceback now reaches the logs. Turning a " +
    "`print(..., e)` into logging moves that output from stdout to the logging system (`review`).",
  example: {
    before: 'def fetch_tickets(session):\n    try:\n        return session.get(URL).json()\n    except:\n        return []\n',
    after:
      'import logging\n\nlogger = logging.getLogger(__name__)\n\n\ndef fetch_tickets(session):\n    try:\n' +
      '        return session.get(URL).json()\n    except Exception:\n        logger.exception("fetch_tickets failed")\n        return []\n',
  },
  peers: PEERS,
  references: [
    { title: "PEP 8: Programming Recommendations (bare except)", url: "https://peps.python.org/pep-0008/#programming-recommendations" },
    { title: "ruff BLE001 blind-except", url: "https://docs.astral.sh/ruff/rules/blind-except/" },
    { title: "ruff S110 try-except-pass", url: "https://docs.astral.sh/ruff/rules/try-except-pass/" },
    { title: "CWE-396: Declaration of Catch for Generic Exception", url: "https://cwe.mitre.org/data/definitions/396.html" },
    { title: "logging.Logger.exception", url: "https://docs.python.org/3/library/logging.html#logging.Logger.exception" },
  ],
  options: [
    {
      name: "infer",
      type: "boolean",
      default: true,
      description:
        "Narrow a bare `except:` to the exceptions inferred from its try body; `false`: always `except Exception:`, logged (optional-import fallbacks included)",
    },
  ],
  mayApply(text) {
    return mayHoldSwallowingExcept(text);
  },
  // The handlers, and where the names a new logger could take are spelled (module-level code,
  // imports and the names of definitions are parsed anyway).
  // Its edits add logging calls, an import, a logger and exception names: no other codemod's work.
  enables: [],
  sites(text) {
    return [...swallowingExcepts(text), ...loggerNameSites(text)];
  },
  produce(file, ctx) {
    const infer = optionValue<boolean>(ctx, narrowExcept, "infer");
    const notices: Notice[] = [];
    const notice = (h: Handler, msg: string): void => {
      const { line, column } = file.position(h.clause.startIndex);
      notices.push({ codemod: ID, line, column, message: msg });
    };

    // Suppressed handlers still yield their change: the runner drops it and so learns the marker was used.
    // But the logger is planned without them, and its definition never rides on one of their changes.
    let plans: Plan[] = [];
    const muted = new Set<Plan>();
    for (const node of nodesByKeyword(file, "except", EXCEPT_CLAUSE)) {
      const h = parseHandler(node);
      if (!h) continue;
      const plan = !h.value ? planBare(file, h, infer) : planBlind(file, h);
      if (!plan) continue;
      plans.push(plan);
      if (suppressed(file, h)) muted.add(plan);
    }

    // One logger for the whole file; its definition is added once, with the first change that logs.
    let logger: string | undefined;
    let setup: readonly Edit[] = [];
    let setupSummary = "";
    let importedNote = "";
    const logging = plans.filter((p) => p.logging !== "none" && !muted.has(p));
    const skip = (p: Plan, reason: string): void => {
      notice(p.handler, `not changed: ${reason}`);
      plans = plans.filter((q) => q !== p);
    };
    if (logging.length > 0) {
      const existing = findModuleLogger(file);
      if (existing) {
        logger = existing.name;
        for (const p of logging) {
          if (shadowedLocally(p.handler, existing.name)) skip(p, `\`${existing.name}\` is rebound here, so the module's logger cannot be used`);
          else if (runsAtImport(p.handler) && p.handler.clause.startIndex < existing.definedAt) skip(p, `the module's logger \`${existing.name}\` is defined after this handler`);
        }
        if (existing.importedFrom !== undefined) importedNote = `Uses \`${existing.name}\` imported from ${existing.importedFrom}.`;
      } else {
        const early = logging.filter((p) => runsAtImport(p.handler)).map((p) => topLevelStatement(p.handler.clause).startIndex);
        const planned = planNewLogger(file, early.length > 0 ? Math.min(...early) : undefined);
        if ("reason" in planned) {
          for (const p of logging) skip(p, planned.reason);
        } else {
          logger = planned.name;
          setup = planned.edits;
          setupSummary = `Also ${planned.summary}.`;
        }
      }
    }
    // A suppressed change is dropped by the runner; if it logs, it only needs a name to be well-formed.
    logger ??= "logger";

    const quote = plans.some((p) => p.logging !== "none") ? usualQuote(file.text) : '"';
    const changes: Change[] = [];
    for (const plan of plans) {
      const h = plan.handler;
      const call = `${logger}.exception(${quote}${message(h)}${quote})`;
      const edits = handlerEdits(file, plan, call);
      let note = plan.note;
      if (plan.logging !== "none" && importedNote) note += ` ${importedNote}`;
      if (plan.logging !== "none" && setup.length > 0 && !muted.has(plan)) {
        note += ` ${setupSummary}`;
        edits.unshift(...setup);
        setup = [];
      }
      const { line, column } = file.position(h.clause.startIndex);
      changes.push({ codemod: ID, line, column, safety: plan.safety, description: plan.description, note, edits });
    }
    return { changes, notices };
  },
};
