/**
 * Provider-shaped fake credentials, built at test time so no live-looking value is ever on disk
 * (secret scanners and push protection would rightly flag them). Deterministic: the same kind
 * and variant always give the same value, so template fixtures have stable expected outputs.
 *
 * Templates (fixtures/secrets-to-env/providers/*.input.py.tmpl) write `@@kind@@` or
 * `@@kind#2@@` (a second, different value of the same kind); `expandTemplate` fills them in.
 */

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64URL = `${ALNUM}-_`;
const UPPER32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX = "0123456789abcdef";
const DIGITS = "0123456789";
const LETTERS = ALNUM.slice(0, 52);

/** mulberry32: a tiny seeded generator. */
function generator(seed: string): () => number {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function b64url(s: string): string {
  return Buffer.from(s, "utf8").toString("base64").replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

/** Kinds of fake values, by the provider rule they exercise. */
const KINDS: Record<string, (r: (alphabet: string, n: number) => string) => string> = {
  anthropic: (r) => ["sk", "ant", "api03"].join("-") + "-" + r(B64URL, 93) + "AA",
  "anthropic-admin": (r) => ["sk", "ant", "admin01"].join("-") + "-" + r(B64URL, 93) + "AA",
  openai: (r) => ["sk", "proj"].join("-") + "-" + r(B64URL, 74) + "T3Blbk" + "FJ" + r(B64URL, 74),
  "openai-legacy": (r) => "sk" + "-" + r(ALNUM, 20) + "T3Blbk" + "FJ" + r(ALNUM, 20),
  "aws-id": (r) => "AK" + "IA" + r(UPPER32, 16),
  "aws-id-example": () => "AK" + "IA" + "IOSFODNN7" + "EXAMPLE",
  "aws-secret": (r) => r(ALNUM, 12) + "/" + r(ALNUM, 12) + "+" + r(ALNUM, 14),
  github: (r) => "gh" + "p_" + r(ALNUM, 36),
  "github-placeholder": () => "gh" + "p_" + "x".repeat(36),
  "github-fine": (r) => "github" + "_pat_" + r(ALNUM + "_", 82),
  "slack-bot": (r) => "xo" + "xb-" + r(DIGITS, 11) + "-" + r(DIGITS, 12) + "-" + r(ALNUM, 24),
  "slack-user": (r) => "xo" + "xp-" + r(DIGITS, 11) + "-" + r(DIGITS, 11) + "-" + r(DIGITS, 12) + "-" + r(HEX, 32),
  "slack-webhook": (r) => "https://hooks." + "slack.com/services/" + "T" + r(UPPER32, 8) + "/B" + r(UPPER32, 8) + "/" + r(ALNUM, 24),
  stripe: (r) => "sk" + "_live_" + r(ALNUM, 24),
  google: (r) => "AI" + "za" + r(B64URL, 35),
  huggingface: (r) => "hf" + "_" + r(LETTERS, 34),
  sendgrid: (r) => "SG" + "." + r(B64URL, 22) + "." + r(B64URL, 43),
  twilio: (r) => "S" + "K" + r(HEX, 32),
  gitlab: (r) => "gl" + "pat-" + r(ALNUM, 20),
  "jwt-supabase": (r) =>
    b64url(JSON.stringify({ alg: "HS256", typ: "JWT" })) + "." + b64url(JSON.stringify({ iss: "supabase", ref: r(LETTERS, 20).toLowerCase(), role: "service_role", iat: 1700000000 })) + "." + r(B64URL, 43),
  jwt: (r) => b64url(JSON.stringify({ alg: "HS256", typ: "JWT" })) + "." + b64url(JSON.stringify({ sub: r(DIGITS, 8), name: "svc", iat: 1700000000 })) + "." + r(B64URL, 43),
  pem: (r) => pem(r),
  "pem-escaped": (r) => pem(r).replace(/\n/g, "\\n"),
  "postgres-url": (r) => "postgresql://" + "billing:" + r(ALNUM, 18) + "@db.internal:5432/billing",
  "redis-url": (r) => "redis://" + ":" + r(ALNUM, 20) + "@cache.internal:6379/0",
  "amqp-url": (r) => "amqp://" + "worker:" + r(ALNUM, 16) + "@rabbit.internal:5672/jobs",
  "mongo-url": (r) => "mongodb+srv://" + "app:" + r(ALNUM, 16) + "@cluster0.mongo.internal/app",
};

function pem(r: (alphabet: string, n: number) => string): string {
  const body = Array.from({ length: 6 }, () => r(`${ALNUM}+/`, 64)).join("\n");
  const kind = "RSA " + "PRIVATE KEY";
  return `-----BEGIN ${kind}-----\n${body}\n-----END ${kind}-----`;
}

/** The fake value of `kind` (variant 1, 2, ... give different values). */
export function fakeSecret(kind: string, variant = 1): string {
  const make = KINDS[kind];
  if (!make) throw new Error(`unknown fake secret kind '${kind}'`);
  const next = generator(`${kind}#${variant}`);
  const r = (alphabet: string, n: number): string => Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
  return make(r);
}

export const FAKE_KINDS = Object.keys(KINDS);

const TOKEN = /@@([a-z0-9-]+)(?:#(\d+))?@@/g;

/** Fill a template's `@@kind@@` / `@@kind#n@@` tokens; also returns every value used. */
export function expandTemplate(template: string): { text: string; values: string[] } {
  const values: string[] = [];
  const text = template.replace(TOKEN, (_, kind: string, variant?: string) => {
    const v = fakeSecret(kind, variant ? Number(variant) : 1);
    values.push(v);
    return v;
  });
  return { text, values: [...new Set(values)] };
}
