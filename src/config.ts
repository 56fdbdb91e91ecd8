/**
 * Configuration: `[tool.pyremedy]` in the nearest pyproject.toml, validated, then merged with
 * the command line (flags win). Like ruff, the closest pyproject.toml *that has a
 * `[tool.pyremedy]` table* is used, walking up from each path given; settings are never merged
 * across files. Side effects: reading pyproject.toml files, nothing else.
 */
import fs from "node:fs";
import path from "node:path";
import { UsageError } from "clipanion";
import { parse, TomlError } from "smol-toml";
import { codemods as registry } from "../codemods/index.js";
import type { Codemod, CodemodOption, OptionValue } from "./codemod.js";

/** A configuration file that is unreadable, not TOML, or holds a key pyremedy does not know. */
export class ConfigError extends UsageError {}

export type CodemodOptions = Record<string, Record<string, OptionValue>>;

/** What one `[tool.pyremedy]` table says, validated. Absent keys are undefined. */
export interface ProjectConfig {
  /** Absolute path of the pyproject.toml. */
  readonly file: string;
  readonly select?: readonly string[];
  readonly ignore?: readonly string[];
  /** Globs relative to the file's directory. */
  readonly exclude?: readonly string[];
  readonly includeTests?: boolean;
  /** Defaults for `pyremedy branch --branch / --base`. */
  readonly branch?: string;
  readonly base?: string;
  /** Only the options the file sets, per codemod id. */
  readonly options: CodemodOptions;
}

/** The command line's say; undefined = not given. */
export interface CliFlags {
  /** Entries may hold comma-separated ids. */
  readonly select?: readonly string[];
  readonly ignore?: readonly string[];
  readonly exclude?: readonly string[];
  readonly includeTests?: boolean;
  /** Codemod options set by flags (`--no-history`), per codemod id: they win over the file's; undefined = not given. */
  readonly options?: Readonly<Record<string, Readonly<Record<string, OptionValue | undefined>>>>;
}

/** The effective settings for a set of paths: what the run uses. */
export interface Settings {
  readonly configFile?: string;
  /** Selected codemods, in registry order. */
  readonly codemods: readonly Codemod[];
  /**
   * Globs for discovery: the configuration's, anchored at its directory (absolute), then the
   * command line's (relative to each path given).
   */
  readonly exclude: readonly string[];
  readonly includeTests: boolean;
  /** Every option of every selected codemod that declares some, defaults filled in. */
  readonly codemodOptions: CodemodOptions;
  readonly branch?: string;
  readonly base?: string;
}

export interface RunGroup {
  /** Paths as given, in command-line order. */
  readonly paths: readonly string[];
  readonly settings: Settings;
}

const FILE_NAME = "pyproject.toml";

const TOP_KEYS = ["select", "ignore", "exclude", "include-tests", "branch", "base"] as const;

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

/** " (did you mean 'include-tests'?)" for `include_tests`, `Include-Tests`, `includ-tests`; else "". */
function didYouMean(key: string, known: readonly string[]): string {
  const norm = (s: string): string => s.toLowerCase().replace(/_/g, "-");
  const best = known.find((k) => norm(k) === norm(key)) ?? known.find((k) => levenshtein(norm(key), k) <= 2);
  return best ? ` (did you mean '${best}'?)` : "";
}

function describeType(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (isTable(value)) return "a table";
  if (value instanceof Date) return "a date";
  return `a ${typeof value === "bigint" ? "number" : typeof value}`;
}

function stringList(value: unknown, where: string, example: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && v.trim() !== "")) {
    throw new ConfigError(`${where} must be a list of non-empty strings, e.g. ${example} (found ${describeType(value)})`);
  }
  return value.map((v: string) => v.trim());
}

function codemodList(value: unknown, where: string, codemods: readonly Codemod[]): string[] {
  const ids = stringList(value, where, `["${codemods[0]?.id ?? "verify-ssl"}"]`);
  const known = codemods.map((c) => c.id);
  for (const id of ids) {
    if (!known.includes(id)) throw new ConfigError(`${where}: unknown codemod '${id}'${didYouMean(id, known)} (known: ${known.join(", ")})`);
  }
  return ids;
}

/**
 * The rules of `git check-ref-format --branch` that can be checked without git: enough to
 * refuse a name that could never be a branch (the branch command asks git again).
 */
export function isPlausibleBranchName(name: string): boolean {
  if (name === "" || name === "@" || name.startsWith("-") || name.startsWith("/") || name.endsWith("/") || name.endsWith(".")) return false;
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name) || name.includes("..") || name.includes("@{") || name.includes("//")) return false;
  return name.split("/").every((part) => !part.startsWith(".") && !part.endsWith(".lock"));
}

function optionValueOf(option: CodemodOption, value: unknown, where: string): OptionValue {
  const typed = typedOptionValue(option, value, where);
  const refused = option.check?.(typed);
  if (refused) throw new ConfigError(`${where} must ${refused} (found ${JSON.stringify(typed)})`);
  return typed;
}

function typedOptionValue(option: CodemodOption, value: unknown, where: string): OptionValue {
  const bad = (want: string): ConfigError => new ConfigError(`${where} must be ${want} (found ${describeType(value)})`);
  switch (option.type) {
    case "boolean":
      if (typeof value !== "boolean") throw bad("true or false");
      return value;
    case "integer": {
      const n = typeof value === "bigint" ? Number(value) : value;
      if (typeof n !== "number" || !Number.isSafeInteger(n)) throw bad("an integer");
      return n;
    }
    case "string":
      if (typeof value !== "string") throw bad("a string");
      if (option.choices && !option.choices.includes(value)) {
        throw new ConfigError(`${where} must be one of ${option.choices.map((c) => `"${c}"`).join(", ")} (found "${value}")`);
      }
      return value;
    case "string-list":
      return stringList(value, where, `["..."]`);
  }
}

/**
 * Validate a `[tool.pyremedy]` table. Every key is known, or the whole file is refused with an
 * error naming the key and the file: a typo must not silently change what runs.
 */
export function validateConfig(table: unknown, file: string, codemods: readonly Codemod[] = registry): ProjectConfig {
  if (!isTable(table)) throw new ConfigError(`${file}: [tool.pyremedy] must be a table (found ${describeType(table)})`);
  const at = (key: string): string => `${file}: [tool.pyremedy] ${key}`;
  const ids = codemods.map((c) => c.id);
  const config: { -readonly [K in keyof ProjectConfig]: ProjectConfig[K] } = { file, options: {} };
  for (const [key, value] of Object.entries(table)) {
    switch (key) {
      case "select":
        config.select = codemodList(value, at("select"), codemods);
        continue;
      case "ignore":
        config.ignore = codemodList(value, at("ignore"), codemods);
        continue;
      case "exclude":
        config.exclude = stringList(value, at("exclude"), `["legacy/**", "*_pb2.py"]`);
        continue;
      case "include-tests":
        if (typeof value !== "boolean") throw new ConfigError(`${at("include-tests")} must be true or false (found ${describeType(value)})`);
        config.includeTests = value;
        continue;
      case "branch":
        if (typeof value !== "string" || !isPlausibleBranchName(value)) {
          throw new ConfigError(`${at("branch")} must be a valid git branch name, e.g. "pyremedy/fixes" (found ${typeof value === "string" ? `"${value}"` : describeType(value)})`);
        }
        config.branch = value;
        continue;
      case "base":
        if (typeof value !== "string" || value.trim() === "" || value.startsWith("-") || /[\x00-\x20\x7f]/.test(value)) {
          throw new ConfigError(`${at("base")} must be a git revision such as "origin/main" (found ${typeof value === "string" ? `"${value}"` : describeType(value)})`);
        }
        config.base = value;
        continue;
    }
    const codemod = codemods.find((c) => c.id === key);
    if (!codemod) {
      throw new ConfigError(
        `${file}: unknown key '${key}' in [tool.pyremedy]${didYouMean(key, [...TOP_KEYS, ...ids])}` +
          ` (known: ${TOP_KEYS.join(", ")}, and a table per codemod: ${ids.map((id) => `[tool.pyremedy.${id}]`).join(", ")})`,
      );
    }
    const where = `${file}: [tool.pyremedy.${key}]`;
    if (!isTable(value)) throw new ConfigError(`${where} must be a table of options (found ${describeType(value)})`);
    const declared = codemod.options ?? [];
    const names = declared.map((o) => o.name);
    const chosen: Record<string, OptionValue> = {};
    for (const [name, given] of Object.entries(value)) {
      const option = declared.find((o) => o.name === name);
      if (!option) {
        throw new ConfigError(
          `${where}: unknown key '${name}'${didYouMean(name, names)}` +
            (names.length ? ` (known: ${names.join(", ")})` : ` (${key} has no options)`),
        );
      }
      chosen[name] = optionValueOf(option, given, `${where} ${name}`);
    }
    config.options[key] = chosen;
  }
  return config;
}

/** The `[tool.pyremedy]` table of a pyproject.toml's text, or undefined when it has none. */
function pyremedyTable(text: string, file: string): unknown {
  // A pyproject.toml that never mentions us is not ours to judge (nor to refuse when broken).
  if (!text.includes("pyremedy")) return undefined;
  let doc: Table;
  try {
    doc = parse(text);
  } catch (err) {
    if (err instanceof TomlError) {
      const what = err.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
      throw new ConfigError(`${file}:${err.line}:${err.column}: invalid TOML (${what})`);
    }
    throw new ConfigError(`${file}: invalid TOML (${(err as Error).message})`);
  }
  const tool = doc.tool;
  return isTable(tool) ? tool.pyremedy : undefined;
}

/** Parse and validate the text of a pyproject.toml; undefined when it has no `[tool.pyremedy]`. */
export function parseConfig(text: string, file: string, codemods: readonly Codemod[] = registry): ProjectConfig | undefined {
  const table = pyremedyTable(text, file);
  return table === undefined ? undefined : validateConfig(table, file, codemods);
}

function readText(file: string): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    // EACCES here means the directory cannot be searched: nothing in it can be read, and the
    // run reports that directory (an unreadable repository fails on its own, the others go on).
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "EACCES") return undefined;
    throw new ConfigError(`${file}: cannot read (${code ?? (err as Error).message})`);
  }
  if (!stat.isFile()) return undefined;
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/**
 * Finds configuration files, walking up from a path, with each directory's answer cached for
 * the life of the finder (one run).
 */
export class ConfigFinder {
  private readonly byDir = new Map<string, ProjectConfig | undefined>();

  constructor(private readonly codemods: readonly Codemod[] = registry) {}

  /** The configuration for `given` (a file or directory): the nearest pyproject.toml with `[tool.pyremedy]`. */
  configFor(given: string): ProjectConfig | undefined {
    const abs = path.resolve(given);
    let start = abs;
    try {
      if (!fs.statSync(abs).isDirectory()) start = path.dirname(abs);
    } catch {
      start = path.dirname(abs); // a missing path fails later, in discovery, with its own reason
    }
    return this.inDir(start);
  }

  private inDir(dir: string): ProjectConfig | undefined {
    if (this.byDir.has(dir)) return this.byDir.get(dir);
    const file = path.join(dir, FILE_NAME);
    const text = readText(file);
    const own = text === undefined ? undefined : parseConfig(text, file, this.codemods);
    const parent = path.dirname(dir);
    const found = own ?? (parent === dir ? undefined : this.inDir(parent));
    this.byDir.set(dir, found);
    return found;
  }
}

function flagIds(list: readonly string[] | undefined, flag: string, codemods: readonly Codemod[]): string[] | undefined {
  if (list === undefined) return undefined;
  const ids = list.flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
  const known = codemods.map((c) => c.id);
  for (const id of ids) {
    if (!known.includes(id)) throw new UsageError(`${flag}: unknown codemod '${id}'${didYouMean(id, known)} (known: ${known.join(", ")})`);
  }
  return ids;
}

function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}

/** `s` as a glob that matches exactly `s`. */
function escapeGlob(s: string): string {
  return s.replace(/[\\*?[\]{}()!+@|^$]/g, "\\$&");
}

/**
 * A configuration glob (relative to `dir`, gitignore-like) as an absolute glob: with no slash
 * it matches a file or directory name anywhere below `dir`; otherwise the path from `dir`.
 */
export function anchorGlob(glob: string, dir: string): string {
  let g = glob.replace(/^\.\//, "").replace(/\/+$/, "");
  const anchored = g.startsWith("/");
  g = g.replace(/^\/+/, "");
  const base = escapeGlob(toPosix(dir)).replace(/\/$/, "");
  return anchored || g.includes("/") ? `${base}/${g}` : `${base}/**/${g}`;
}

/**
 * Globs anchored by anchorGlob, for a copy of the tree at `fromTop` placed at `toTop` (a fix
 * branch's worktree): a glob anchored inside `fromTop` moves with it; one anchored above it
 * that matches a name anywhere below (`<dir>/**\/x`) matches anywhere below `toTop`; any other
 * cannot match inside the copy and is kept as it is, like relative (command-line) globs.
 */
export function moveAnchors(globs: readonly string[], fromTop: string, toTop: string): string[] {
  const from = escapeGlob(toPosix(fromTop)).replace(/\/$/, "");
  const to = escapeGlob(toPosix(toTop)).replace(/\/$/, "");
  return globs.map((g) => {
    if (g.startsWith(`${from}/`)) return `${to}/${g.slice(from.length + 1)}`;
    const anywhere = g.indexOf("/**/");
    if (anywhere > 0 && from.startsWith(`${g.slice(0, anywhere)}/`)) return `${to}/**/${g.slice(anywhere + 4)}`;
    return g;
  });
}

function realDir(file: string): string {
  const dir = path.dirname(file);
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
}

/**
 * Merge a configuration with the command line. Selection is layered, as in ruff: start from
 * every codemod; the configuration's `select` replaces the set and its `ignore` removes from
 * it; then a `--select` replaces the set again and `--ignore` removes. `--exclude` adds to the
 * configured globs; `--include-tests` / `--no-include-tests` replace `include-tests`; a codemod
 * option given by a flag replaces the configured one.
 */
export function resolveSettings(config: ProjectConfig | undefined, flags: CliFlags, codemods: readonly Codemod[] = registry): Settings {
  let chosen = codemods.map((c) => c.id);
  const layers = [
    { select: config?.select, ignore: config?.ignore },
    { select: flagIds(flags.select, "--select", codemods), ignore: flagIds(flags.ignore, "--ignore", codemods) },
  ];
  for (const layer of layers) {
    if (layer.select) chosen = codemods.map((c) => c.id).filter((id) => layer.select!.includes(id));
    if (layer.ignore) chosen = chosen.filter((id) => !layer.ignore!.includes(id));
  }
  const selected = codemods.filter((c) => chosen.includes(c.id));
  const codemodOptions: CodemodOptions = {};
  for (const c of selected) {
    if (!c.options?.length) continue;
    const flagged = Object.entries(flags.options?.[c.id] ?? {}).filter((e): e is [string, OptionValue] => e[1] !== undefined);
    const given: Record<string, OptionValue> = { ...config?.options[c.id], ...Object.fromEntries(flagged) };
    codemodOptions[c.id] = Object.fromEntries(c.options.map((o) => [o.name, given[o.name] ?? o.default]));
  }
  const anchor = config ? realDir(config.file) : "";
  return {
    ...(config ? { configFile: config.file } : {}),
    codemods: selected,
    exclude: [...(config?.exclude ?? []).map((g) => anchorGlob(g, anchor)), ...(flags.exclude ?? [])],
    includeTests: flags.includeTests ?? config?.includeTests ?? false,
    codemodOptions,
    ...(config?.branch !== undefined ? { branch: config.branch } : {}),
    ...(config?.base !== undefined ? { base: config.base } : {}),
  };
}

/** A path whose configuration cannot be used (unreadable, not TOML, an unknown key, a bad value). */
export interface ConfigFailure {
  readonly path: string;
  readonly error: ConfigError;
}

export interface RunPlan {
  readonly groups: RunGroup[];
  /** In command-line order. */
  readonly failed: ConfigFailure[];
}

/**
 * The runs of a batch: like planRuns, but a path whose configuration is invalid is set aside
 * with its error instead of stopping the others (the run reports it as a failed repository).
 * A wrong command-line flag still throws: it concerns every path.
 */
export function planBatch(paths: readonly string[], flags: CliFlags, codemods: readonly Codemod[] = registry): RunPlan {
  const finder = new ConfigFinder(codemods);
  const groups = new Map<string, { paths: string[]; config: ProjectConfig | undefined }>();
  const failed: ConfigFailure[] = [];
  for (const given of paths) {
    let config: ProjectConfig | undefined;
    try {
      config = finder.configFor(given);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      failed.push({ path: given, error: err });
      continue;
    }
    const key = config?.file ?? "";
    const group = groups.get(key) ?? { paths: [], config };
    group.paths.push(given);
    groups.set(key, group);
  }
  return { groups: [...groups.values()].map((g) => ({ paths: g.paths, settings: resolveSettings(g.config, flags, codemods) })), failed };
}

/**
 * The runs a command makes: the paths grouped by the configuration that applies to them (in
 * the order each configuration is first needed), each with its effective settings. Throws the
 * first path's ConfigError, if any.
 */
export function planRuns(paths: readonly string[], flags: CliFlags, codemods: readonly Codemod[] = registry): RunGroup[] {
  const { groups, failed } = planBatch(paths, flags, codemods);
  if (failed.length) throw failed[0]!.error;
  return groups;
}

/** `--show-config`: the effective configuration as JSON (an array when paths use different files). */
export function renderSettings(groups: readonly RunGroup[]): string {
  const shown = groups.map(({ paths, settings: s }) => ({
    paths,
    configFile: s.configFile ?? null,
    select: s.codemods.map((c) => c.id),
    exclude: s.exclude,
    includeTests: s.includeTests,
    options: s.codemodOptions,
    branch: s.branch ?? null,
    base: s.base ?? null,
  }));
  return JSON.stringify(shown.length === 1 ? shown[0] : shown, null, 2) + "\n";
}
