/**
 * Worker-thread entry (see workers.ts): its own tree-sitter runtime, the codemods rebuilt from
 * their registry ids, and the pure per-file pipeline. Bytes in, outcome out; no writes.
 */
import { parentPort, workerData } from "node:worker_threads";
import { codemods as registry } from "../../codemods/index.js";
import type { Codemod } from "../codemod.js";
import { initPython } from "../python/parser.js";
import { fileProcessor, type TaskMessage, type WorkerSetup } from "./workers.js";

const port = parentPort;
if (!port) throw new Error("worker.ts runs only as a worker thread");
const setup = workerData as WorkerSetup;

function byId(id: string): Codemod {
  const codemod = registry.find((c) => c.id === id);
  if (!codemod) throw new Error(`unknown codemod '${id}' in worker`);
  return codemod;
}

await initPython();
const processFile = fileProcessor({
  settings: setup.settings.map((s) => ({ codemods: s.codemodIds.map(byId), codemodOptions: s.codemodOptions, includeTests: s.includeTests })),
  maxBytes: setup.maxBytes,
});

port.on("message", (task: TaskMessage) => {
  const outcome = processFile(task);
  const transfer: ArrayBuffer[] = [];
  let output = outcome.output;
  if (output) {
    // Own buffer, so moving it cannot detach a pooled Buffer shared with other values.
    output = new Uint8Array(output);
    transfer.push(output.buffer as ArrayBuffer);
  }
  port.postMessage({ id: task.id, outcome: output ? { ...outcome, output } : outcome }, transfer);
});
