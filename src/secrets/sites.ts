/**
 * Where a Python file holds a credential literal, and in what position: assigned to a name,
 * passed as a keyword, keyed in a dict, defaulted for a parameter, given as the fallback of
 * `os.getenv`/`os.environ.get`, or (provider-shaped values only) anywhere else. Pure: reads
 * the tree, returns data; secrets-to-env turns sites into changes.
 */
import type { Node } from "web-tree-sitter";
import type { PythonFile } from "../python/file.js";
import { dottedText, importBindings, qualifiedName } from "../python/imports.js";
import { stringStartTokens } from "../python/keywords.js";
import { readString, stringValue } from "../python/strings.js";
import { providerEnvName, toEnvName, VALID_ENV_NAME } from "./names.js";
import { awsSecretMatch, findProviderSecrets, isCredentialName, PROVIDER_GATE, rejectNameBasedValue, URL_GATE, type ProviderMatch } from "./patterns.js";

export type SiteKind = "assignment" | "keyword" | "dict" | "default" | "getenv" | "value";

export interface SecretSite {
  readonly kind: SiteKind;
  /** The string literal whose value moves (for getenv: the fallback argument). */
  readonly literal: Node;
  /** What goes to the environment: the whole value, or the provider secret embedded in it. */
  readonly secret: string;
  /** When only part of the literal is the secret: `"Bearer " + os.environ[...]`. */
  readonly embedded?: { readonly before: string; readonly after: string };
  /** The name the value is bound to (variable, attribute, keyword, key, parameter). */
  readonly target?: string;
  /** Provider id when a provider rule matched; undefined for name-based finds. */
  readonly provider?: string;
  /** The rule that found it ("gitleaks:github-pat", "name:S105"). */
  readonly rule: string;
  /** The environment variable it wants (see NameBook for the final one). */
  readonly preferred: string;
  /** True when the code already names the variable (`os.getenv("NAME", ...)`). */
  readonly fixed: boolean;
  /** The quote character of the literal, reused for inserted names (f-string safe). */
  readonly quote: string;
  /** getenv: the call to replace and its name argument. */
  readonly call?: Node;
  readonly nameArg?: Node;
  /** default: the parameter and its function. */
  readonly param?: Node;
  readonly func?: Node;
}

export interface SiteProblem {
  readonly node: Node;
  readonly message: string;
}

export interface SiteScan {
  readonly sites: SecretSite[];
  readonly problems: SiteProblem[];
}

/** The peers' rule for each position: ruff S105 (assignments, dict keys), S106 (keywords), S107 (defaults). */
const NAME_RULE: Record<SiteKind, string> = {
  assignment: "name:S105", dict: "name:S105", keyword: "name:S106", default: "name:S107", getenv: "name:getenv-default", value: "name",
};

interface Position {
  readonly kind: SiteKind;
  readonly target?: string;
  readonly fixed?: boolean;
  readonly call?: Node;
  readonly nameArg?: Node;
  readonly param?: Node;
  readonly func?: Node;
  /** Set when the position cannot be rewritten; reported only if the value is a secret. */
  readonly blocked?: string;
}

function same(a: Node | null | undefined, b: Node): boolean {
  return !!a && a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type;
}

/** The name an assignment target binds: `X`, `self.x` → x, `d["x"]` → x. */
function targetName(file: PythonFile, left: Node | null): string | undefined {
  if (!left) return undefined;
  if (left.type === "identifier") return left.text;
  if (left.type === "attribute") return left.childForFieldName("attribute")?.text;
  if (left.type === "subscript") {
    const key = left.childForFieldName("subscript");
    return key && key.type === "string" ? stringValue(key, file.text) : undefined;
  }
  return undefined;
}

function args(list: Node | null): Node[] {
  return (list?.namedChildren ?? []).filter((n): n is Node => !!n && n.type !== "comment");
}

/** `os.getenv(NAME, <lit>)`, `os.environ.get(NAME, <lit>)`, with `default=` too. */
function environFallback(file: PythonFile, call: Node, literal: Node): Position | undefined {
  const fn = call.childForFieldName("function");
  // `os.getenv` in a file that forgot `import os` still means os (and gets the import with the fix).
  const text = dottedText(fn);
  const unbound = (text === "os.getenv" || text === "os.environ.get") && !importBindings(file).has("os");
  const name = unbound ? text : qualifiedName(file, fn);
  if (name !== "os.getenv" && name !== "os.environ.get") return undefined;
  const list = args(call.childForFieldName("arguments"));
  const first = list[0];
  const second = list[1];
  const isFallback =
    list.length === 2 &&
    !!second &&
    (same(second, literal) || (second.type === "keyword_argument" && second.childForFieldName("name")?.text === "default" && same(second.childForFieldName("value"), literal)));
  if (!isFallback || !first) return undefined;
  const variable = first.type === "string" ? stringValue(first, file.text) : undefined;
  if (!variable || !VALID_ENV_NAME.test(variable) || readString(first, file.text)?.isFString) {
    return { kind: "getenv", call, blocked: "the fallback of an environment lookup whose variable name is not a plain literal" };
  }
  return { kind: "getenv", target: variable, fixed: true, call, nameArg: first };
}

function position(file: PythonFile, literal: Node): Position | undefined {
  const parent = literal.parent;
  if (!parent) return undefined;
  switch (parent.type) {
    case "expression_statement":
      return undefined; // docstrings and bare strings
    case "assignment":
      if (!same(parent.childForFieldName("right"), literal)) return undefined;
      return { kind: "assignment", target: targetName(file, parent.childForFieldName("left")) };
    case "keyword_argument": {
      if (!same(parent.childForFieldName("value"), literal)) return undefined;
      const call = parent.parent?.parent;
      if (call?.type === "call") {
        const env = environFallback(file, call, literal);
        if (env) return env;
      }
      return { kind: "keyword", target: parent.childForFieldName("name")?.text };
    }
    case "pair": {
      if (!same(parent.childForFieldName("value"), literal)) return undefined;
      const key = parent.childForFieldName("key");
      return { kind: "dict", target: key && key.type === "string" ? stringValue(key, file.text) : undefined };
    }
    case "default_parameter":
    case "typed_default_parameter": {
      if (!same(parent.childForFieldName("value"), literal)) return undefined;
      const target = parent.childForFieldName("name")?.text;
      const list = parent.parent;
      if (list?.type === "lambda_parameters") return { kind: "default", target, blocked: "a lambda's default value (a lambda has no body to read the environment in)" };
      const func = list?.parent;
      if (!func || func.type !== "function_definition") return undefined;
      const insertion = bodyInsertion(file, func);
      if ("problem" in insertion) return { kind: "default", target, blocked: insertion.problem };
      return { kind: "default", target, param: parent, func };
    }
    case "argument_list": {
      const call = parent.parent;
      if (call?.type === "call") {
        const env = environFallback(file, call, literal);
        if (env) return env;
      }
      return { kind: "value" };
    }
    case "subscript":
      return same(parent.childForFieldName("value"), literal) ? undefined : { kind: "value" };
    case "comparison_operator":
    case "interpolation":
    case "format_specifier":
      return undefined;
    default:
      return { kind: "value" };
  }
}

function isDocstring(stmt: Node): boolean {
  return stmt.type === "expression_statement" && stmt.namedChildCount === 1 && stmt.namedChild(0)!.type === "string";
}

/** Only whitespace between the start of its line and `index`. */
function startsLine(file: PythonFile, index: number): boolean {
  return /^[ \t]*$/.test(file.text.slice(file.lineStart(file.position(index).line), index));
}

/** Only whitespace or a comment between `index` and the end of its line. */
function endsLine(file: PythonFile, index: number): boolean {
  const line = file.position(index).line;
  return /^[ \t]*(#.*)?$/.test(file.text.slice(index, file.lineStart(line) + file.lineText(line).length));
}

export interface BodyInsertion {
  /** Where new first statements of the body go (after its docstring). */
  readonly at: number;
  readonly indent: string;
  /** A line break to put first (a docstring on the file's last line without one). */
  readonly lead: string;
}

/** Where a function's body can take new first statements, or why it cannot. */
export function bodyInsertion(file: PythonFile, func: Node): BodyInsertion | { readonly problem: string } {
  const body = func.childForFieldName("body");
  const stmts = (body?.namedChildren ?? []).filter((n): n is Node => !!n && n.type !== "comment");
  const first = stmts[0];
  if (!body || !first || !startsLine(file, first.startIndex)) return { problem: "the default of a one-line function" };
  const second = stmts[1];
  if (!isDocstring(first)) return { at: file.lineStart(file.position(first.startIndex).line), indent: file.indentAt(first.startIndex), lead: "" };
  if (second) {
    if (!startsLine(file, second.startIndex)) return { problem: "a default, in a function whose docstring shares a line with code" };
    return { at: file.lineStart(file.position(second.startIndex).line), indent: file.indentAt(second.startIndex), lead: "" };
  }
  if (!endsLine(file, first.endIndex)) return { problem: "a default, in a function whose docstring shares a line with code" };
  const line = file.position(first.endIndex).line;
  const indent = file.indentAt(first.startIndex);
  if (line >= file.lineCount) return { at: file.text.length, indent, lead: /[\r\n]$/.test(file.text) ? "" : file.eol };
  return { at: file.lineStart(line + 1), indent, lead: "" };
}

interface Found {
  readonly secret: string;
  readonly embedded?: { readonly before: string; readonly after: string };
  readonly provider?: string;
  readonly rule: string;
  readonly preferred: string;
}

type Classified = Found | { readonly problem: string } | undefined;

function fromProvider(m: ProviderMatch, value: string, pos: Position): Found {
  const before = value.slice(0, m.start);
  const after = value.slice(m.end);
  const whole = (before + after).trim() === "" || pos.kind === "default" || pos.kind === "getenv";
  const aliases = "aliases" in m.rule ? m.rule.aliases : [];
  if (whole) {
    const preferred = pos.fixed ? pos.target! : providerEnvName(pos.target, m.envName, aliases);
    return { secret: value, provider: m.provider, rule: m.rule.source, preferred };
  }
  // Only part of the literal is the secret (`"Bearer ghp_..."`): the target names the whole, so the provider's name it is.
  return { secret: m.secret, embedded: { before, after }, provider: m.provider, rule: m.rule.source, preferred: m.envName };
}

/** Is `value` a credential in this position? */
export function classify(value: string, pos: Pick<Position, "kind" | "target" | "fixed">): Classified {
  const matches = findProviderSecrets(value);
  if (matches.length > 1) return { problem: "one string holds several credentials" };
  if (matches.length === 1) return fromProvider(matches[0]!, value, pos as Position);
  const aws = awsSecretMatch(value, pos.target);
  if (aws) return fromProvider(aws, value, pos as Position);
  if (pos.kind === "value" || !pos.target || !isCredentialName(pos.target)) return undefined;
  if (rejectNameBasedValue(value, pos.target)) return undefined;
  return { secret: value, rule: NAME_RULE[pos.kind], preferred: pos.fixed ? pos.target : toEnvName(pos.target) };
}

/**
 * Can classify() find anything in `value`, wherever it stands? A provider pattern needs its gate
 * to match; the AWS and name rules need at least 8 characters.
 */
function mayClassify(value: string): boolean {
  return value.length >= 8 || PROVIDER_GATE.test(value) || URL_GATE.test(value);
}

/**
 * The string literals of `file` in document order (an implicit concatenation as one), found
 * from their `string_start` tokens: a Query over all strings would walk the whole tree.
 */
function literals(file: PythonFile): Node[] {
  const out: Node[] = [];
  for (const start of stringStartTokens(file)) {
    const string = start.parent;
    if (!string || string.type !== "string") continue;
    const outer = string.parent;
    if (outer?.type === "concatenated_string") {
      if (outer.startIndex === string.startIndex) out.push(outer);
      continue;
    }
    out.push(string);
  }
  return out;
}

/** Every credential literal of `file`, and the ones found where they cannot be moved safely. */
export function findSecretSites(file: PythonFile): SiteScan {
  const sites: SecretSite[] = [];
  const problems: SiteProblem[] = [];
  for (const literal of literals(file)) {
    // Cheap tests on the value first: most literals are short strings nothing can classify.
    if (literal.type === "concatenated_string") {
      const value = stringValue(literal, file.text);
      if (value === undefined || !mayClassify(value)) continue;
      const pos = position(file, literal);
      if (!pos) continue;
      const found = classify(value, pos);
      if (found) problems.push({ node: literal, message: `${what(found)} in an implicitly concatenated string; move it to the environment by hand` });
      continue;
    }
    const info = readString(literal, file.text);
    if (!info) continue;
    if (info.isBytes || info.value === undefined) {
      const raw = file.slice(literal);
      if (findProviderSecrets(raw).length > 0 && position(file, literal)) {
        problems.push({ node: literal, message: `a provider-shaped credential in a ${info.isBytes ? "bytes" : "formatted"} literal; move it to the environment by hand` });
      }
      continue;
    }
    const value = info.value;
    if (!mayClassify(value)) continue;
    const pos = position(file, literal);
    if (!pos) continue;
    const found = classify(value, pos);
    if (!found) continue;
    if ("problem" in found) {
      problems.push({ node: literal, message: `${found.problem}; move them to the environment by hand` });
      continue;
    }
    if (pos.blocked) {
      problems.push({ node: literal, message: `${what(found)} as ${pos.blocked}; move it to the environment by hand` });
      continue;
    }
    const raw = file.slice(literal);
    const body = raw.slice(info.prefix.length + info.quote.length, raw.length - info.quote.length);
    // The diff shows source text, and only the decoded value is masked: escapes would leave the secret readable.
    const readable = body === value || (found.provider === "private-key" && body.replace(/\\r/g, "\r").replace(/\\n/g, "\n") === value);
    if (!readable) {
      problems.push({ node: literal, message: `${what(found)} written with escape sequences; move it to the environment by hand` });
      continue;
    }
    if (found.embedded && info.isFString) {
      problems.push({ node: literal, message: `${what(found)} inside a formatted string; move it to the environment by hand` });
      continue;
    }
    sites.push({
      kind: pos.kind,
      literal,
      secret: found.secret,
      ...(found.embedded ? { embedded: found.embedded } : {}),
      ...(pos.target !== undefined ? { target: pos.target } : {}),
      ...(found.provider ? { provider: found.provider } : {}),
      rule: found.rule,
      preferred: found.preferred,
      fixed: !!pos.fixed,
      quote: info.quote.length === 1 ? info.quote : '"',
      ...(pos.call ? { call: pos.call } : {}),
      ...(pos.nameArg ? { nameArg: pos.nameArg } : {}),
      ...(pos.param ? { param: pos.param } : {}),
      ...(pos.func ? { func: pos.func } : {}),
    });
  }
  return { sites, problems };
}

function what(found: Found | { problem: string }): string {
  if ("problem" in found) return "credentials";
  if (!found.provider) return "a credential";
  if (found.provider === "url") return "a URL with a password";
  if (found.provider === "private-key") return "a private key";
  return `${/^[aeiou]/.test(found.provider) ? "an" : "a"} ${found.provider} credential`;
}
