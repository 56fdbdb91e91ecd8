/**
 * What counts as a credential: every detection rule of secrets-to-env, each with the source it
 * follows. Provider rules recognise a value on its own (after gitleaks' default config,
 * config/gitleaks.toml, rule ids given); name rules need a credential-like name next to the
 * value (after ruff S105-S107 / bandit B105-B107 and detect-secrets' KeywordDetector). Pure.
 */

export interface ProviderRule {
  /** The rule this one follows, e.g. "gitleaks:anthropic-api-key". */
  readonly source: string;
  /** Short provider id, reported in the JSON `env` array ("anthropic", "aws", ...). */
  readonly provider: string;
  /** The provider's canonical environment variable. */
  readonly envName: string;
  /** The value, unanchored and global; a match must also sit on token boundaries (see findProviderSecrets). */
  readonly pattern: RegExp;
  /** The public, fixed part of the value: shown in masked output, never the rest. */
  readonly prefix?: string;
  /** Words of a variable name that say nothing more than this provider's canonical name does. */
  readonly aliases: readonly string[];
  /** Extra check on a match (allowlists, structure). */
  readonly accept?: (match: string) => boolean;
  /** A more specific canonical name for a particular match (JWT issuers, admin keys). */
  readonly envNameFor?: (match: string) => string;
}

/** A match must not continue a longer token: gitleaks' `\b` before, and no key character after. */
const BEFORE = /[A-Za-z0-9_]/;
const AFTER = /[A-Za-z0-9_\-+/]/;

/** URL schemes and the variable such a URL is canonically read from. */
const URL_VARIABLES: readonly [RegExp, string][] = [
  [/^(postgres|postgresql|pgsql|mysql|mariadb|mssql|oracle|cockroachdb|sqlite|db2|snowflake|redshift|clickhouse)(\+|$)/, "DATABASE_URL"],
  [/^rediss?(\+|$)/, "REDIS_URL"],
  [/^amqps?(\+|$)/, "AMQP_URL"],
  [/^mongodb(\+srv)?$/, "MONGODB_URI"],
  [/^s?ftps?$/, "FTP_URL"],
  [/^smtps?$/, "SMTP_URL"],
  [/^https?$/, "SERVICE_URL"],
];

/** Passwords in URLs that are placeholders or stock development defaults, not secrets. */
const URL_DUMMY_PASSWORDS = new Set(["password", "pass", "passwd", "pwd", "secret", "changeme", "postgres", "root", "admin", "guest", "test", "example", "dummy"]);

/** `scheme://user:password@host...` (detect-secrets BasicAuthDetector: `://[^{}\s]+:([^{}\s]+)@`). */
const URL_WITH_PASSWORD = /\b([a-zA-Z][a-zA-Z0-9+.-]{1,30}):\/\/([^\s:@/{}'"]*):([^\s@/{}'"]+)@[^\s'"]+/g;

export interface UrlCredential {
  readonly scheme: string;
  readonly user: string;
  readonly password: string;
}

/** The credential part of a URL match, or undefined when it is a placeholder. */
export function urlCredential(url: string): UrlCredential | undefined {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^\s:@/]*):([^\s@/]+)@/.exec(url);
  if (!m) return undefined;
  const [, scheme, user, password] = m as unknown as [string, string, string, string];
  const plain = safeDecode(password);
  if (URL_DUMMY_PASSWORDS.has(plain.toLowerCase()) || plain === safeDecode(user) || isPlaceholder(plain)) return undefined;
  return { scheme: scheme.toLowerCase(), user, password };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function urlEnvName(url: string): string {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase() ?? "";
  for (const [re, name] of URL_VARIABLES) if (re.test(scheme)) return name;
  return `${scheme.split("+")[0]!.replace(/[^a-z0-9]/g, "_").toUpperCase()}_URL`;
}

/** The claims of a JWT's payload, when it decodes. */
function jwtClaims(token: string): Record<string, unknown> | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const json = Buffer.from(payload.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8");
    const claims = JSON.parse(json) as unknown;
    return claims && typeof claims === "object" ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Supabase keys are JWTs issued by "supabase" with an anon/service_role role. */
function isSupabaseJwt(token: string): boolean {
  const claims = jwtClaims(token);
  return !!claims && (claims.iss === "supabase" || (typeof claims.ref === "string" && typeof claims.role === "string"));
}

export const PROVIDER_RULES: readonly ProviderRule[] = [
  {
    source: "gitleaks:anthropic-admin-api-key",
    provider: "anthropic",
    envName: "ANTHROPIC_ADMIN_KEY",
    pattern: /sk-ant-admin01-[A-Za-z0-9_-]{93}AA/g,
    prefix: "sk-ant-",
    aliases: ["anthropic", "claude", "ant", "admin"],
  },
  {
    source: "gitleaks:anthropic-api-key",
    provider: "anthropic",
    envName: "ANTHROPIC_API_KEY",
    pattern: /sk-ant-api03-[A-Za-z0-9_-]{93}AA/g,
    prefix: "sk-ant-",
    aliases: ["anthropic", "claude", "ant"],
  },
  {
    // gitleaks requires the T3BlbkFJ marker in project/service keys; newer keys may lack it, so the prefix and length suffice here.
    source: "gitleaks:openai-api-key",
    provider: "openai",
    envName: "OPENAI_API_KEY",
    pattern: /sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|sk-[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}/g,
    prefix: "sk-",
    aliases: ["openai", "oai", "gpt", "chatgpt", "open", "ai", "project", "proj", "service", "account", "svcacct"],
    envNameFor: (m) => (m.startsWith("sk-admin-") ? "OPENAI_ADMIN_KEY" : "OPENAI_API_KEY"),
  },
  {
    source: "gitleaks:aws-access-token",
    provider: "aws",
    envName: "AWS_ACCESS_KEY_ID",
    pattern: /(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}/g,
    prefix: "AKIA",
    aliases: ["aws", "amazon", "iam", "access", "id", "s3"],
    accept: (m) => !m.endsWith("EXAMPLE"),
  },
  {
    source: "gitleaks:github-fine-grained-pat",
    provider: "github",
    envName: "GITHUB_TOKEN",
    pattern: /github_pat_\w{82}/g,
    prefix: "github_pat_",
    aliases: ["github", "gh", "git", "hub", "pat", "personal", "oauth", "app"],
  },
  {
    source: "gitleaks:github-pat, github-oauth, github-app-token, github-refresh-token",
    provider: "github",
    envName: "GITHUB_TOKEN",
    pattern: /gh[pousr]_[0-9a-zA-Z]{36}/g,
    prefix: "gh",
    aliases: ["github", "gh", "git", "hub", "pat", "personal", "oauth", "app"],
  },
  {
    source: "gitleaks:slack-bot-token, slack-legacy-bot-token",
    provider: "slack",
    envName: "SLACK_BOT_TOKEN",
    pattern: /xoxb-[0-9]{8,14}-[a-zA-Z0-9-]{10,}/g,
    prefix: "xoxb-",
    aliases: ["slack", "bot"],
  },
  {
    source: "gitleaks:slack-user-token",
    provider: "slack",
    envName: "SLACK_USER_TOKEN",
    pattern: /xox[pe](?:-[0-9]{10,13}){3}-[a-zA-Z0-9-]{28,34}/g,
    prefix: "xoxp-",
    aliases: ["slack", "user"],
  },
  {
    source: "gitleaks:slack-legacy-workspace-token",
    provider: "slack",
    envName: "SLACK_TOKEN",
    pattern: /xox[ar]-(?:\d-)?[0-9a-zA-Z]{8,48}/g,
    prefix: "xoxa-",
    aliases: ["slack", "app", "workspace", "legacy"],
  },
  {
    source: "gitleaks:slack-webhook-url",
    provider: "slack",
    envName: "SLACK_WEBHOOK_URL",
    pattern: /(?:https?:\/\/)?hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9+/]{43,56}/g,
    prefix: "https://hooks.slack.com/",
    aliases: ["slack", "webhook", "hook", "incoming", "url", "uri", "endpoint"],
  },
  {
    source: "gitleaks:stripe-access-token",
    provider: "stripe",
    envName: "STRIPE_API_KEY",
    pattern: /(?:sk|rk)_(?:test|live|prod)_[a-zA-Z0-9]{10,99}/g,
    prefix: "sk_",
    aliases: ["stripe", "live", "test", "prod", "restricted", "publishable"],
  },
  {
    source: "gitleaks:gcp-api-key",
    provider: "google",
    envName: "GOOGLE_API_KEY",
    pattern: /AIza[\w-]{35}/g,
    prefix: "AIza",
    aliases: ["google", "gcp", "goog", "gemini", "cloud"],
  },
  {
    source: "gitleaks:huggingface-access-token",
    provider: "huggingface",
    envName: "HF_TOKEN",
    pattern: /hf_[a-zA-Z]{34}/g,
    prefix: "hf_",
    aliases: ["hf", "hugging", "face", "huggingface", "hub"],
  },
  {
    source: "gitleaks:sendgrid-api-token",
    provider: "sendgrid",
    envName: "SENDGRID_API_KEY",
    pattern: /SG\.[a-zA-Z0-9=_\-.]{66}/g,
    prefix: "SG.",
    aliases: ["sendgrid", "sg", "mail", "email"],
  },
  {
    source: "gitleaks:twilio-api-key",
    provider: "twilio",
    envName: "TWILIO_API_KEY",
    pattern: /SK[0-9a-fA-F]{32}/g,
    prefix: "SK",
    aliases: ["twilio", "sid"],
  },
  {
    source: "gitleaks:gitlab-pat, gitlab-pat-routable",
    provider: "gitlab",
    envName: "GITLAB_TOKEN",
    pattern: /glpat-[\w-]{20,300}(?:\.[0-9a-z]{9})?/g,
    prefix: "glpat-",
    aliases: ["gitlab", "gl", "git", "lab", "pat", "personal"],
  },
  {
    source: "gitleaks:jwt",
    provider: "jwt",
    envName: "JWT_TOKEN",
    pattern: /ey[a-zA-Z0-9]{17,}\.ey[a-zA-Z0-9/\\_-]{17,}\.(?:[a-zA-Z0-9/\\_-]{10,}={0,2})?/g,
    prefix: "eyJ",
    aliases: ["jwt", "supabase", "service", "role", "anon", "bearer", "auth"],
    envNameFor: (m) => (isSupabaseJwt(m) ? "SUPABASE_KEY" : "JWT_TOKEN"),
  },
  {
    source: "gitleaks:private-key",
    provider: "private-key",
    envName: "PRIVATE_KEY",
    pattern: /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S]{64,}?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/g,
    prefix: "-----BEGIN",
    aliases: ["private", "pem", "rsa", "ssh", "ec", "dsa", "openssh", "signing", "tls", "ssl", "cert"],
  },
  {
    source: "detect-secrets:BasicAuthDetector",
    provider: "url",
    envName: "DATABASE_URL",
    pattern: URL_WITH_PASSWORD,
    aliases: ["url", "uri", "dsn", "conn", "connection", "string", "str", "database", "db", "sqlalchemy", "engine", "default", "main",
      "postgres", "postgresql", "pg", "psql", "mysql", "redis", "cache", "broker", "celery", "amqp", "rabbit", "rabbitmq", "mongo", "mongodb", "smtp", "ftp"],
    accept: (m) => urlCredential(m) !== undefined,
    envNameFor: urlEnvName,
  },
];

/**
 * The 40-character AWS secret access key has no prefix: it is only recognised next to a name
 * that says AWS or "secret access key" (detect-secrets AWSKeyDetector).
 */
export const AWS_SECRET_RULE = {
  source: "detect-secrets:AWSKeyDetector",
  provider: "aws",
  envName: "AWS_SECRET_ACCESS_KEY",
  value: /^[A-Za-z0-9/+]{40}$/,
  aliases: ["aws", "amazon", "iam", "secret", "access", "key"],
} as const;

export interface ProviderMatch {
  readonly rule: ProviderRule | typeof AWS_SECRET_RULE;
  readonly provider: string;
  readonly envName: string;
  /** The matched secret and where it sits in the value. */
  readonly secret: string;
  readonly start: number;
  readonly end: number;
}

/** A provider-shaped value that is obviously not real: repeated filler, EXAMPLE, template markers. */
function isFakeProviderValue(secret: string, prefix = ""): boolean {
  const tail = secret.startsWith(prefix) ? secret.slice(prefix.length) : secret;
  if (/x{6,}|X{6,}|\*{3,}|0{12,}|EXAMPLE|example|<|>|\$\{|\{\{/.test(tail)) return true;
  return new Set(tail).size < 6;
}

/**
 * Cheap gate in front of the provider patterns (slow over a whole file): every match of a
 * PROVIDER_RULES pattern but the URL one contains one of these (test/prefilter.test.ts checks
 * each rule), and every URL match contains a URL_GATE match.
 */
export const PROVIDER_GATE = /sk-|A3T|AKIA|ASIA|ABIA|ACCA|_pat_|gh[pousr]_|xox|hooks\.slack\.com|k_(?:test|live|prod)_|AIza|hf_|SG\.|SK[0-9a-fA-F]|glpat-|\.ey|-----BEGIN/;
export const URL_GATE = /:\/\/[^\s:@/{}'"]*:[^\s@/{}'"]+@/;

/** Every provider-shaped secret in `value`, on token boundaries, longest first where they overlap. */
export function findProviderSecrets(value: string): ProviderMatch[] {
  const found: ProviderMatch[] = [];
  if (!PROVIDER_GATE.test(value) && !URL_GATE.test(value)) return found;
  for (const rule of PROVIDER_RULES) {
    rule.pattern.lastIndex = 0;
    for (const m of value.matchAll(rule.pattern)) {
      const start = m.index!;
      const end = start + m[0].length;
      if (rule.provider !== "private-key" && rule.provider !== "url") {
        if (start > 0 && BEFORE.test(value[start - 1]!)) continue;
        if (end < value.length && AFTER.test(value[end]!)) continue;
      }
      if (rule.accept && !rule.accept(m[0])) continue;
      if (rule.provider !== "url" && rule.provider !== "private-key" && isFakeProviderValue(m[0], rule.prefix)) continue;
      found.push({ rule, provider: rule.provider, envName: rule.envNameFor?.(m[0]) ?? rule.envName, secret: m[0], start, end });
    }
  }
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: ProviderMatch[] = [];
  for (const f of found) if (!kept.some((k) => f.start < k.end && k.start < f.end)) kept.push(f);
  return kept;
}

/** The AWS secret access key rule: a 40-character key next to an AWS / secret-access-key name. */
export function awsSecretMatch(value: string, name: string | undefined): ProviderMatch | undefined {
  if (!name || !AWS_SECRET_RULE.value.test(value)) return undefined;
  const words = nameWords(name);
  const aws = words.includes("aws") || words.includes("amazon");
  const secretAccessKey = words.includes("secret") && (words.includes("access") || words.includes("aws"));
  if (!aws && !secretAccessKey) return undefined;
  if (!/[A-Z]/.test(value) || !/[a-z]/.test(value) || !/[0-9]/.test(value) || isFakeProviderValue(value)) return undefined;
  const rule = AWS_SECRET_RULE;
  return { rule, provider: rule.provider, envName: rule.envName, secret: value, start: 0, end: value.length };
}

/** The public prefix of a provider-shaped value (for masks), or "" when it has none. */
export function providerPrefix(value: string): string {
  for (const rule of PROVIDER_RULES) {
    if (rule.provider === "url") {
      const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.exec(value);
      if (scheme && urlCredential(value)) return scheme[0];
      continue;
    }
    if (!rule.prefix || !value.startsWith(rule.prefix)) continue;
    rule.pattern.lastIndex = 0;
    const m = rule.pattern.exec(value);
    rule.pattern.lastIndex = 0;
    if (m && m.index === 0) return rule.prefix;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Name rules: ruff S105-S107 / bandit B105-B107 (hardcoded-password-string, -func-arg, -default),
// detect-secrets KeywordDetector.

/** Words that make a name a credential's name on their own. */
const CREDENTIAL_WORDS = new Set([
  "password", "passwd", "pwd", "passphrase", "pswd", "secret", "secrets", "token", "credential", "credentials",
  "apikey", "accesskey", "privatekey", "clientsecret", "secretkey",
]);

/** Pairs of adjacent words that name a credential: "api key", "access key", "private key", "client secret". */
const CREDENTIAL_PAIRS: readonly [string, string][] = [["api", "key"], ["access", "key"], ["private", "key"], ["client", "secret"], ["secret", "key"], ["auth", "key"]];

/**
 * A name ending in one of these words names something *about* a credential (its field,
 * header, URL, file, type, length, ...), not the credential: `PASSWORD_FIELD`, `TOKEN_URL`.
 */
const DESCRIPTOR_WORDS = new Set([
  "field", "fields", "name", "names", "type", "types", "kind", "url", "uri", "urls", "endpoint", "path", "paths", "file", "files",
  "filename", "dir", "directory", "header", "headers", "prefix", "suffix", "env", "envvar", "var", "variable", "regex", "re",
  "pattern", "format", "fmt", "label", "placeholder", "hint", "message", "msg", "prompt", "policy", "length", "len", "min", "max",
  "expiry", "expires", "expiration", "ttl", "timeout", "lifetime", "scope", "scopes", "id", "ids", "mode", "template", "column",
  "col", "attr", "attribute", "param", "parameter", "arg", "argument", "hash", "hashed", "hasher", "hashers", "algorithm", "algo",
  "method", "provider", "backend", "class", "module", "mask", "char", "chars", "charset", "count", "counter", "index", "idx",
  "size", "version", "location", "loc", "source", "store", "storage", "cache", "validator", "validators", "error", "errors",
  "help", "text", "description", "desc", "title", "input", "widget", "form", "style", "color", "selector", "xpath", "css",
  "confirm", "confirmation", "reset", "rules", "strength", "rounds", "bytes", "bits", "encoding", "enabled", "required", "set",
  "changed", "icon", "link", "route", "view", "page", "table", "cookie", "keyring", "manager", "usage", "flag", "option", "opt",
  "setting", "settings",
]);

/** Split an identifier, attribute or key into lower-case words: `dbPassword` → ["db", "password"]. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .map((w) => w.toLowerCase())
    .filter(Boolean);
}

/** Does `name` name a credential (not a field, URL, header, ... about one)? */
export function isCredentialName(name: string): boolean {
  const words = nameWords(name);
  if (words.length === 0) return false;
  const last = words[words.length - 1]!;
  if (DESCRIPTOR_WORDS.has(last)) return false;
  if (words.some((w) => CREDENTIAL_WORDS.has(w))) return true;
  for (let i = 0; i + 1 < words.length; i++) {
    if (CREDENTIAL_PAIRS.some(([a, b]) => words[i] === a && words[i + 1] === b)) return true;
  }
  // `DB_PASS`, `smtp_pass`: "pass" only as the last word (PASS_THROUGH is not a password).
  return last === "pass";
}

/**
 * Placeholders and template markers: `changeme`, `xxxx`, `***`, `<password>`, `${DB_PASS}`,
 * `{password}`, `your-api-key`, `example`, `dummy`, ...
 */
export function isPlaceholder(value: string): boolean {
  const v = value.trim();
  const lower = v.toLowerCase();
  if (v === "") return true;
  if (/^(.)\1*$/.test(v)) return true;
  if (/x{4,}|\*{3,}|\.{3}|…|<[^>]*>|\$\{[^}]*\}|\{[^}]*\}|%\(?\w*\)?s|^\$[A-Za-z_]/i.test(v)) return true;
  if (/(^|[-_ .])your([-_ .]|$)/.test(lower)) return true;
  if (/change[-_ ]?me|change[-_ ]?this|changeit|replace[-_ ]?me|example|dummy|placeholder|redacted|fake|sample|todo|fixme|secret[-_]?here|key[-_]?here|token[-_]?here|password[-_]?here/.test(lower)) return true;
  return ["none", "null", "undefined", "nil", "false", "true", "default", "unknown", "notset", "not-set", "test", "testing"].includes(lower);
}

/** Does `value` name a field, a variable or a setting rather than hold a secret? */
function namesSomething(value: string, name: string | undefined): boolean {
  const squash = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (name && squash(value) === squash(name)) return true;
  // `GITHUB_TOKEN`: the name of an environment variable.
  if (/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/.test(value)) return true;
  // `"password"`, `"user_password"`, `"x-api-key"`: letters and separators naming a credential field.
  if (/^[A-Za-z][A-Za-z_.:-]*$/.test(value) && (isCredentialName(value) || nameWords(value).some((w) => CREDENTIAL_WORDS.has(w) || w === "key" || w === "pass"))) return true;
  // `myapp.auth.backends.TokenBackend`: a dotted import path.
  return /^[a-z_]+(?:\.[A-Za-z_]+)+$/.test(value);
}

export type Rejection = "too short" | "placeholder" | "names a field" | "not a credential";

/**
 * Why a value next to a credential name is not a credential, or undefined when it looks like
 * one: at least 8 characters, no whitespace, not a placeholder, a number, a URL without a
 * password, a path, an e-mail address or the name of something.
 */
export function rejectNameBasedValue(value: string, name: string | undefined): Rejection | undefined {
  if (value.length < 8) return "too short";
  if (isPlaceholder(value)) return "placeholder";
  if (namesSomething(value, name)) return "names a field";
  if (/\s/.test(value)) return "not a credential";
  if (/^[\d.,_:+-]+$/.test(value)) return "not a credential";
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(value)) return "not a credential";
  if (/^(\/|\.\.?\/|~\/|[A-Za-z]:\\)/.test(value) || /\.(pem|key|crt|cer|p12|pfx|json|txt|cfg|ini|ya?ml|toml|env|gpg|asc|pub|der)$/i.test(value)) return "not a credential";
  if (/^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i.test(value)) return "not a credential";
  return undefined;
}
