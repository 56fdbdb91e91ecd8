/**
 * init-exports: give an empty `__init__.py` of a published package an explicit public interface:
 * re-exports of its modules' public names, `__all__`, and `__version__` from the packaging metadata.
 */
import type { Node } from "web-tree-sitter";
import type { Change, Codemod, Notice, ProjectContext } from "../src/codemod.js";
import type { PythonFile } from "../src/python/file.js";
import {
  distributionOwns,
  isImportableName,
  isRegularPackage,
  joinPath,
  locatePackage,
  NON_LIBRARY_NAMES,
  parentDir,
  type PackageLocation,
} from "../src/python/packaging.js";
import { moduleInterface, naturalCompare, sortDunderAll, sortNames, syntaxProblem } from "../src/python/public-names.js";

const ID = "init-exports";

/** black's default line length: generated lines wrap as black would wrap them. */
const LINE_LENGTH = 88;

/** Fallback when the distribution is not installed (running from a source checkout). */
const UNKNOWN_VERSION = "0.0.0+unknown";

/** Placeholder for a version the build reads from this very file. */
const PLACEHOLDER_VERSION = "0.0.0";

/** Names a package's own interface defines; never taken from a module. */
const RESERVED = new Set(["__all__", "__version__", "__path__", "__getattr__", "__dir__"]);

const WHY_REVIEW = "review: eager submodule imports can cause import cycles or slow imports";

/** Comments and whitespace (a comment is taken whole, so the pattern never backtracks into one). */
const TRIVIA = String.raw`(?:\s|#[^\r\n]*(?![^\r\n]))*`;
/** A string literal a docstring may be made of (no f, b or t prefix). */
const PLAIN_STRING =
  String.raw`[rRuU]{0,2}(?:"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""|'''(?:[^'\\]|\\[\s\S]|'(?!''))*'''|"(?:[^"\\\r\n]|\\[\s\S])*"|'(?:[^'\\\r\n]|\\[\s\S])*')`;
/** The prefilter: whitespace and comments around at most one docstring, as emptyHeader accepts it. */
const EMPTYISH = new RegExp(String.raw`^\uFEFF?${TRIVIA}(?:${PLAIN_STRING}(?:(?:[ \t\f]|\\(?:\r\n|\n|\r))*${PLAIN_STRING})*)?${TRIVIA}$`);

const isInitFile = (relPath: string): boolean => relPath === "__init__.py" || relPath.endsWith("/__init__.py");

interface Header {
  /** Where the kept header (comments, docstring) ends; the rest of the file is whitespace. */
  readonly end: number;
  readonly hasDocstring: boolean;
}

function isDocstring(node: Node): boolean {
  if (node.type !== "expression_statement" || node.namedChildCount !== 1) return false;
  const s = node.namedChild(0)!;
  if (s.type === "concatenated_string") return s.namedChildren.every((c) => c?.type === "string" && !/^[a-zA-Z]*[fFbBtT]/.test(c.text));
  return s.type === "string" && !/^[a-zA-Z]*[fFbBtT]/.test(s.text);
}

/** The header of a file that holds only whitespace, comments and a docstring; undefined otherwise. */
function emptyHeader(file: PythonFile): Header | undefined {
  let end = 0;
  let hasDocstring = false;
  for (const node of file.root.namedChildren) {
    if (!node) continue;
    if (node.type === "comment") end = node.endIndex;
    else if (!hasDocstring && isDocstring(node)) {
      hasDocstring = true;
      end = node.endIndex;
    } else return undefined;
  }
  if (/\S/.test(file.text.slice(end))) return undefined;
  // A comment node of a CRLF file may end with its "\r": keep the line ending out of the header.
  while (end > 0 && /[ \t\r\f]/.test(file.text[end - 1]!)) end--;
  return { end, hasDocstring };
}

function isTestModule(name: string): boolean {
  return NON_LIBRARY_NAMES.has(name) || name === "conftest" || name === "setup" || /^test_|_tests?$/.test(name);
}

/** A Python string literal, double-quoted as black writes it. */
function pyString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r")}"`;
}

/** `from <module> import a, b`, exploded one name a line (with a trailing comma) when too long, as black does. */
function fromImport(module: string, names: readonly string[], eol: string): string {
  const line = `from ${module} import ${names.join(", ")}`;
  if (line.length <= LINE_LENGTH) return line;
  return [`from ${module} import (`, ...names.map((n) => `    ${n},`), ")"].join(eol);
}

function allList(names: readonly string[], eol: string): string {
  const items = names.map(pyString);
  const line = `__all__ = [${items.join(", ")}]`;
  if (line.length <= LINE_LENGTH) return line;
  return ["__all__ = [", ...items.map((i) => `    ${i},`), "]"].join(eol);
}

/** A relative module path ("" for the package itself) in isort's order for `from .x import` lines. */
function compareModules(a: string, b: string): number {
  if (a === b) return 0;
  if (a === "") return -1;
  if (b === "") return 1;
  return naturalCompare(a.toLowerCase(), b.toLowerCase()) || naturalCompare(a, b);
}

interface ImportLine {
  /** Relative to the package: "" for `from . import`, "client" for `from .client import`. */
  readonly module: string;
  readonly names: string[];
}

class Plan {
  readonly notices: Notice[] = [];
  readonly imports = new Map<string, ImportLine>();
  readonly exported = new Map<string, string>();
  readonly reviewNotes: string[] = [];
  readonly cycleRisks: string[] = [];
  /** Subpackages imported as `from . import sub`. */
  readonly subpackages: string[] = [];
  versionImport: ImportLine | undefined;
  versionLines: string[] = [];
  needsMetadataImport = false;

  notice(message: string): void {
    this.notices.push({ codemod: ID, line: 1, column: 1, message });
  }

  add(module: string, name: string): void {
    const line = this.imports.get(module) ?? { module, names: [] };
    line.names.push(name);
    this.imports.set(module, line);
  }
}

/** Sibling modules and subpackages, re-exported in name order: the first exporter of a name wins. */
function collectExports(plan: Plan, ctx: ProjectContext, pkg: PackageLocation): void {
  const entries = ctx.listDir(pkg.dir) ?? [];
  const siblings = new Set(entries.map((e) => e.replace(/\/$/, "").replace(/\.py$/, "")));
  const candidates = entries
    .map((e) => ({ entry: e, name: e.replace(/\/$/, "").replace(/\.py$/, ""), isDir: e.endsWith("/") }))
    .filter(({ entry, name, isDir }) => (isDir || (entry.endsWith(".py") && entry !== "__init__.py")) && !name.startsWith("_"))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  for (const { entry, name, isDir } of candidates) {
    if (!isImportableName(name) || isTestModule(name)) continue;
    const rel = joinPath(pkg.dir, entry);
    const dotted = `${pkg.dotted}.${name}`;
    if (isDir) {
      if (!isRegularPackage(ctx, rel)) continue;
      if (!distributionOwns(pkg.dist, dotted)) {
        plan.notice(`subpackage .${name} not imported: distribution ${pkg.dist.name} does not ship ${dotted}`);
        continue;
      }
      const init = ctx.readText(joinPath(rel, "__init__.py"));
      const problem = init === undefined ? "its __init__.py cannot be read" : syntaxProblem(init);
      if (problem) {
        plan.notice(`subpackage .${name} left out: ${problem}`);
        continue;
      }
      if (claim(plan, name, "", `.${name}`)) plan.subpackages.push(name);
      continue;
    }
    const text = ctx.readText(rel);
    if (text === undefined) {
      plan.notice(`module .${name} left out: it cannot be read as UTF-8 text`);
      continue;
    }
    const iface = moduleInterface(text, pkg.dotted);
    if (!iface.ok) {
      plan.notice(`module .${name} left out: ${iface.reason}`);
      continue;
    }
    if (iface.packageImports.length && iface.names.length) {
      plan.cycleRisks.push(`.${name} (line ${iface.packageImports.join(", ")})`);
    }
    for (const exported of iface.names) {
      if (RESERVED.has(exported)) continue;
      if (siblings.has(exported)) {
        plan.notice(`${exported} from .${name} not re-exported: it would hide the submodule ${pkg.dotted}.${exported}`);
        continue;
      }
      claim(plan, exported, name, `.${name}`);
    }
  }
}

/** Export `name` from `where` unless an earlier module already does; true when it was taken. */
function claim(plan: Plan, name: string, module: string, where: string): boolean {
  const first = plan.exported.get(name);
  if (first !== undefined) {
    plan.notice(`${name} from ${where} not re-exported (review): ${first} already exports it`);
    plan.reviewNotes.push(`Both ${first} and ${where} export ${name}: the one from ${first} is kept.`);
    return false;
  }
  plan.exported.set(name, where);
  plan.add(module, name);
  return true;
}

interface VersionPlan {
  /** For the description: what is written. */
  readonly summary: string;
  /** Why a person should look at it, when nothing else in the change needs review. */
  readonly why: string;
}

/** How `__version__` is written, from where the distribution's version comes from. */
function planVersion(plan: Plan, pkg: PackageLocation): VersionPlan {
  const v = pkg.dist.version;
  if (v.kind === "static") {
    plan.versionLines = [`__version__ = ${pyString(v.value)}`];
    plan.reviewNotes.push(`__version__ repeats the version in ${v.from}: change both together (or read it with importlib.metadata).`);
    return { summary: `__version__ ${v.value}`, why: `__version__ repeats the version in ${v.from}` };
  }
  if (v.kind === "attribute" && v.module === pkg.dotted) {
    // The build reads an attribute of this very file, which is empty today: write a placeholder it can read.
    plan.versionLines =
      v.attribute === "__version__" || !isImportableName(v.attribute)
        ? [`__version__ = ${pyString(PLACEHOLDER_VERSION)}`]
        : [`${v.attribute} = ${pyString(PLACEHOLDER_VERSION)}`, `__version__ = ${v.attribute}`];
    plan.reviewNotes.push(`The build reads the version from ${pkg.dotted}.${v.attribute} (${v.from}): replace the placeholder ${PLACEHOLDER_VERSION} with the real version.`);
    return { summary: `placeholder __version__ ${PLACEHOLDER_VERSION}`, why: "the build reads the version from this file: set the real one" };
  }
  if (v.kind === "attribute" && v.module.startsWith(`${pkg.dotted}.`)) {
    const sub = v.module.slice(pkg.dotted.length + 1);
    if (sub.includes(".")) {
      plan.versionImport = { module: sub, names: [`${v.attribute} as __version__`] };
    } else {
      // `from . import _version` + an assignment: nothing unused for linters, nothing new in the namespace.
      plan.versionImport = { module: "", names: [sub] };
      plan.versionLines = [`__version__ = ${sub}.${v.attribute}`];
    }
    return { summary: `__version__ from .${sub}`, why: `importing ${pkg.dotted} now imports .${sub}` };
  }
  plan.needsMetadataImport = true;
  plan.versionLines = [
    "try:",
    `    __version__ = importlib.metadata.version(${pyString(pkg.dist.name)})`,
    "except importlib.metadata.PackageNotFoundError:  # not installed: a source checkout",
    `    __version__ = ${pyString(UNKNOWN_VERSION)}`,
  ];
  return { summary: "__version__ from the installed distribution's metadata", why: `a source checkout that is not installed reports ${UNKNOWN_VERSION}` };
}

function render(plan: Plan, header: Header, file: PythonFile, pkg: PackageLocation): string {
  const eol = file.eol;
  const blocks: string[] = [];
  if (plan.needsMetadataImport) blocks.push("import importlib.metadata");
  const lines = [...plan.imports.values()];
  const vi = plan.versionImport;
  if (vi) {
    const same = lines.find((l) => l.module === vi.module && !vi.names[0]!.includes(" as "));
    if (same) same.names.push(...vi.names.filter((n) => !same.names.includes(n)));
    else lines.push(vi);
  }
  const relative = lines
    .sort((a, b) => compareModules(a.module, b.module) || (a.names[0]!.includes(" as ") ? 1 : -1))
    .map((l) => fromImport(`.${l.module}`, sortNames(l.names), eol));
  if (relative.length) blocks.push(relative.join(eol));
  if (plan.exported.size) blocks.push(allList(sortDunderAll(plan.exported.keys()), eol));
  if (plan.versionLines.length) blocks.push(plan.versionLines.join(eol));
  const body = blocks.join(eol + eol) + eol;
  const docstring = `"""Public API of the ${pkg.dotted} package."""`;
  if (header.end === 0) return docstring + eol + eol + body;
  if (header.hasDocstring) return eol + eol + body;
  return eol + docstring + eol + eol + body;
}

export const initExports: Codemod = {
  id: ID,
  title: "Fill empty package `__init__.py` files with an explicit public API",
  what:
    "Fills an `__init__.py` that holds only whitespace, comments or a docstring, in a package shipped by a distribution " +
    "(`pyproject.toml`, `setup.py` or `setup.cfg`), with `from .module import ...` re-exports of each public sibling module's " +
    "public names (its literal `__all__`, else its public top-level classes and functions), `from . import sub` for subpackages, " +
    "a sorted `__all__`, and (in the top-level package) `__version__` taken from the packaging metadata. Tests, docs, scripts and " +
    "migrations packages, namespace packages and applications without packaging metadata are left alone, with the reason.",
  why:
    "An empty `__init__.py` in a published library means `from pkg import Client` fails, users reach into private module paths " +
    "that then cannot be moved, `from pkg import *` exports nothing, and `pkg.__version__` does not exist.",
  safety: "review",
  safetyNote:
    "Importing the package now imports every re-exported submodule eagerly: this can create import cycles (a submodule that " +
    "imports from the package itself) and makes `import pkg` pay for every submodule and its dependencies. A static " +
    "`__version__` repeats the metadata's version; a placeholder `0.0.0` is written when the build reads the version from " +
    "this file. Check that `python -c \"import pkg\"` still works (`fix --verify` does it for you).",
  example: {
    before: "",
    after:
      '"""Public API of the geodata package."""\n\nfrom . import formats\nfrom .client import GeoClient, fetch\nfrom .models import BoundingBox, Point\n\n' +
      '__all__ = ["BoundingBox", "GeoClient", "Point", "fetch", "formats"]\n\n__version__ = "1.4.2"\n',
  },
  peers: [],
  references: [
    { title: "Python tutorial: Importing * from a package (__all__)", url: "https://docs.python.org/3/tutorial/modules.html#importing-from-a-package" },
    { title: "PEP 396: Module version numbers", url: "https://peps.python.org/pep-0396/" },
    { title: "importlib.metadata.version", url: "https://docs.python.org/3/library/importlib.metadata.html#distribution-versions" },
    { title: "Python Packaging User Guide: Single-sourcing the package version", url: "https://packaging.python.org/en/latest/discussions/single-source-version/" },
  ],
  mayApply(text, relPath) {
    return isInitFile(relPath) && EMPTYISH.test(text);
  },
  produce(file, ctx) {
    // A package's own __init__.py only: the prefilter says so too, but produce must not rely on it.
    if (!isInitFile(file.relPath)) return { changes: [] };
    const header = emptyHeader(file);
    if (!header) return { changes: [] };
    const plan = new Plan();
    const dir = parentDir(file.relPath);
    if (dir === "") {
      plan.notice("not filled: this __init__.py sits at the root of the scan; run on the project that contains the package");
      return { changes: [], notices: plan.notices };
    }
    const located = locatePackage(ctx, dir);
    if (!located.ok) {
      plan.notice(`not filled: ${located.reason}`);
      return { changes: [], notices: plan.notices };
    }
    const pkg = located.pkg;
    collectExports(plan, ctx, pkg);
    const isTop = !pkg.dotted.includes(".");
    const version = isTop ? planVersion(plan, pkg) : undefined;
    if (plan.exported.size === 0 && !version) {
      plan.notice(`not filled: ${pkg.dotted} has no public modules or subpackages to re-export`);
      return { changes: [], notices: plan.notices };
    }

    const modules = [...new Set([...plan.exported.values()])];
    const subs = plan.subpackages;
    const sources = [...new Set([...plan.exported].filter(([name]) => !subs.includes(name)).map(([, where]) => where))];
    const n = plan.exported.size - subs.length;
    const what = [
      n ? `re-export ${n} name${n === 1 ? "" : "s"} from ${sources.join(", ")}` : "",
      subs.length ? `import subpackage${subs.length === 1 ? "" : "s"} ${subs.map((x) => `.${x}`).join(", ")}` : "",
      plan.exported.size ? "__all__" : "",
      version?.summary ?? "",
    ];
    const why = modules.length ? WHY_REVIEW : `review: ${version!.why}`;
    const description = `Give ${pkg.dotted} an explicit public API: ${what.filter(Boolean).join("; ")} (${why})`;
    const notes = [
      modules.length
        ? `Importing ${pkg.dotted} now imports ${modules.join(", ")} eagerly: check for import cycles and for slow or heavy imports (and their dependencies).`
        : "",
      plan.cycleRisks.length ? `These modules import from the package itself, a likely import cycle: ${plan.cycleRisks.join("; ")}.` : "",
      ...plan.reviewNotes,
    ].filter(Boolean);
    const text = render(plan, header, file, pkg);
    const change: Change = {
      codemod: ID,
      line: 1,
      column: 1,
      safety: "review",
      description,
      note: notes.join(" "),
      edits: [{ start: header.end, end: file.text.length, text }],
    };
    return { changes: [change], notices: plan.notices };
  },
};
