/**
 * Environment variable names for moved secrets: derived from the variable, keyword, key or
 * parameter the value was bound to, or the provider's canonical name; then made unique per
 * repository so one value gets one name and two different values never share one. Pure.
 */
import { nameWords } from "./patterns.js";

/** Words that say "this is a credential" and nothing about which one. */
const GENERIC_WORDS = new Set([
  "api", "key", "keys", "token", "tokens", "secret", "secrets", "password", "passwd", "pwd", "pass", "passphrase", "access",
  "auth", "credential", "credentials", "creds", "client", "private", "value", "my", "the", "default", "apikey", "accesskey",
  "privatekey", "secretkey", "clientsecret", "x",
]);

/** `dbPassword`, `self._api_key`, `X-Api-Key` → DB_PASSWORD, API_KEY, X_API_KEY. */
export function toEnvName(name: string): string {
  const words = nameWords(name).map((w) => w.toUpperCase());
  const joined = words.join("_") || "SECRET";
  return /^[0-9]/.test(joined) ? `_${joined}` : joined;
}

/**
 * The variable's own name when it says more than the provider's canonical name would
 * (`BILLING_OPENAI_KEY`), else the canonical one (`openai_key` → OPENAI_API_KEY).
 */
export function providerEnvName(target: string | undefined, canonical: string, aliases: readonly string[]): string {
  if (!target) return canonical;
  const known = new Set([...GENERIC_WORDS, ...aliases, ...nameWords(canonical)]);
  const more = nameWords(target).filter((w) => !known.has(w));
  return more.length > 0 ? toEnvName(target) : canonical;
}

export const VALID_ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A value that wants an environment variable somewhere in the repository. */
export interface Claim {
  readonly relPath: string;
  /** Position in its file, for a stable order. */
  readonly index: number;
  readonly value: string;
  /** The name derived for it (or, when `fixed`, the name the code already reads). */
  readonly preferred: string;
  /** `os.getenv("NAME", "<secret>")`: the code already names the variable; it cannot be renamed. */
  readonly fixed: boolean;
}

export type Resolution = { readonly name: string } | { readonly conflict: string };

/**
 * Names for every claim of a repository, in a stable order (path, then position): fixed names
 * first, then each value takes the name it already has (an existing `.env` entry with the same
 * value, or an earlier claim), else its preferred name, else the preferred name with `_2`,
 * `_3`, ... A fixed name whose `.env` entry or earlier fixed claim holds another value conflicts.
 */
export class NameBook {
  private readonly nameByValue = new Map<string, string>();
  private readonly valueByName = new Map<string, string>();
  private readonly conflicts = new Map<string, string>();

  /** `existing`: the entries of the env file named `envFile` (`.env` unless configured). */
  constructor(claims: readonly Claim[], existing: ReadonlyMap<string, string>, envFile = ".env") {
    for (const [name, value] of existing) {
      this.valueByName.set(name, value);
      if (!this.nameByValue.has(value)) this.nameByValue.set(value, name);
    }
    const ordered = [...claims].sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : a.index - b.index));
    for (const c of ordered.filter((c) => c.fixed)) {
      const held = this.valueByName.get(c.preferred);
      if (held !== undefined && held !== c.value) {
        this.conflicts.set(NameBook.key(c), existing.has(c.preferred) ? envFile : "another file");
        continue;
      }
      this.valueByName.set(c.preferred, c.value);
      if (!this.nameByValue.has(c.value)) this.nameByValue.set(c.value, c.preferred);
    }
    for (const c of ordered.filter((c) => !c.fixed)) {
      if (this.nameByValue.has(c.value)) continue;
      let name = c.preferred;
      for (let n = 2; this.valueByName.has(name) && this.valueByName.get(name) !== c.value; n++) name = `${c.preferred}_${n}`;
      this.valueByName.set(name, c.value);
      this.nameByValue.set(c.value, name);
    }
  }

  private static key(c: Pick<Claim, "value" | "preferred" | "fixed">): string {
    return `${c.fixed ? "F" : "V"}\0${c.preferred}\0${c.value}`;
  }

  /** The name for a claim that was part of the book. */
  resolve(c: Pick<Claim, "value" | "preferred" | "fixed">): Resolution {
    if (c.fixed) {
      const conflict = this.conflicts.get(NameBook.key(c));
      return conflict ? { conflict } : { name: c.preferred };
    }
    const name = this.nameByValue.get(c.value);
    return name ? { name } : { name: c.preferred };
  }
}
