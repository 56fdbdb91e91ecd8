/**
 * secrets-to-env's settings (`[tool.pyremedy.secrets-to-env]`), declared once: the codemod
 * publishes them (configuration is validated against them, `explain` and the README list them),
 * and the repository step (engine/env-files.ts) and the codemod read them with `secretsSettings`.
 */
import type { CodemodOption, OptionValue } from "../codemod.js";

export const SECRETS_ID = "secrets-to-env";

/** `.env`, `.env.local`, `.env.production`, ... hold values; the templates do not. */
const ENV_TEMPLATES = new Set([".env.example", ".env.sample", ".env.template", ".env.dist"]);

/** Does `relPath` name a file that holds values (`.env`, `.env.local`, ...), never a template? */
export function isEnvFile(relPath: string): boolean {
  const base = relPath.slice(relPath.lastIndexOf("/") + 1);
  if (ENV_TEMPLATES.has(base)) return false;
  return base === ".env" || base.startsWith(".env.");
}

/**
 * Why `value` cannot be the env file (completes "must ..."), else undefined. It must be a
 * `.env`-style name, which keeps it out of every fix branch (git/commit.ts withholds those),
 * and a plain path below the project root.
 */
export function checkEnvFile(value: OptionValue): string | undefined {
  const rule = 'be a path below the project root whose file name is .env or .env.<name>, such as ".env.local" or "config/.env"';
  if (typeof value !== "string" || value === "") return rule;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f\\]/.test(value) || value.startsWith("/") || /^[A-Za-z]:/.test(value)) return rule;
  const parts = value.split("/");
  if (parts.some((p) => p === "" || p === "." || p === ".." || p === ".git")) return rule;
  if (ENV_TEMPLATES.has(parts[parts.length - 1]!)) return `${rule} (templates such as .env.example hold no values)`;
  if (!isEnvFile(value)) return rule;
  return undefined;
}

export const SECRETS_OPTIONS: readonly CodemodOption[] = [
  {
    name: "env-file",
    type: "string",
    default: ".env",
    description:
      "Where `--write` puts the values, relative to the project root: `.env.example` goes next to it and `.gitignore` gets an entry for it. " +
      "A `.env` or `.env.<name>` file (fix branches never commit those)",
    check: checkEnvFile,
  },
  {
    name: "history",
    type: "boolean",
    default: true,
    description:
      "Look every moved value up in the git history (`git log -p --all`, at most 60 s per repository) to say which must be rotated; " +
      "`false` (or `fix --no-history`) skips it, and the report says the history was not checked",
  },
];

export interface SecretsSettings {
  /** Relative to the project root, with `/`. */
  readonly envFile: string;
  readonly history: boolean;
}

function declared(name: string): OptionValue {
  return SECRETS_OPTIONS.find((o) => o.name === name)!.default;
}

/** secrets-to-env's settings from per-codemod options (ProjectContext.options, Settings.codemodOptions), defaults filled in. */
export function secretsSettings(options: Readonly<Record<string, unknown>> | undefined): SecretsSettings {
  const mine = options?.[SECRETS_ID] as Readonly<Record<string, unknown>> | undefined;
  const envFile = mine?.["env-file"];
  const history = mine?.history;
  return {
    envFile: typeof envFile === "string" ? envFile : (declared("env-file") as string),
    history: typeof history === "boolean" ? history : (declared("history") as boolean),
  };
}

/** `.env.example` beside the env file. */
export function envExampleOf(envFile: string): string {
  const slash = envFile.lastIndexOf("/");
  return slash < 0 ? ".env.example" : `${envFile.slice(0, slash)}/.env.example`;
}
