/**
 * Secret values never reach a report in full: at most the provider's public prefix and the
 * last four characters (`sk-ant-…AbAA`); short values not even that.
 */
import { providerPrefix } from "../secrets/patterns.js";

export function maskSecret(value: string): string {
  if (value.length < 12) return "****";
  return `${providerPrefix(value)}…${value.slice(-4)}`;
}

/**
 * The strings to hide for one secret: the value, and each line of a multi-line value (a PEM
 * key), which a line-based diff shows one at a time, whether the source wrote real line breaks
 * or `\n` escapes.
 */
function fragments(secret: string): string[] {
  if (!/[\r\n]/.test(secret)) return [secret];
  const lines = secret.split(/\r\n|\r|\n/).map((l) => l.trim()).filter((l) => l.length >= 8);
  return [secret, ...lines];
}

/** Replace every occurrence of each secret in `text` by its mask (longest first). */
export function maskAll(text: string, secrets: Iterable<string>): string {
  const values = [...new Set([...secrets].flatMap(fragments))].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  let out = text;
  for (const v of values) out = out.split(v).join(maskSecret(v));
  return out;
}
