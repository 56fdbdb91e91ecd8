/**
 * The registry: an explicit list, sorted by id (ESLint's lib/rules/index.js). The order is
 * also the order in which codemods run and, in fix branches, the order of their commits.
 */
import type { Codemod } from "../src/codemod.js";
import { initExports } from "./init-exports.js";
import { narrowExcept } from "./narrow-except.js";
import { secretsToEnv } from "./secrets-to-env.js";
import { verifySsl } from "./verify-ssl.js";

export const codemods: readonly Codemod[] = [initExports, narrowExcept, secretsToEnv, verifySsl];

export function codemodById(id: string): Codemod | undefined {
  return codemods.find((c) => c.id === id);
}
