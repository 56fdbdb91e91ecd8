/**
 * verify-ssl: re-enable TLS certificate and hostname verification that the code switched off.
 */
import type { Node } from "web-tree-sitter";
import type { Change, Codemod, Edit, Notice, Safety } from "../src/codemod.js";
import type { PythonFile } from "../src/python/file.js";
import { addImport, importBindings, qualifiedName } from "../src/python/imports.js";
import { emptyingRemovals, passInstead, removeArgument, removeStatement } from "../src/python/edits.js";
import { matchesAround, query } from "../src/python/parser.js";
import { isTestPath } from "../src/python/paths.js";
import { stringValue, unescape } from "../src/python/strings.js";

const ID = "verify-ssl";

const NOTE =
  "If this host uses a private CA, point REQUESTS_CA_BUNDLE / SSL_CERT_FILE (or verify=/cafile=) at its bundle instead of disabling verification.";

/** One combined query: each Query walks the whole tree, so the codemod runs exactly one. */
const QUERY = `
(keyword_argument
  name: (identifier) @kw (#any-of? @kw "verify" "ssl" "verify_ssl" "cert_reqs")
  value: (_) @kwvalue) @kwarg
(assignment
  left: (attribute attribute: (identifier) @attr (#any-of? @attr "verify" "check_hostname" "verify_mode" "_create_default_https_context"))
  right: (_) @attrvalue) @attrassign
(assignment
  left: (subscript value: (_) @envobj subscript: (string) @envkey)
  right: (_) @envvalue) @envassign
(call
  function: [(identifier) @fname (attribute attribute: (identifier) @fname)]
  (#any-of? @fname "_create_unverified_context" "disable_warnings")) @call
`;

/** Whitespace, line continuations and comments (a comment taken whole: no backtracking into it). */
const WS = String.raw`(?:\s|\\(?:\r\n|\n|\r)|#[^\r\n]*(?![^\r\n]))*`;

/**
 * Every site the query can act on (a change or a notice) contains one of these: `verify=` with
 * False or a name, `ssl=False` / `verify_ssl=False` (nothing else of theirs is acted on), or one
 * of the names.
 */
const PREFILTER = new RegExp(
  String.raw`\bverify${WS}=(?!=)${WS}[A-Za-z_\u0080-\uffff]|\b(?:ssl|verify_ssl)${WS}=(?!=)${WS}False\b|` +
    String.raw`cert_reqs|check_hostname|verify_mode|_create_(?:unverified|default_https)_context|disable_warnings|PYTHONHTTPSVERIFY|CURL_CA_BUNDLE`,
);

/**
 * Where the query can match (Codemod.sites): a keyword or an attribute it names, followed by `=`
 * (after an annotation, `x.verify: bool = False`); a function it names; an environment
 * variable's name, plain or written with escapes. The query runs only on the statements that
 * hold one (matchesAround).
 */
const SITES = new RegExp(
  String.raw`\b(?:verify|ssl|verify_ssl|cert_reqs|check_hostname|verify_mode|_create_default_https_context)${WS}(?::[^=\r\n]*)?=(?!=)|` +
    String.raw`_create_unverified_context|disable_warnings|PYTHONHTTPSVERIFY|CURL_CA_BUNDLE`,
  "g",
);

/** Whether the text holds one of the SITES (the query acts on nothing else). */
const HAS_SITE = new RegExp(SITES.source);

/** Where the query can match: the SITES and the escaped environment keys. */
function sites(text: string): number[] {
  return [...[...text.matchAll(SITES)].map((m) => m.index), ...escapedEnvironmentKeys(text)];
}

/** A subscript key written with escapes: `os.environ["PYTHONHTTPS\x56ERIFY"]`. */
const ESCAPED_KEY = /\[\s*[rRuU]?(["'])((?:[^"'\\\r\n]|\\[^\r\n])*\\(?:[^"'\\\r\n]|\\[^\r\n])*)\1/g;

/** Where `os.environ["PYTHONHTTPS\x56ERIFY"]`-like keys are (all of them, or only the first). */
function escapedEnvironmentKeys(text: string, firstOnly = false): number[] {
  const found: number[] = [];
  if (!text.includes("\\")) return found;
  ESCAPED_KEY.lastIndex = 0;
  for (let m = ESCAPED_KEY.exec(text); m; m = ESCAPED_KEY.exec(text)) {
    const key = /^[rR]/.test(m[0].slice(1).trim()) ? m[2]! : unescape(m[2]!);
    if (key !== "PYTHONHTTPSVERIFY" && key !== "CURL_CA_BUNDLE") continue;
    found.push(m.index);
    if (firstOnly) break;
  }
  return found;
}

/** Calls whose `verify=` is TLS verification: requests and httpx (functions, sessions, clients). */
const HTTP_MODULES = ["requests", "httpx"];
const AIOHTTP = ["aiohttp"];
const CREATE_DEFAULT_KWARGS = new Set(["purpose", "cafile", "capath", "cadata"]);

function fromModule(name: string | undefined, modules: readonly string[]): boolean {
  return !!name && modules.some((m) => name === m || name.startsWith(`${m}.`));
}

function importsAny(file: PythonFile, modules: readonly string[]): boolean {
  for (const target of importBindings(file).values()) if (fromModule(target, modules)) return true;
  return false;
}

/** Is `call` a requests/httpx (or aiohttp) call? Resolved by import, or a method call in a module importing them. */
function callFrom(file: PythonFile, call: Node, modules: readonly string[]): boolean {
  const fn = call.childForFieldName("function");
  const name = qualifiedName(file, fn);
  if (name) return fromModule(name, modules);
  return fn?.type === "attribute" && importsAny(file, modules);
}

function isName(node: Node): boolean {
  return node.type === "identifier" || node.type === "attribute";
}

class Collector {
  readonly changes: Change[] = [];
  readonly notices: Notice[] = [];
  /** The statements its changes remove, with the index of their change. */
  private readonly removals: { stmt: Node; change: number }[] = [];
  constructor(private readonly file: PythonFile) {}

  change(at: Node, description: string, edits: Edit[], safety: Safety = "review", note = NOTE): void {
    const { line, column } = this.file.position(at.startIndex);
    this.changes.push({ codemod: ID, line, column, safety, description, note, edits });
  }

  /** Remove `stmt` as a change, or say why not (`notice`: what is not removed). */
  remove(at: Node, stmt: Node, description: string, notice: string, safety: Safety = "review", note = NOTE): void {
    const plan = removeStatement(this.file, stmt);
    if (!plan.ok) return this.notice(at, `${notice} not removed: ${plan.reason}`);
    this.removals.push({ stmt, change: this.changes.length });
    this.change(at, description, plan.edits, safety, note);
  }

  /** The changes, where removals that would together empty a block leave `pass` in its last statement's place. */
  result(): { changes: Change[]; notices: Notice[] } {
    for (const k of emptyingRemovals(this.removals.map((r) => r.stmt))) {
      const { stmt, change } = this.removals[k]!;
      this.changes[change] = { ...this.changes[change]!, edits: [passInstead(stmt)] };
    }
    return { changes: this.changes, notices: this.notices };
  }

  notice(at: Node, message: string): void {
    const { line, column } = this.file.position(at.startIndex);
    this.notices.push({ codemod: ID, line, column, message });
  }
}

function replaceNode(node: Node, text: string): Edit {
  return { start: node.startIndex, end: node.endIndex, text };
}

/** The ssl module's verify modes that keep verification on. */
const VERIFYING_MODES = new Set(["CERT_REQUIRED", "CERT_OPTIONAL"]);

/**
 * What a `cert_reqs=` / `verify_mode =` value gets: the edit to `CERT_REQUIRED` ("CERT_NONE",
 * ssl.CERT_NONE, or an alias of the module), why it is left as it is (`leave`, for a notice), or
 * nothing when it does not switch verification off.
 */
function certRequired(file: PythonFile, value: Node): Edit | { readonly leave: string } | undefined {
  if (value.type === "string" && stringValue(value, file.text) === "CERT_NONE") {
    const raw = file.slice(value);
    return replaceNode(value, raw.replace("CERT_NONE", "CERT_REQUIRED"));
  }
  if (!isName(value)) return undefined;
  const name = qualifiedName(file, value);
  if (name === "ssl.CERT_NONE") {
    if (value.type === "attribute") return replaceNode(value.childForFieldName("attribute")!, "CERT_REQUIRED");
    return { leave: `${value.text} is ssl.CERT_NONE imported by name (CERT_REQUIRED is not imported); not changed` };
  }
  if (name?.startsWith("ssl.")) return undefined;
  // Not resolved through an import: `ssl = import_module("ssl")`, a parameter, a variable.
  const last = value.type === "attribute" ? value.childForFieldName("attribute")!.text : value.text;
  if (VERIFYING_MODES.has(last)) return undefined;
  if (last === "CERT_NONE" && value.type === "attribute") {
    return { leave: `${value.childForFieldName("object")!.text} is not bound by an import of ssl here; not changed` };
  }
  return { leave: `comes from a variable; check that it is never CERT_NONE` };
}

function keywordArgument(file: PythonFile, out: Collector, kwarg: Node, kw: string, value: Node): void {
  const call = kwarg.parent?.parent;
  if (!call || call.type !== "call") return;
  if (kw === "cert_reqs") {
    const fix = certRequired(file, value);
    if (fix && "leave" in fix) out.notice(kwarg, `cert_reqs=${file.slice(value)}: ${fix.leave}`);
    else if (fix) out.change(kwarg, "Require a valid certificate (cert_reqs=CERT_REQUIRED)", [fix]);
    return;
  }
  if (kw === "verify") {
    if (!callFrom(file, call, HTTP_MODULES)) return;
    if (value.type === "false") out.change(kwarg, "Re-enable certificate verification (verify=True)", [replaceNode(value, "True")]);
    else if (isName(value) && !/^(ssl|ctx|context|.*_context|.*_ctx|ca_?bundle|.*_ca_.*)$/i.test(value.text)) {
      out.notice(kwarg, `verify=${value.text} comes from a variable; check that it is never False`);
    }
    return;
  }
  if (!callFrom(file, call, AIOHTTP)) return;
  if (kw === "ssl") {
    if (value.type === "false") out.change(kwarg, "Re-enable certificate verification (ssl=True)", [replaceNode(value, "True")]);
    return;
  }
  // verify_ssl: deprecated in aiohttp; verification is the default once it is gone.
  if (value.type !== "false") return;
  const plan = removeArgument(file, kwarg);
  if (plan.ok) out.change(kwarg, "Remove deprecated verify_ssl=False (aiohttp verifies by default)", plan.edits);
  else out.notice(kwarg, `verify_ssl=False not removed: ${plan.reason}`);
}

function attributeAssignment(file: PythonFile, out: Collector, assign: Node, attr: string, value: Node): void {
  const stmt = assign.parent;
  if (attr === "verify" && value.type === "false") {
    out.change(assign, "Re-enable certificate verification (.verify = True)", [replaceNode(value, "True")]);
  } else if (attr === "check_hostname" && value.type === "false") {
    const condition = conditionalAncestor(assign);
    if (condition && !disablesVerifyModeNearby(file, assign)) {
      // e.g. asyncio: `if not server_hostname: ctx.check_hostname = False` — there is no name to check.
      out.notice(assign, `check_hostname = False depends on a condition (line ${file.position(condition.startIndex).line}); not changed`);
      return;
    }
    out.change(assign, "Re-enable hostname checking (.check_hostname = True)", [replaceNode(value, "True")]);
  } else if (attr === "verify_mode") {
    const fix = certRequired(file, value);
    if (fix && !("leave" in fix)) out.change(assign, "Require a valid certificate (verify_mode = CERT_REQUIRED)", [fix]);
  } else if (attr === "_create_default_https_context") {
    const left = assign.childForFieldName("left");
    if (qualifiedName(file, left) !== "ssl._create_default_https_context") return;
    if (qualifiedName(file, value) !== "ssl._create_unverified_context") return;
    if (!stmt || stmt.type !== "expression_statement") return;
    out.remove(assign, stmt, "Stop disabling verification for every HTTPS connection of the process", "global override");
  }
}

/** The nearest enclosing `if`/`elif`/`else`/conditional expression inside the same function, if any. */
function conditionalAncestor(node: Node): Node | undefined {
  for (let n = node.parent; n; n = n.parent) {
    if (n.type === "function_definition" || n.type === "class_definition" || n.type === "module") return undefined;
    if (n.type === "if_statement" || n.type === "elif_clause" || n.type === "else_clause" || n.type === "conditional_expression") return n;
  }
  return undefined;
}

/** Does the same block also set `<same object>.verify_mode = CERT_NONE` (the disable-everything idiom)? */
function disablesVerifyModeNearby(file: PythonFile, assign: Node): boolean {
  const target = assign.childForFieldName("left")?.childForFieldName("object")?.text;
  const block = assign.parent?.parent;
  if (!target || !block) return false;
  return block.namedChildren.some((stmt) => {
    const a = stmt?.type === "expression_statement" ? stmt.namedChild(0) : null;
    if (a?.type !== "assignment") return false;
    const left = a.childForFieldName("left");
    return left?.type === "attribute" && left.childForFieldName("object")?.text === target &&
      left.childForFieldName("attribute")?.text === "verify_mode" && qualifiedName(file, a.childForFieldName("right")) === "ssl.CERT_NONE";
  });
}

function environmentAssignment(file: PythonFile, out: Collector, assign: Node, obj: Node, key: Node, value: Node): void {
  if (qualifiedName(file, obj) !== "os.environ") return;
  const name = stringValue(key, file.text);
  const v = stringValue(value, file.text);
  const disables = (name === "PYTHONHTTPSVERIFY" && v === "0") || (name === "CURL_CA_BUNDLE" && v === "");
  if (!disables) return;
  const stmt = assign.parent;
  if (!stmt || stmt.type !== "expression_statement") return;
  out.remove(assign, stmt, `Stop disabling verification through ${name}`, `${name} override`);
}

function call(file: PythonFile, out: Collector, callNode: Node, fname: string): void {
  const fn = callNode.childForFieldName("function")!;
  const name = qualifiedName(file, fn);
  if (fname === "disable_warnings") {
    if (!name || !/(^|\.)urllib3\.disable_warnings$/.test(name)) return;
    const stmt = callNode.parent;
    if (!stmt || stmt.type !== "expression_statement" || stmt.namedChildCount !== 1) return;
    out.remove(callNode, stmt, "Stop silencing urllib3's insecure-request warnings", "disable_warnings()", "safe", "Only warnings change: an unverified request will warn again.");
    return;
  }
  if (name !== "ssl._create_unverified_context") return;
  const args = callNode.childForFieldName("arguments")?.namedChildren.filter((a): a is Node => !!a && a.type !== "comment") ?? [];
  const unsupported = args.find((a) => a.type !== "keyword_argument" || !CREATE_DEFAULT_KWARGS.has(a.childForFieldName("name")?.text ?? ""));
  if (unsupported) {
    out.notice(callNode, "ssl._create_unverified_context() has arguments ssl.create_default_context() does not take; not changed");
    return;
  }
  if (fn.type === "attribute") {
    out.change(callNode, "Use a verifying context (ssl.create_default_context)", [replaceNode(fn.childForFieldName("attribute")!, "create_default_context")]);
    return;
  }
  const edits: Edit[] = [replaceNode(fn, "ssl.create_default_context")];
  const imp = addImport(file, "ssl");
  if (imp) edits.push(imp);
  out.change(callNode, "Use a verifying context (ssl.create_default_context)", edits);
}

export const verifySsl: Codemod = {
  id: ID,
  title: "Re-enable TLS certificate verification",
  what:
    "Turns certificate and hostname verification back on where the code switched it off: `verify=False` in requests/httpx, " +
    "`session.verify = False`, aiohttp `ssl=False`/`verify_ssl=False`, `ssl._create_unverified_context()`, `CERT_NONE`, " +
    "`check_hostname = False`, `urllib3.disable_warnings()` and the `PYTHONHTTPSVERIFY=0`/`CURL_CA_BUNDLE=\"\"` environment overrides.",
  why:
    "Without verification any machine on the network path can impersonate the server (man-in-the-middle) and read or alter " +
    "the traffic, including credentials. Silencing urllib3's warning hides that this is happening.",
  safety: "review",
  safetyNote:
    "Connections to hosts with self-signed or private-CA certificates will fail after the fix. Point REQUESTS_CA_BUNDLE / " +
    "SSL_CERT_FILE (or `verify=\"/path/ca.pem\"`) at the CA bundle instead. Values that flow through variables are reported, not changed.",
  example: {
    before: 'import requests\n\nresp = requests.get(url, verify=False)\n',
    after: 'import requests\n\nresp = requests.get(url, verify=True)\n',
  },
  peers: ["S501", "S323", "S502", "S503", "S504", "S507", "B501", "B323", "B502", "B503", "B504", "B507"],
  references: [
    { title: "CWE-295: Improper Certificate Validation", url: "https://cwe.mitre.org/data/definitions/295.html" },
    { title: "requests: SSL Cert Verification", url: "https://requests.readthedocs.io/en/latest/user/advanced/#ssl-cert-verification" },
    { title: "ruff S501 request-with-no-cert-validation", url: "https://docs.astral.sh/ruff/rules/request-with-no-cert-validation/" },
  ],
  mayApply(text) {
    // A name it reads only where nothing is assigned (`ctx.verify_mode == ssl.CERT_NONE`) is no site.
    return (PREFILTER.test(text) && HAS_SITE.test(text)) || escapedEnvironmentKeys(text, true).length > 0;
  },
  // Its edits turn verification on and add `import ssl`. A statement it removes that was a
  // handler's whole body leaves `pass` there: a swallowing handler, narrow-except's work.
  enables: ["narrow-except"],
  sites,
  produce(file, ctx) {
    const out = new Collector(file);
    for (const m of matchesAround(query(QUERY), file.root, sites(file.text))) {
      const cap = (name: string): Node | undefined => m.captures.find((c) => c.name === name)?.node;
      if (cap("kwarg")) keywordArgument(file, out, cap("kwarg")!, cap("kw")!.text, cap("kwvalue")!);
      else if (cap("attrassign")) attributeAssignment(file, out, cap("attrassign")!, cap("attr")!.text, cap("attrvalue")!);
      else if (cap("envassign")) environmentAssignment(file, out, cap("envassign")!, cap("envobj")!, cap("envkey")!, cap("envvalue")!);
      else if (cap("call")) call(file, out, cap("call")!, cap("fname")!.text);
    }
    const { changes, notices } = out.result();
    if (changes.length > 0 && isTestPath(file.relPath) && !ctx.includeTests) {
      // Tests disable verification on purpose (local servers with self-signed certificates).
      const first = changes[0]!;
      const message = `test file: ${changes.length} site(s) left as they are (use --include-tests to fix them too)`;
      return { changes: [], notices: [...notices, { codemod: ID, line: first.line, column: first.column, message }] };
    }
    return { changes, notices };
  },
};
