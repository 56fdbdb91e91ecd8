/**
 * Which distribution a Python package belongs to, read from packaging metadata without running
 * anything: pyproject.toml (`[project]`, setuptools / hatch / poetry / flit / pdm settings),
 * setup.cfg (ini) and the literals of setup.py's `setup(...)` call (read with tree-sitter).
 *
 * All reads go through a ProjectReader (ProjectContext's readText/listDir), so callers stay pure.
 * Paths are relative to the reader's root, with `/`; "" is the root itself.
 */
import type { Node } from "web-tree-sitter";
import { parse as parseToml } from "smol-toml";
import { parsePython } from "./parser.js";
import { stringValue } from "./strings.js";

export interface ProjectReader {
  readText(relPath: string): string | undefined;
  listDir(relPath: string): string[] | undefined;
}

/** Where the distribution's version comes from. */
export type VersionSource =
  /** A literal in the metadata: `[project].version`, `setup(version="...")`, setup.cfg, poetry. */
  | { readonly kind: "static"; readonly value: string; readonly from: string }
  /** Read from a module attribute at build time: setuptools `attr:`, hatch/pdm `path`, flit. */
  | { readonly kind: "attribute"; readonly module: string; readonly attribute: string; readonly from: string }
  /** Computed at build time some other way (VCS tags, a file, an expression), or not found. */
  | { readonly kind: "dynamic"; readonly from: string };

/** Which packages the distribution ships. Package names are dotted. */
export type PackageSelection =
  /** Listed one by one; `recursive` when a listed package brings its subpackages (hatch, poetry, flit). */
  | { readonly kind: "explicit"; readonly packages: readonly string[]; readonly recursive: boolean }
  /** setuptools find: fnmatch patterns over dotted names. */
  | { readonly kind: "find"; readonly include: readonly string[]; readonly exclude: readonly string[] }
  /** setuptools automatic discovery (src layout, or flat layout minus the usual non-package folders). */
  | { readonly kind: "auto"; readonly flat: boolean };

export interface Distribution {
  readonly name: string;
  /** The directory holding the metadata files. */
  readonly projectDir: string;
  /** The metadata files that were read, e.g. ["geodata/pyproject.toml"]. */
  readonly files: readonly string[];
  /** setuptools, hatch, poetry, flit, pdm, or the build-backend string as written. */
  readonly backend: string;
  readonly version: VersionSource;
  /** Directories whose children are the top-level packages (the import roots). */
  readonly sourceRoots: readonly string[];
  readonly selection: PackageSelection;
}

export interface PackageLocation {
  /** The package directory. */
  readonly dir: string;
  /** Its import name, e.g. "geodata.formats". */
  readonly dotted: string;
  /** The directory `python -c "import <top>"` must run from (the parent of the top-level package). */
  readonly importRoot: string;
  readonly dist: Distribution;
}

export type Located = { readonly ok: true; readonly pkg: PackageLocation } | { readonly ok: false; readonly reason: string };

/** Package names that are never part of a library's public interface. */
export const NON_LIBRARY_NAMES: ReadonlySet<string> = new Set(["tests", "test", "migrations", "docs", "examples", "scripts"]);

/** setuptools' FlatLayoutPackageFinder.DEFAULT_EXCLUDE: folders auto-discovery never takes for packages. */
const FLAT_LAYOUT_EXCLUDE = new Set([
  "ci", "bin", "debian", "doc", "docs", "documentation", "manpages", "news", "newsfragments", "changelog", "test", "tests",
  "unit_test", "unit_tests", "example", "examples", "scripts", "tools", "util", "utils", "python", "build", "dist", "venv",
  "env", "requirements", "tasks", "fabfile", "site_scons", "benchmark", "benchmarks", "exercise", "exercises", "htmlcov",
]);

const PYTHON_KEYWORDS = new Set([
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else",
  "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
  "return", "try", "while", "with", "yield",
]);

/** A name `import` accepts: an identifier that is not a keyword. */
export function isImportableName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !PYTHON_KEYWORDS.has(name);
}

// ---------------------------------------------------------------------------------------------
// Paths

export function joinPath(dir: string, name: string): string {
  const clean = name.replace(/\/+$/, "");
  return dir ? (clean ? `${dir}/${clean}` : dir) : clean;
}

export function parentDir(dir: string): string {
  const i = dir.lastIndexOf("/");
  return i < 0 ? "" : dir.slice(0, i);
}

/** `./src/` → `src`, `.` → ``; undefined for paths that leave the project (`..`, absolute). */
function normalizeRel(p: string): string | undefined {
  const parts: string[] = [];
  for (const part of p.replace(/\\/g, "/").split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") return undefined;
    parts.push(part);
  }
  if (p.startsWith("/")) return undefined;
  return parts.join("/");
}

function isUnder(dir: string, root: string): boolean {
  return root === "" ? dir !== "" : dir.startsWith(`${root}/`);
}

function hasEntry(reader: ProjectReader, dir: string, entry: string): boolean {
  return reader.listDir(dir)?.includes(entry) ?? false;
}

/** True when `dir` holds an `__init__.py`: a regular package. */
export function isRegularPackage(reader: ProjectReader, dir: string): boolean {
  return hasEntry(reader, dir, "__init__.py");
}

/** Normalized project name as build backends use it for the default module name. */
function moduleNameOf(project: string): string {
  return project.toLowerCase().replace(/[-_.]+/g, "_");
}

/** fnmatch.fnmatchcase, as setuptools applies include/exclude patterns to dotted names. */
function fnmatch(name: string, pattern: string): boolean {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        let body = pattern.slice(i + 1, end).replace(/\\/g, "\\\\");
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "s").test(name);
}

// ---------------------------------------------------------------------------------------------
// setup.cfg (configparser semantics: `key = value` / `key: value`, indented continuation lines)

type Ini = Map<string, Map<string, string>>;

export function parseIni(text: string): Ini {
  const sections: Ini = new Map();
  let section: Map<string, string> | undefined;
  let key: string | undefined;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    if (/^\s*[#;]/.test(raw)) continue;
    if (raw.trim() === "") continue;
    const header = /^\[([^\]]+)\]/.exec(raw);
    if (header) {
      const name = header[1]!.trim();
      section = sections.get(name) ?? new Map();
      sections.set(name, section);
      key = undefined;
      continue;
    }
    if (/^\s/.test(raw)) {
      if (section && key !== undefined) section.set(key, `${section.get(key)}\n${raw.trim()}`);
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(raw);
    if (kv && section) {
      key = kv[1]!.trim().toLowerCase();
      section.set(key, kv[2]!.trim());
    }
  }
  return sections;
}

/** A setup.cfg list: one item a line, or comma-separated. */
function iniList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(/[\n,]/).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** setup.cfg `package_dir = =src` (or one mapping a line): the root mapping "". */
function iniPackageDir(value: string | undefined): string | undefined {
  for (const item of iniList(value)) {
    const m = /^([^=]*)=(.*)$/.exec(item);
    if (m && m[1]!.trim() === "") return m[2]!.trim();
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// setup.py: the literal keyword arguments of setup(...), never executed

interface SetupFind {
  readonly where?: string;
  readonly include: string[];
  readonly exclude: string[];
}

interface SetupPy {
  name?: string;
  /** A literal, the import a `version=` identifier came from, or "expression". */
  version?: { literal: string } | { module: string; attribute: string } | "expression";
  packages?: string[] | SetupFind;
  packageRoot?: string;
}

function literalStrings(node: Node | null, text: string, consts: Map<string, string>): string[] | undefined {
  if (!node) return undefined;
  if (node.type !== "list" && node.type !== "tuple") return undefined;
  const out: string[] = [];
  for (const item of node.namedChildren) {
    if (!item || item.type === "comment") continue;
    const v = literalString(item, text, consts);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

function literalString(node: Node | null, text: string, consts: Map<string, string>): string | undefined {
  if (!node) return undefined;
  if (node.type === "identifier") return consts.get(node.text);
  return stringValue(node, text);
}

function callName(call: Node): string | undefined {
  const fn = call.childForFieldName("function");
  if (fn?.type === "identifier") return fn.text;
  if (fn?.type === "attribute") return fn.childForFieldName("attribute")?.text;
  return undefined;
}

function readSetupPy(text: string): SetupPy | undefined {
  const tree = parsePython(text);
  try {
    const root = tree.rootNode;
    const consts = new Map<string, string>();
    const imported = new Map<string, { module: string; attribute: string }>();
    for (const stmt of root.namedChildren) {
      if (!stmt) continue;
      if (stmt.type === "expression_statement" && stmt.namedChild(0)?.type === "assignment") {
        const a = stmt.namedChild(0)!;
        const left = a.childForFieldName("left");
        const right = a.childForFieldName("right");
        const v = right ? stringValue(right, text) : undefined;
        if (left?.type === "identifier" && v !== undefined) consts.set(left.text, v);
      } else if (stmt.type === "import_from_statement") {
        const mod = stmt.childForFieldName("module_name");
        if (!mod || mod.type !== "dotted_name") continue;
        for (const item of stmt.childrenForFieldName("name")) {
          if (!item) continue;
          const name = item.type === "aliased_import" ? item.childForFieldName("name")?.text : item.text;
          const local = item.type === "aliased_import" ? item.childForFieldName("alias")?.text : item.text;
          if (name && local) imported.set(local, { module: mod.text, attribute: name });
        }
      }
    }
    const setupCall = root.descendantsOfType("call").find((c) => c && callName(c) === "setup");
    if (!setupCall) return undefined;
    const out: SetupPy = {};
    for (const arg of setupCall.childForFieldName("arguments")?.namedChildren ?? []) {
      if (!arg || arg.type !== "keyword_argument") continue;
      const key = arg.childForFieldName("name")?.text;
      const value = arg.childForFieldName("value");
      if (!value) continue;
      if (key === "name") out.name = literalString(value, text, consts);
      else if (key === "version") {
        const literal = literalString(value, text, consts);
        if (literal !== undefined) out.version = { literal };
        else if (value.type === "identifier" && imported.has(value.text)) out.version = imported.get(value.text)!;
        else out.version = "expression";
      } else if (key === "packages") {
        const list = literalStrings(value, text, consts);
        if (list) out.packages = list;
        else if (value.type === "call" && /^find_(namespace_)?packages$/.test(callName(value) ?? "")) out.packages = readFindCall(value, text, consts);
      } else if (key === "package_dir" && value.type === "dictionary") {
        for (const pair of value.namedChildren) {
          if (pair?.type !== "pair") continue;
          if (literalString(pair.childForFieldName("key"), text, consts) === "") {
            out.packageRoot = literalString(pair.childForFieldName("value"), text, consts);
          }
        }
      }
    }
    return out;
  } finally {
    tree.delete();
  }
}

function readFindCall(call: Node, text: string, consts: Map<string, string>): SetupFind {
  const positional = ["where", "exclude", "include"];
  let where: string | undefined;
  let include = ["*"];
  let exclude: string[] = [];
  let i = 0;
  for (const arg of call.childForFieldName("arguments")?.namedChildren ?? []) {
    if (!arg || arg.type === "comment") continue;
    const key = arg.type === "keyword_argument" ? arg.childForFieldName("name")?.text : positional[i++];
    const value = arg.type === "keyword_argument" ? arg.childForFieldName("value") : arg;
    if (key === "where") where = literalString(value, text, consts);
    else if (key === "exclude") exclude = literalStrings(value, text, consts) ?? exclude;
    else if (key === "include") include = literalStrings(value, text, consts) ?? include;
  }
  return { ...(where !== undefined ? { where } : {}), include, exclude };
}

// ---------------------------------------------------------------------------------------------
// Reading one directory's metadata

type Table = Record<string, unknown>;

function table(v: unknown): Table | undefined {
  return v && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date) ? (v as Table) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function strList(v: unknown): string[] | undefined {
  if (typeof v === "string") return [v];
  return Array.isArray(v) && v.every((x) => typeof x === "string") ? (v as string[]) : undefined;
}

function backendOf(pyproject: Table | undefined): string {
  const backend = str(table(pyproject?.["build-system"])?.["build-backend"]);
  if (!backend) return table(table(pyproject?.tool)?.poetry) && !table(pyproject?.project) ? "poetry" : "setuptools";
  if (backend.startsWith("setuptools")) return "setuptools";
  if (backend.startsWith("hatchling")) return "hatch";
  if (backend.startsWith("poetry")) return "poetry";
  if (backend.startsWith("flit")) return "flit";
  if (backend.startsWith("pdm")) return "pdm";
  return backend;
}

/** `pkg.mod.attr` → module pkg.mod, attribute attr. */
function splitAttr(spec: string, from: string): VersionSource {
  const s = spec.trim();
  const i = s.lastIndexOf(".");
  if (i <= 0) return { kind: "dynamic", from };
  return { kind: "attribute", module: s.slice(0, i), attribute: s.slice(i + 1), from };
}

interface DirMetadata {
  readonly dist?: Distribution;
  readonly error?: string;
}

/** The distribution whose metadata lives in `dir`, if any. */
export function readDistribution(reader: ProjectReader, dir: string): DirMetadata {
  const entries = reader.listDir(dir) ?? [];
  const files: string[] = [];
  let pyproject: Table | undefined;
  if (entries.includes("pyproject.toml")) {
    const text = reader.readText(joinPath(dir, "pyproject.toml"));
    if (text !== undefined) {
      try {
        pyproject = parseToml(text) as Table;
      } catch (err) {
        const first = String((err as Error).message).split("\n")[0];
        return { error: `${joinPath(dir, "pyproject.toml")} is not valid TOML (${first})` };
      }
    }
  }
  let cfg: Ini | undefined;
  if (entries.includes("setup.cfg")) {
    const text = reader.readText(joinPath(dir, "setup.cfg"));
    if (text !== undefined) cfg = parseIni(text);
  }
  let setupPy: SetupPy | undefined;
  if (entries.includes("setup.py")) {
    const text = reader.readText(joinPath(dir, "setup.py"));
    if (text !== undefined) setupPy = readSetupPy(text);
  }

  const project = table(pyproject?.project);
  const tool = table(pyproject?.tool);
  const poetry = table(tool?.poetry);
  const metadata = cfg?.get("metadata");
  const options = cfg?.get("options");

  const name = str(project?.name) ?? str(poetry?.name) ?? setupPy?.name ?? metadata?.get("name");
  if (!name) return {};
  if (pyproject && (project?.name !== undefined || poetry?.name !== undefined)) files.push(joinPath(dir, "pyproject.toml"));
  if (setupPy?.name !== undefined || setupPy?.version !== undefined) files.push(joinPath(dir, "setup.py"));
  if (metadata?.has("name") || metadata?.has("version")) files.push(joinPath(dir, "setup.cfg"));
  if (files.length === 0 && pyproject) files.push(joinPath(dir, "pyproject.toml"));

  const backend = backendOf(pyproject);
  const layout = packageLayout(reader, dir, backend, name, tool, poetry, options, cfg, setupPy);
  const version = versionSource(reader, dir, backend, name, project, tool, poetry, metadata, setupPy, layout);
  return { dist: { name, projectDir: dir, files, backend, version, ...layout } };
}

interface Layout {
  readonly sourceRoots: string[];
  readonly selection: PackageSelection;
}

function rootsFor(dir: string, wheres: readonly string[]): string[] {
  const out: string[] = [];
  for (const w of wheres) {
    const n = normalizeRel(w);
    if (n !== undefined) out.push(joinPath(dir, n));
  }
  return out;
}

/** Where a default-named package lives: `src/<name>` or `<name>`, as hatch, poetry and flit look. */
function defaultModuleRoots(reader: ProjectReader, dir: string, module: string): string[] {
  const roots = [joinPath(dir, "src"), dir].filter((r) => isRegularPackage(reader, joinPath(r, module)) || hasEntry(reader, r, `${module}/`));
  return roots.length ? roots : [dir];
}

function packageLayout(
  reader: ProjectReader,
  dir: string,
  backend: string,
  name: string,
  tool: Table | undefined,
  poetry: Table | undefined,
  options: Map<string, string> | undefined,
  cfg: Ini | undefined,
  setupPy: SetupPy | undefined,
): Layout {
  const module = moduleNameOf(name);
  if (backend === "hatch") {
    const hatchBuild = table(table(tool?.hatch)?.build);
    const packages = strList(table(table(hatchBuild?.targets)?.wheel)?.packages) ?? strList(hatchBuild?.packages);
    if (packages) {
      const paths = packages.map(normalizeRel).filter((p): p is string => !!p);
      return {
        sourceRoots: [...new Set(paths.map((p) => joinPath(dir, parentDir(p))))],
        selection: { kind: "explicit", packages: paths.map((p) => p.split("/").pop()!), recursive: true },
      };
    }
    return { sourceRoots: defaultModuleRoots(reader, dir, module), selection: { kind: "explicit", packages: [module], recursive: true } };
  }
  if (backend === "poetry") {
    const list = Array.isArray(poetry?.packages) ? (poetry!.packages as unknown[]).map(table).filter((t): t is Table => !!t) : undefined;
    if (list?.length) {
      const roots = new Set<string>();
      const packages: string[] = [];
      for (const entry of list) {
        const include = normalizeRel(str(entry.include) ?? "");
        if (!include || /[*?[]/.test(include)) continue;
        roots.add(joinPath(dir, normalizeRel(str(entry.from) ?? "") ?? ""));
        packages.push(include.replace(/\.py$/, "").split("/").join("."));
      }
      return { sourceRoots: [...roots], selection: { kind: "explicit", packages, recursive: true } };
    }
    return { sourceRoots: defaultModuleRoots(reader, dir, module), selection: { kind: "explicit", packages: [module], recursive: true } };
  }
  if (backend === "flit") {
    const flitModule = str(table(table(tool?.flit)?.module)?.name) ?? module;
    const top = flitModule.split(".")[0]!;
    return { sourceRoots: defaultModuleRoots(reader, dir, top), selection: { kind: "explicit", packages: [flitModule], recursive: true } };
  }
  if (backend === "pdm") {
    const packageDir = str(table(table(tool?.pdm)?.build)?.["package-dir"]);
    const root = packageDir !== undefined ? rootsFor(dir, [packageDir]) : hasEntry(reader, dir, "src/") ? [joinPath(dir, "src")] : [dir];
    return { sourceRoots: root, selection: { kind: "auto", flat: root[0] === dir } };
  }

  // setuptools (also the legacy default): pyproject [tool.setuptools] wins over setup.py, which wins over setup.cfg.
  const st = table(tool?.setuptools);
  const packageRoot = str(table(st?.["package-dir"])?.[""]) ?? setupPy?.packageRoot ?? iniPackageDir(options?.get("package_dir"));
  const rootDirs = packageRoot !== undefined ? rootsFor(dir, [packageRoot]) : [dir];
  const stPackages = st?.packages;
  const explicit = strList(stPackages);
  if (explicit) return { sourceRoots: rootDirs, selection: { kind: "explicit", packages: explicit, recursive: false } };
  const find = table(table(stPackages)?.find);
  if (find) {
    const where = strList(find.where);
    return {
      sourceRoots: where ? rootsFor(dir, where) : rootDirs,
      selection: { kind: "find", include: strList(find.include) ?? ["*"], exclude: strList(find.exclude) ?? [] },
    };
  }
  if (setupPy?.packages) {
    const p = setupPy.packages;
    if (Array.isArray(p)) return { sourceRoots: rootDirs, selection: { kind: "explicit", packages: p, recursive: false } };
    return {
      sourceRoots: p.where !== undefined ? rootsFor(dir, [p.where]) : rootDirs,
      selection: { kind: "find", include: p.include, exclude: p.exclude },
    };
  }
  const cfgPackages = options?.get("packages");
  if (cfgPackages !== undefined) {
    if (/^find(_namespace)?:$/.test(cfgPackages.trim())) {
      const findCfg = cfg?.get("options.packages.find");
      const where = findCfg?.get("where");
      return {
        sourceRoots: where !== undefined ? rootsFor(dir, [where.trim()]) : rootDirs,
        selection: {
          kind: "find",
          include: findCfg?.has("include") ? iniList(findCfg.get("include")) : ["*"],
          exclude: iniList(findCfg?.get("exclude")),
        },
      };
    }
    return { sourceRoots: rootDirs, selection: { kind: "explicit", packages: iniList(cfgPackages), recursive: false } };
  }
  // Automatic discovery: src layout when the root mapping or a src/ folder says so, else flat layout.
  if (packageRoot !== undefined) return { sourceRoots: rootDirs, selection: { kind: "auto", flat: false } };
  if (hasEntry(reader, dir, "src/")) return { sourceRoots: [joinPath(dir, "src")], selection: { kind: "auto", flat: false } };
  return { sourceRoots: [dir], selection: { kind: "auto", flat: true } };
}

/** hatch/pdm `path = "src/pkg/__about__.py"` → the module it names and the attribute the backend reads. */
function versionFromPath(reader: ProjectReader, dir: string, path: string, roots: readonly string[], from: string): VersionSource {
  const rel = normalizeRel(path);
  if (!rel || !rel.endsWith(".py")) return { kind: "dynamic", from };
  const full = joinPath(dir, rel);
  const root = [...roots].sort((a, b) => b.length - a.length).find((r) => isUnder(full, r));
  if (root === undefined) return { kind: "dynamic", from };
  const module = (root ? full.slice(root.length + 1) : full).replace(/\.py$/, "").replace(/\/__init__$/, "").split("/").join(".");
  const text = reader.readText(full) ?? "";
  const attribute = !/^__version__\s*[:=]/m.test(text) && /^VERSION\s*[:=]/m.test(text) ? "VERSION" : "__version__";
  return { kind: "attribute", module, attribute, from };
}

function versionSource(
  reader: ProjectReader,
  dir: string,
  backend: string,
  name: string,
  project: Table | undefined,
  tool: Table | undefined,
  poetry: Table | undefined,
  metadata: Map<string, string> | undefined,
  setupPy: SetupPy | undefined,
  layout: Layout,
): VersionSource {
  const pyprojectFile = joinPath(dir, "pyproject.toml");
  const staticVersion = str(project?.version);
  if (staticVersion !== undefined) return { kind: "static", value: staticVersion, from: `${pyprojectFile} [project] version` };
  const dynamic = Array.isArray(project?.dynamic) && (project!.dynamic as unknown[]).includes("version");
  if (project && dynamic) {
    if (backend === "hatch") {
      const v = table(table(tool?.hatch)?.version);
      const path = str(v?.path);
      if (path && (v?.source === undefined || v.source === "regex")) return versionFromPath(reader, dir, path, layout.sourceRoots, `${pyprojectFile} [tool.hatch.version] path`);
      return { kind: "dynamic", from: `${pyprojectFile} [tool.hatch.version] source = ${str(v?.source) ?? "?"}` };
    }
    if (backend === "pdm") {
      const v = table(table(tool?.pdm)?.version);
      const path = str(v?.path);
      if (path && v?.source === "file") return versionFromPath(reader, dir, path, layout.sourceRoots, `${pyprojectFile} [tool.pdm.version] path`);
      return { kind: "dynamic", from: `${pyprojectFile} [tool.pdm.version]` };
    }
    if (backend === "flit") {
      const flitModule = str(table(table(tool?.flit)?.module)?.name) ?? moduleNameOf(name);
      return { kind: "attribute", module: flitModule, attribute: "__version__", from: `${pyprojectFile} (flit reads ${flitModule}.__version__)` };
    }
    if (backend === "setuptools") {
      const v = table(table(table(tool?.setuptools)?.dynamic)?.version);
      const attr = str(v?.attr);
      if (attr) return splitAttr(attr, `${pyprojectFile} [tool.setuptools.dynamic] version.attr`);
      if (v?.file !== undefined) return { kind: "dynamic", from: `${pyprojectFile} [tool.setuptools.dynamic] version.file` };
      if (tool?.setuptools_scm !== undefined || tool?.["setuptools-scm"] !== undefined) return { kind: "dynamic", from: `${pyprojectFile} [tool.setuptools_scm]` };
      // Otherwise setuptools takes it from setup.py / setup.cfg, below.
    } else {
      return { kind: "dynamic", from: `${pyprojectFile} [project] dynamic` };
    }
  }
  if (!project && poetry) {
    const pdv = table(tool?.["poetry-dynamic-versioning"]);
    const v = str(poetry.version);
    if (v !== undefined && pdv?.enable !== true) return { kind: "static", value: v, from: `${pyprojectFile} [tool.poetry] version` };
    if (v !== undefined) return { kind: "dynamic", from: `${pyprojectFile} [tool.poetry-dynamic-versioning]` };
  }
  const setupFile = joinPath(dir, "setup.py");
  const sv = setupPy?.version;
  if (sv !== undefined) {
    if (sv === "expression") return { kind: "dynamic", from: `${setupFile} setup(version=...) expression` };
    if ("literal" in sv) return { kind: "static", value: sv.literal, from: `${setupFile} setup(version=...)` };
    return { kind: "attribute", module: sv.module, attribute: sv.attribute, from: `${setupFile} imports version from ${sv.module}` };
  }
  const cfgVersion = metadata?.get("version");
  const cfgFile = joinPath(dir, "setup.cfg");
  if (cfgVersion !== undefined) {
    const attr = /^attr:\s*(.+)$/.exec(cfgVersion);
    if (attr) return splitAttr(attr[1]!, `${cfgFile} [metadata] version = attr:`);
    if (/^file:/.test(cfgVersion)) return { kind: "dynamic", from: `${cfgFile} [metadata] version = file:` };
    return { kind: "static", value: cfgVersion, from: `${cfgFile} [metadata] version` };
  }
  return { kind: "dynamic", from: "no version in the metadata" };
}

// ---------------------------------------------------------------------------------------------
// Ownership and lookup

/** Does the distribution ship package `dotted`? */
export function distributionOwns(dist: Distribution, dotted: string): boolean {
  const sel = dist.selection;
  switch (sel.kind) {
    case "explicit":
      return sel.packages.some((p) => p === dotted || (sel.recursive && dotted.startsWith(`${p}.`)));
    case "find":
      return sel.include.some((p) => fnmatch(dotted, p)) && !sel.exclude.some((p) => fnmatch(dotted, p));
    case "auto": {
      const top = dotted.split(".")[0]!;
      return !sel.flat || (!FLAT_LAYOUT_EXCLUDE.has(top.toLowerCase()) && !/^[._]/.test(top));
    }
  }
}

/** The top of the run of `__init__.py` directories that holds `dir`, and the import root above it. */
export function packageChain(reader: ProjectReader, dir: string): { importRoot: string; parts: string[] } {
  const parts: string[] = [];
  let d = dir;
  while (isRegularPackage(reader, d) && d !== "") {
    parts.unshift(d.slice(d.lastIndexOf("/") + 1));
    d = parentDir(d);
  }
  return { importRoot: d, parts };
}

function describeSelection(dist: Distribution): string {
  const sel = dist.selection;
  if (sel.kind === "explicit") return `packages ${sel.packages.join(", ") || "(none)"}`;
  if (sel.kind === "find") return `include ${sel.include.join(", ")}${sel.exclude.length ? `, exclude ${sel.exclude.join(", ")}` : ""}`;
  return sel.flat ? "flat-layout auto-discovery" : "src-layout auto-discovery";
}

/**
 * Find the package that directory `dir` is, and the distribution that ships it; or why it is
 * not a library package (a tests package, a namespace package, an application without metadata).
 */
export function locatePackage(reader: ProjectReader, dir: string): Located {
  if (!isRegularPackage(reader, dir)) return { ok: false, reason: `${dir || "."}/ has no __init__.py` };
  const nonLibrary = dir.split("/").find((part) => NON_LIBRARY_NAMES.has(part));
  if (nonLibrary) return { ok: false, reason: `a ${nonLibrary}/ package is not part of a library's public interface` };
  const { importRoot, parts } = packageChain(reader, dir);

  let dist: Distribution | undefined;
  for (let d = importRoot; ; d = parentDir(d)) {
    const found = readDistribution(reader, d);
    if (found.error) return { ok: false, reason: found.error };
    if (found.dist) {
      dist = found.dist;
      break;
    }
    if (d === "") break;
  }
  if (!dist) {
    return { ok: false, reason: "no packaging metadata (pyproject.toml, setup.py or setup.cfg) above it: an application, not a library" };
  }
  if (!dist.sourceRoots.includes(importRoot)) {
    const outer = dist.sourceRoots.filter((r) => isUnder(importRoot, r)).sort((a, b) => b.length - a.length)[0];
    if (outer !== undefined) {
      const ns = (outer ? importRoot.slice(outer.length + 1) : importRoot).split("/").join(".");
      return { ok: false, reason: `inside namespace package ${ns} (${importRoot}/ has no __init__.py): left alone` };
    }
    const where = dist.sourceRoots.map((r) => `${r || "."}/`).join(", ");
    return { ok: false, reason: `not under a package directory of distribution ${dist.name} (${where})` };
  }
  const bad = parts.find((p) => !isImportableName(p));
  if (bad) return { ok: false, reason: `'${bad}' is not an importable Python name` };
  const dotted = parts.join(".");
  if (!distributionOwns(dist, dotted)) {
    return { ok: false, reason: `not shipped by distribution ${dist.name} (${describeSelection(dist)})` };
  }
  return { ok: true, pkg: { dir, dotted, importRoot, dist } };
}
