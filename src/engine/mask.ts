/**
 * Secret values never reach a report in full: a prefix and the last four characters at most.
 */

export function maskSecret(value: string): string {
  if (value.length < 12) return "****";
  const prefix = value.slice(0, Math.min(4, Math.floor(value.length / 4)));
  return `${prefix}****${value.slice(-4)}`;
}

/** Replace every occurrence of each secret in `text` by its mask (longest first). */
export function maskAll(text: string, secrets: Iterable<string>): string {
  const values = [...new Set(secrets)].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  let out = text;
  for (const v of values) out = out.split(v).join(maskSecret(v));
  return out;
}
