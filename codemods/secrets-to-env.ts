/**
 * secrets-to-env: replace credential literals with environment lookups. The values leave the
 * code as `env` entries of the changes; the runner writes them to a git-ignored `.env` (with
 * --write; option `env-file`) and masks them in every report.
 */
import type { Node } from "web-tree-sitter";
import type { Change, Codemod, Edit, EnvEntry, Notice, ProjectContext } from "../src/codemod.js";
import type { PythonFile } from "../src/python/file.js";
import { addImport, importBindings } from "../src/python/imports.js";
import { isTestPath } from "../src/python/paths.js";
import { lineSuppresses } from "../src/python/suppress.js";
import { readString } from "../src/python/strings.js";
import type { Resolution } from "../src/secrets/names.js";
import { mayHoldSecret, secretSites } from "../src/secrets/prefilter.js";
import { SECRETS_OPTIONS, secretsSettings } from "../src/secrets/options.js";
import { projectSecrets, siteClaim, type ProjectSecrets } from "../src/secrets/project.js";
import { bodyInsertion, findSecretSites, type SecretSite } from "../src/secrets/sites.js";

const ID = "secrets-to-env";
const PEERS = ["S105", "S106", "S107", "B105", "B106", "B107"];

/** gitleaks' own inline marker, honoured on top of the generic ones (suppress.ts). */
const GITLEAKS_ALLOW = /#.*\bgitleaks:allow\b/;

/** Positions where a `a + b` expression can stand without parentheses. */
const OPEN_PARENTS = new Set([
  "assignment", "keyword_argument", "pair", "argument_list", "return_statement", "expression_list", "list", "tuple", "set",
  "parenthesized_expression", "default_parameter", "typed_default_parameter",
]);

/** The first line of the statement holding `index`: the runner checks suppressions there too (process.ts). */
function statementLine(file: PythonFile, index: number): number {
  let node: Node | null = file.root.descendantForIndex(index);
  while (node && node.parent && node.parent.type !== "block" && node.parent.type !== "module") node = node.parent;
  return node ? file.position(node.startIndex).line : file.position(index).line;
}

function suppressedAt(file: PythonFile, index: number): boolean {
  const line = file.position(index).line;
  const lines = [line, statementLine(file, index)];
  return lines.some((l) => lineSuppresses(file.lineText(l), ID, PEERS) || GITLEAKS_ALLOW.test(file.lineText(l)));
}

/** For naming: a suppressed literal stays in the code and claims no variable. */
function keepSite(file: PythonFile, site: SecretSite): boolean {
  return !suppressedAt(file, site.literal.startIndex);
}

function gitleaksAllowed(file: PythonFile, index: number): boolean {
  const line = file.position(index).line;
  return [line, statementLine(file, index)].some((l) => GITLEAKS_ALLOW.test(file.lineText(l)));
}

/** How the file reaches `os.environ`: an existing top-level import, or `os.environ` plus a new `import os`. */
interface Environ {
  readonly ref: string;
  readonly importEdit?: Edit;
  /** Line of the import that binds it (sites before it at module level cannot use it). */
  readonly line: number;
}

function environReference(file: PythonFile): Environ {
  for (const stmt of file.root.namedChildren) {
    if (!stmt) continue;
    const line = file.position(stmt.startIndex).line;
    if (stmt.type === "import_from_statement" && stmt.childForFieldName("module_name")?.text === "os") {
      for (const item of stmt.childrenForFieldName("name")) {
        if (item?.type === "dotted_name" && item.text === "environ") return { ref: "environ", line };
        if (item?.type === "aliased_import" && item.childForFieldName("name")?.text === "environ") return { ref: item.childForFieldName("alias")!.text, line };
      }
    }
    if (stmt.type === "import_statement") {
      for (const item of stmt.childrenForFieldName("name")) {
        if (item?.type === "aliased_import" && item.childForFieldName("name")?.text === "os") return { ref: `${item.childForFieldName("alias")!.text}.environ`, line };
        if (item?.type === "dotted_name" && (item.text === "os" || item.text.startsWith("os."))) return { ref: "os.environ", line };
      }
    }
  }
  return { ref: "os.environ", importEdit: addImport(file, "os"), line: 0 };
}

function insideFunction(node: Node): boolean {
  for (let n = node.parent; n; n = n.parent) if (n.type === "function_definition" || n.type === "lambda") return true;
  return false;
}

class Builder {
  readonly changes: Change[] = [];
  readonly notices: Notice[] = [];
  private readonly environ: Environ;
  /** Parallel to `changes`: does the change use the module's `os` binding? Will the runner drop it as suppressed? */
  private readonly usesOs: boolean[] = [];
  private readonly suppressed: boolean[] = [];

  constructor(
    private readonly file: PythonFile,
    private readonly project: ProjectSecrets,
    private readonly resolve: (site: SecretSite) => Resolution,
    /** Where --write puts the values (option `env-file`), relative to the root. */
    private readonly envFile: string,
  ) {
    this.environ = environReference(file);
  }

  notice(node: Node, message: string): void {
    const { line, column } = this.file.position(node.startIndex);
    this.notices.push({ codemod: ID, line, column, message });
  }

  private lookup(name: string, quote: string, ref = this.environ.ref): string {
    return `${ref}[${quote}${name}${quote}]`;
  }

  /** The environment variable for `site`, or undefined (with a notice) when it cannot have one. */
  private nameFor(site: SecretSite): string | undefined {
    const r = this.resolve(site);
    // A suppressed site's change only tells the runner its marker was used: no notices for it.
    if (suppressedAt(this.file, site.literal.startIndex)) return "name" in r ? r.name : site.preferred;
    if ("conflict" in r) {
      this.notice(site.literal, `${site.preferred} is already set to a different value in ${r.conflict}; this fallback was not changed`);
      return undefined;
    }
    if (!insideFunction(site.literal) && this.environ.line > this.file.position(site.literal.startIndex).line) {
      this.notice(site.literal, `a credential above the module's \`import os\`; move the import up, then run again`);
      return undefined;
    }
    return r.name;
  }

  private note(name: string, consequence: string): string {
    const env = this.envFile;
    const loader = env === ".env" ? "load_dotenv()" : `load_dotenv("${env}")`;
    const load = this.project.usesDotenv
      ? `This project already uses python-dotenv: make sure ${loader} runs before this code; with --write the value is in the git-ignored ${env}.`
      : `With --write the value is in the git-ignored ${env}: load it with python-dotenv's ${loader}, \`set -a; . ./${env}; set +a\`, or your deployment's secret store.`;
    return `The program now needs ${name} set in its environment (${consequence}). ${load} The value was committed to source: rotate it.`;
  }

  private push(at: Node, description: string, note: string, edits: Edit[], env: EnvEntry[], usesOs = true): void {
    const { line, column } = this.file.position(at.startIndex);
    this.changes.push({ codemod: ID, line, column, safety: "review", description, note, edits, env });
    this.usesOs.push(usesOs);
    this.suppressed.push(suppressedAt(this.file, at.startIndex));
  }

  private entry(site: SecretSite, name: string): EnvEntry {
    return { name, value: site.secret, ...(site.provider ? { provider: site.provider } : {}) };
  }

  private label(site: SecretSite): string {
    if (site.provider === "url") return "URL with a password";
    if (site.provider === "private-key") return "private key";
    return site.provider ? `${site.provider} credential` : "credential";
  }

  /** `X = "…"`, `f(password="…")`, `{"token": "…"}`, a provider value anywhere: replace the literal. */
  value(site: SecretSite): void {
    const name = this.nameFor(site);
    if (!name) return;
    const lookup = this.lookup(name, site.quote);
    let text = lookup;
    if (site.embedded) {
      const info = readString(site.literal, this.file.text)!;
      const raw = this.file.slice(site.literal);
      const open = raw.slice(0, info.prefix.length + info.quote.length);
      const part = (s: string): string => `${open}${s}${info.quote}`;
      const parts = [...(site.embedded.before ? [part(site.embedded.before)] : []), lookup, ...(site.embedded.after ? [part(site.embedded.after)] : [])];
      text = parts.join(" + ");
      if (!OPEN_PARENTS.has(site.literal.parent?.type ?? "")) text = `(${text})`;
    }
    const consequence = insideFunction(site.literal) ? "a KeyError where this line runs when it is unset" : "importing this module raises KeyError when it is unset";
    const description = site.embedded
      ? `Read the ${this.label(site)} in this string from the environment (${name})`
      : `Read ${name} from the environment instead of a hard-coded ${this.label(site)}`;
    this.push(site.literal, description, this.note(name, consequence), [{ start: site.literal.startIndex, end: site.literal.endIndex, text }], [this.entry(site, name)]);
  }

  /** `os.getenv("NAME", "…")` / `os.environ.get("NAME", "…")` → `os.environ["NAME"]`. */
  fallback(site: SecretSite): void {
    const call = site.call!;
    const name = this.nameFor(site);
    if (!name) return;
    const fn = call.childForFieldName("function")!;
    const isGet = fn.type === "attribute" && fn.childForFieldName("attribute")?.text === "get";
    const ref = isGet ? this.file.slice(fn.childForFieldName("object")!) : this.environ.ref;
    const text = `${ref}[${this.file.slice(site.nameArg!)}]`;
    const edits: Edit[] = [{ start: call.startIndex, end: call.endIndex, text }];
    const note = this.note(name, "a KeyError instead of the old fallback when it is unset");
    this.push(site.literal, `Drop the hard-coded ${this.label(site)} fallback of the ${name} lookup`, note, edits, [this.entry(site, name)], !isGet);
  }

  /** `def f(password="…")` → `def f(password=None)` and, first in the body, `if password is None: password = os.environ[...]`. */
  defaults(func: Node, sites: SecretSite[]): void {
    const file = this.file;
    const insertion = bodyInsertion(file, func);
    if ("problem" in insertion) return; // sites.ts reported it
    const { at, indent, lead } = insertion;
    const edits: Edit[] = [];
    const env: EnvEntry[] = [];
    const names: string[] = [];
    const checks: string[] = [];
    for (const site of sites) {
      const name = this.nameFor(site);
      if (!name) continue;
      const param = site.target!;
      edits.push({ start: site.literal.startIndex, end: site.literal.endIndex, text: "None" });
      const annotation = this.optionalAnnotation(site.param!);
      if (annotation) edits.push(annotation);
      checks.push(`${indent}if ${param} is None:${file.eol}${indent}${file.indentUnit}${param} = ${this.lookup(name, site.quote)}${file.eol}`);
      env.push(this.entry(site, name));
      names.push(`${param} (${name})`);
    }
    if (edits.length === 0) return;
    edits.push({ start: at, end: at, text: lead + checks.join("") });
    const first0 = sites.find((s) => env.some((e) => e.value === s.secret))!;
    const label = env.length === 1 ? this.label(first0) : "credentials";
    const description = `Default ${names.join(", ")} to None and read the ${label} from the environment at call time`;
    const consequence = "a KeyError at call time when it is unset and no value is passed; callers passing None explicitly now get the environment's value";
    const stale = sites.filter((s) => s.param?.type === "typed_default_parameter" && !edits.some((e) => e.start === s.param!.childForFieldName("type")?.startIndex));
    const annotations = stale.length ? ` Let the annotation of ${stale.map((s) => s.target).join(", ")} allow None.` : "";
    this.push(first0.literal, description, this.note(env.map((e) => e.name).join(", "), consequence) + annotations, edits, env);
  }

  /** `password: str = "…"` → `password: str | None = None` where the file can say so, else the annotation is left for the reviewer. */
  private optionalAnnotation(param: Node): Edit | undefined {
    if (param.type !== "typed_default_parameter") return undefined;
    const type = param.childForFieldName("type");
    if (!type || !/^[A-Za-z_][\w.]*$/.test(type.text) || type.text === "None") return undefined;
    if (/^(Optional|typing\.Optional)\b/.test(type.text)) return undefined;
    const bindings = importBindings(this.file);
    for (const [local, target] of bindings) {
      if (target === "typing.Optional") return { start: type.startIndex, end: type.endIndex, text: `${local}[${type.text}]` };
    }
    const future = this.file.root.namedChildren.some((s) => s?.type === "future_import_statement" && /\bannotations\b/.test(s.text));
    return future ? { start: type.startIndex, end: type.endIndex, text: `${type.text} | None` } : undefined;
  }

  /**
   * A needed `import os` goes with the first change that uses it: the runner may apply the
   * changes over several passes, and every pass re-runs this codemod, so the import always
   * lands with the first change applied. Suppressed changes are returned for the runner to
   * drop (so it knows the marker was used), never carrying the import.
   */
  finish(): void {
    const edit = this.environ.importEdit;
    if (!edit) return;
    let first = -1;
    this.changes.forEach((c, i) => {
      if (!this.usesOs[i] || this.suppressed[i]) return;
      const f = this.changes[first];
      if (!f || c.line < f.line || (c.line === f.line && c.column < f.column)) first = i;
    });
    if (first < 0) return;
    const target = this.changes[first]!;
    this.changes[first] = { ...target, edits: [...target.edits, edit] };
  }
}

export const secretsToEnv: Codemod = {
  id: ID,
  title: "Move hard-coded credentials to environment variables",
  what:
    "Replaces credential literals with `os.environ[...]` lookups: provider-shaped keys and tokens (Anthropic, OpenAI, AWS, GitHub, " +
    "Slack, Stripe, Google, Hugging Face, SendGrid, Twilio, GitLab, JWTs, PEM private keys, URLs with a password) wherever they " +
    "appear, and any literal assigned to, passed as, keyed by or defaulted for a password/secret/token/API-key name. Function " +
    "defaults become `None` and are read at call time; `os.getenv(\"NAME\", \"<secret>\")` loses its fallback. With `--write` the " +
    "values go to a git-ignored `.env` (mode 0600; option `env-file`) and the names to `.env.example`, and every moved value is " +
    "looked up in the git history (option `history`). No report ever prints a value.",
  why:
    "A credential in source is readable by everyone who can read the repository, its forks, clones, CI logs and backups, and " +
    "it stays in the git history after it is deleted. It cannot be rotated without a code change, and the same value tends to " +
    "be used in every environment.",
  safety: "review",
  safetyNote:
    "The program now needs each variable set: a module-level lookup raises KeyError at import time when it is missing. Provide " +
    "the values (the `.env` written by `--write`, python-dotenv, or a secret store) before deploying, and rotate every moved " +
    "credential: removing it from the code does not remove it from the history. Literals split over several strings, written " +
    "with escape sequences or in f-strings are reported, not changed.",
  example: {
    before: 'import os\n\nSMTP_PASSWORD = "hunter2-Mailer-2024"\n',
    after: 'import os\n\nSMTP_PASSWORD = os.environ["SMTP_PASSWORD"]\n',
  },
  peers: PEERS,
  references: [
    { title: "CWE-798: Use of Hard-coded Credentials", url: "https://cwe.mitre.org/data/definitions/798.html" },
    { title: "ruff S105 hardcoded-password-string", url: "https://docs.astral.sh/ruff/rules/hardcoded-password-string/" },
    { title: "gitleaks default rules (config/gitleaks.toml)", url: "https://github.com/gitleaks/gitleaks/blob/master/config/gitleaks.toml" },
    { title: "The Twelve-Factor App: III. Config", url: "https://12factor.net/config" },
  ],
  options: SECRETS_OPTIONS,
  mayApply(text) {
    return mayHoldSecret(text);
  },
  // Its literals, and the statements that bind them, are where its prefilter's scans find them.
  sites(text) {
    return secretSites(text);
  },
  produce(file: PythonFile, ctx: ProjectContext) {
    const scan = findSecretSites(file);
    // The runner drops suppressed changes itself (and so knows the marker was used); gitleaks' marker is ours to honour.
    const sites = scan.sites.filter((s) => !gitleaksAllowed(file, s.literal.startIndex));
    const problems = scan.problems.filter((p) => !suppressedAt(file, p.node.startIndex) && !gitleaksAllowed(file, p.node.startIndex));
    const notices: Notice[] = problems.map((p) => ({ codemod: ID, ...file.position(p.node.startIndex), message: p.message }));
    if (sites.length === 0) return { changes: [], notices };
    if (isTestPath(file.relPath) && !ctx.includeTests) {
      const live = sites.filter((s) => keepSite(file, s));
      if (live.length === 0) return { changes: [], notices };
      const first = file.position(live[0]!.literal.startIndex);
      const message = `test file: ${live.length} credential literal(s) left as they are (use --include-tests to move them too)`;
      return { changes: [], notices: [...notices, { codemod: ID, ...first, message }] };
    }
    const { envFile } = secretsSettings(ctx.options);
    const project = projectSecrets(ctx, keepSite, envFile);
    const book = project.book(file.relPath, sites.filter((s) => keepSite(file, s)).map((s) => siteClaim(file.relPath, s)));
    const out = new Builder(file, project, (s) => book.resolve({ value: s.secret, preferred: s.preferred, fixed: s.fixed }), envFile);
    const byFunction = new Map<number, { func: Node; sites: SecretSite[] }>();
    for (const site of sites) {
      if (site.kind === "default") {
        const group = byFunction.get(site.func!.startIndex) ?? { func: site.func!, sites: [] };
        group.sites.push(site);
        byFunction.set(site.func!.startIndex, group);
      } else if (site.kind === "getenv") {
        out.fallback(site);
      } else {
        out.value(site);
      }
    }
    for (const { func, sites: group } of byFunction.values()) {
      // One change per function (its checks share one insertion point); a suppressed parameter gets its own, for the runner to drop.
      const live = group.filter((s) => keepSite(file, s));
      if (live.length) out.defaults(func, live);
      for (const quiet of group.filter((s) => !keepSite(file, s))) out.defaults(func, [quiet]);
    }
    out.finish();
    return { changes: out.changes, notices: [...notices, ...out.notices] };
  },
};
