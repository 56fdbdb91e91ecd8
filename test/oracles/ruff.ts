/**
 * ruff's WASM build as an independent oracle: which findings does a detector still report?
 */
import { PositionEncoding, Workspace } from "@astral-sh/ruff-wasm-nodejs";

export interface Finding {
  readonly code: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

const workspaces = new Map<string, Workspace>();

/**
 * ruff findings of `rules` in `source` (ruff honours `# noqa` itself). `settings`: more of ruff's
 * `lint` table, e.g. `{ "flake8-bandit": { "check-typed-exception": true }, "logger-objects": [...] }`.
 */
export function ruffFindings(source: string, rules: readonly string[], settings: Record<string, unknown> = {}): Finding[] {
  const key = [...rules].sort().join(",") + JSON.stringify(settings);
  let ws = workspaces.get(key);
  if (!ws) {
    ws = new Workspace({ lint: { ...settings, select: [...rules] } }, PositionEncoding.Utf16);
    workspaces.set(key, ws);
  }
  const diagnostics = ws.check(source) as { code: string | null; message: string; start_location: { row: number; column: number } }[];
  return diagnostics
    .filter((d) => d.code && rules.some((r) => d.code!.startsWith(r)))
    .map((d) => ({ code: d.code!, line: d.start_location.row, column: d.start_location.column, message: d.message }));
}
