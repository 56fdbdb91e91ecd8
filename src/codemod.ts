/**
 * The contract between the engine and a codemod. A codemod is pure: it reads a parsed
 * file (and, through the context, other files of its project) and returns data. The runner
 * alone applies edits, writes files and prints.
 */
import type { PythonFile } from "./python/file.js";

/** `safe`: behaviour is kept or only made stricter in the intended way. `review`: a person should check it. */
export type Safety = "safe" | "review";

/** Replace `text[start, end)` of the decoded source with `text`. Indices are UTF-16 (JS string) indices. */
export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** One logical fix: its edits are applied together or not at all. */
export interface Change {
  readonly codemod: string;
  /** 1-based line and column of the site, in the decoded source. */
  readonly line: number;
  readonly column: number;
  readonly safety: Safety;
  /** One line: what this change does. Never contains a secret value. */
  readonly description: string;
  /** For the reviewer: what to check. */
  readonly note?: string;
  readonly edits: readonly Edit[];
  /** Values this change moves to the environment (secrets-to-env); recorded only if it is applied. */
  readonly env?: readonly EnvEntry[];
}

/** A site the codemod recognised but did not change, with the reason (ESLint rules `return null`). */
export interface Notice {
  readonly codemod: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** A value moved out of the code into the environment (secrets-to-env). */
export interface EnvEntry {
  readonly name: string;
  readonly value: string;
  readonly provider?: string;
}

/** What a codemod returns for one file. */
export interface CodemodResult {
  readonly changes: readonly Change[];
  readonly notices?: readonly Notice[];
}

/**
 * Read-only facts about the project a file belongs to. The runner provides it; codemods must
 * not touch the file system themselves, so tests can hand in an in-memory project.
 */
export interface ProjectContext {
  /** The root the user named (repository or directory), absolute. */
  readonly root: string;
  /** The file's path relative to `root`, with `/`. */
  readonly relPath: string;
  /** Read a UTF-8 text file relative to `root` (`..` allowed only inside the root); undefined when absent or unreadable. */
  readText(relPath: string): string | undefined;
  /** Names of the entries of a directory relative to `root`, with a trailing `/` on directories; undefined when absent. */
  listDir(relPath: string): string[] | undefined;
  /**
   * Per-codemod options from `[tool.pyremedy.<id>]`, keyed by codemod id, then by option name
   * (validated against the codemod's `options`; read them with `optionValue`).
   */
  readonly options: Readonly<Record<string, unknown>>;
  /** True when files under tests/ should be treated like any other file. */
  readonly includeTests: boolean;
}

export type OptionValue = boolean | number | string | readonly string[];

/** One setting of a codemod, as declared on it: configuration is validated against this. */
export interface CodemodOption {
  /** kebab-case key in `[tool.pyremedy.<id>]`. */
  readonly name: string;
  readonly type: "boolean" | "integer" | "string" | "string-list";
  readonly default: OptionValue;
  /** For `string`: the accepted values. */
  readonly choices?: readonly string[];
  /** One line for `explain` and the README. */
  readonly description: string;
  /** A further rule on a well-typed value: why it is refused (completes "must ..."), or undefined when it is fine. */
  readonly check?: (value: OptionValue) => string | undefined;
}

/** The configured value of `codemod`'s option `name`, or its declared default. */
export function optionValue<T extends OptionValue>(ctx: ProjectContext, codemod: Codemod, name: string): T {
  const declared = codemod.options?.find((o) => o.name === name);
  if (!declared) throw new Error(`${codemod.id} declares no option '${name}'`);
  const given = (ctx.options[codemod.id] as Record<string, unknown> | undefined)?.[name];
  return (given ?? declared.default) as T;
}

export interface Reference {
  readonly title: string;
  readonly url: string;
}

export interface Codemod {
  /** kebab-case, names the change; also the file name in codemods/ and the folder in fixtures/. */
  readonly id: string;
  /** Imperative one-liner: "Re-enable TLS certificate verification". */
  readonly title: string;
  /** Markdown: what it changes. */
  readonly what: string;
  /** Markdown: what goes wrong today. */
  readonly why: string;
  /** The safety of most of its changes; each change carries its own. */
  readonly safety: Safety;
  readonly safetyNote: string;
  readonly example: { readonly before: string; readonly after: string };
  /** Rule codes of the peers that only detect this flaw. */
  readonly peers: readonly string[];
  readonly references: readonly Reference[];
  /** Settings users may give in `[tool.pyremedy.<id>]`; any other key there is an error. */
  readonly options?: readonly CodemodOption[];
  /**
   * Cheap byte-level test: false means this codemod cannot change the file, so it need not run.
   * Must never return false for a file the codemod would change.
   */
  mayApply(text: string, relPath: string): boolean;
  /**
   * Where in `text` this codemod could change or must read anything beyond module-level
   * statements and the names definitions bind (indices; a superset, like `mayApply`). With it, the
   * engine may leave out of the parse every function and class definition holding none of them
   * (src/python/outline.ts). Without it, the codemod gets the whole tree.
   */
  sites?(text: string): readonly number[];
  /**
   * The codemods this one's edits may give work where they had none (secrets-to-env's
   * `os.environ` lookups can make verify-ssl's PYTHONHTTPSVERIFY check apply). After a pass, only
   * these and the pass's own codemods are asked again. Undefined: any codemod.
   */
  readonly enables?: readonly string[];
  produce(file: PythonFile, ctx: ProjectContext): CodemodResult;
}
