/**
 * Where the per-file pipeline runs: in this thread (`--jobs 1`) or on worker threads, each with
 * its own tree-sitter Parser. Only the pure processSource runs on a worker; the caller keeps
 * discovery, reading, writing and reporting, and places every outcome by its own index, so the
 * report is the same for any number of workers.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { codemods as registry } from "../../codemods/index.js";
import type { Codemod, ProjectContext } from "../codemod.js";
import { initPython } from "../python/parser.js";
import { projectContext, projectFs, type ProjectFs } from "./context.js";
import { processSource, screenSource, type FileOutcome, type ProcessOptions } from "./process.js";

export interface Task {
  /** Absolute project root (ProjectContext.root). */
  readonly root: string;
  readonly relPath: string;
  readonly bytes: Uint8Array;
  /** Index of the file's repository settings in ExecutorOptions.settings. */
  readonly settings: number;
  /** The codemods whose prefilter admits the file, when the thread that screened it found them (screenSource). */
  readonly admitted?: readonly string[];
}

/** What the per-file pipeline needs of a repository's configuration. */
export interface ProcessSettings {
  readonly codemods: readonly Codemod[];
  readonly codemodOptions?: Record<string, unknown>;
  readonly includeTests?: boolean;
}

export interface ExecutorOptions {
  /** Every distinct configuration of the run's repositories (usually one). */
  readonly settings: readonly ProcessSettings[];
  readonly maxBytes: number;
}

export interface Executor {
  /** Threads processing files in parallel (1 for the in-process executor). */
  readonly workers: number;
  /** How many tasks the caller should keep in flight to keep every worker busy. */
  readonly capacity: number;
  run(task: Task): Promise<FileOutcome>;
  close(): Promise<void>;
}

/** What a worker is started with (structured-cloneable): codemods travel as registry ids. */
export interface WorkerSetup {
  readonly settings: readonly { readonly codemodIds: readonly string[]; readonly codemodOptions: Record<string, unknown>; readonly includeTests: boolean }[];
  readonly maxBytes: number;
}

export interface TaskMessage extends Task {
  readonly id: number;
}

type ResultMessage = { readonly id: number; readonly outcome: FileOutcome } | { readonly id: number; readonly error: string };

function crashed(reason: string): FileOutcome {
  return { status: "failed", reason: `internal error: ${reason}`, changes: [], notices: [] };
}

/** Options of processSource for a task: one ProjectFs per root, so each thread reads a project file at most once. */
function taskSetup(options: ExecutorOptions): (task: Task) => { ctx: ProjectContext; process: ProcessOptions } | undefined {
  const fsByRoot = new Map<string, ProjectFs>();
  // PYREMEDY_PREFILTER=off: parse every file and run every codemod on it (the prefilter check compares).
  const prefilter = process.env.PYREMEDY_PREFILTER !== "off";
  return (task) => {
    let pfs = fsByRoot.get(task.root);
    if (!pfs) fsByRoot.set(task.root, (pfs = projectFs(task.root)));
    const settings = options.settings[task.settings];
    if (!settings) return undefined;
    const ctx = projectContext(task.root, task.relPath, pfs, settings.codemodOptions, settings.includeTests);
    return { ctx, process: { codemods: settings.codemods, maxBytes: options.maxBytes, prefilter, ...(task.admitted ? { admitted: task.admitted } : {}) } };
  };
}

/** The per-thread half shared by both executors: bytes in, outcome out. */
export function fileProcessor(options: ExecutorOptions): (task: Task) => FileOutcome {
  const setup = taskSetup(options);
  return (task) => {
    const s = setup(task);
    if (!s) return crashed(`no settings #${task.settings}`);
    try {
      return processSource(task.bytes, s.ctx, s.process);
    } catch (err) {
      return crashed((err as Error).message ?? String(err));
    }
  };
}

/** The outcome of a task when it takes no parse, else the codemods that admit it (screenSource). */
function fileScreener(options: ExecutorOptions): (task: Task) => { outcome: FileOutcome } | { admitted: string[] } {
  const setup = taskSetup(options);
  return (task) => {
    const s = setup(task);
    if (!s) return { outcome: crashed(`no settings #${task.settings}`) };
    try {
      return screenSource(task.bytes, s.ctx, s.process);
    } catch (err) {
      return { outcome: crashed((err as Error).message ?? String(err)) };
    }
  };
}

/** Run every file in this thread; yields to the event loop now and then so timers and signals get a turn. */
export async function inProcessExecutor(options: ExecutorOptions): Promise<Executor> {
  await initPython();
  const process1 = fileProcessor(options);
  let lastYield = Date.now();
  return {
    workers: 1,
    capacity: 1,
    async run(task) {
      const outcome = process1(task);
      if (Date.now() - lastYield > 50) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = Date.now();
      }
      return outcome;
    },
    async close() {},
  };
}

/** The newest modification time of the TypeScript sources under `root`'s src/ and codemods/. */
function newestSource(root: string): number {
  let newest = 0;
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  walk(path.join(root, "src"));
  walk(path.join(root, "codemods"));
  return newest;
}

let entryOverride: URL | undefined;

/** Tests: start workers from this compiled worker.js instead (see test/build.ts). */
export function setWorkerEntry(entry: URL | undefined): void {
  entryOverride = entry;
}

/**
 * The worker's entry file. Built (dist/), it sits next to this module. Run from the TypeScript
 * sources (vitest), Node cannot start a .ts worker, so the build's worker is used — and only when
 * it is at least as new as every source file, so a worker never runs stale code.
 */
export function workerEntry(): URL | undefined {
  if (entryOverride) return entryOverride;
  const here = new URL(import.meta.url);
  if (here.pathname.endsWith(".js")) return new URL("./worker.js", here);
  const root = fileURLToPath(new URL("../../", here));
  const built = path.join(root, "dist", "src", "engine", "worker.js");
  let builtAt: number;
  try {
    builtAt = fs.statSync(built).mtimeMs;
  } catch {
    return undefined;
  }
  return builtAt >= newestSource(root) ? pathToFileURL(built) : undefined;
}

/** Settings a worker can rebuild: their codemods are the registry's, named by id. */
function workerSettings(options: ExecutorOptions): WorkerSetup["settings"] | undefined {
  const fromRegistry = options.settings.every((s) => s.codemods.every((c) => registry.find((r) => r.id === c.id) === c));
  if (!fromRegistry) return undefined;
  return options.settings.map((s) => ({ codemodIds: s.codemods.map((c) => c.id), codemodOptions: s.codemodOptions ?? {}, includeTests: s.includeTests ?? false }));
}

interface Pending {
  readonly task: Task;
  readonly resolve: (outcome: FileOutcome) => void;
}

interface Slot {
  /** Undefined after a crash, until the next task starts a fresh one. */
  worker?: Worker;
  readonly pending: Map<number, Pending>;
  /** Workers of this slot that died in a row, none having finished a file (one that cannot start dies at once). */
  crashes: number;
}

/**
 * A worker's young generation (V8 sizes it by the machine, up to 48 MB). Its objects are the
 * tree-sitter nodes and strings of one file at a time: a smaller one keeps the process's peak
 * RSS down (4x the standard library: 293 MB -> 245-261 MB) at no measurable cost in time.
 */
const YOUNG_GENERATION_MB = 16;

/** After this many workers of a slot died in a row, the slot is given up: its files go elsewhere. */
const MAX_CRASHES = 3;

/** A pool of `size` worker threads fed `depth` tasks each (one running, the rest queued), least busy first. */
class WorkerPool implements Executor {
  readonly capacity: number;
  private readonly slots: Slot[] = [];
  private nextId = 0;

  constructor(
    readonly workers: number,
    private readonly entry: URL,
    private readonly setup: WorkerSetup,
    private readonly depth = 2,
    /** Where the files of a slot given up go when no slot is left (this thread); else they fail. */
    private readonly fallback?: (task: Task) => FileOutcome,
  ) {
    this.capacity = workers * depth;
    for (let i = 0; i < workers; i++) {
      const slot: Slot = { pending: new Map(), crashes: 0 };
      this.start(slot);
      this.slots.push(slot);
    }
  }

  private start(slot: Slot): Worker {
    const worker = new Worker(this.entry, { workerData: this.setup, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    slot.worker = worker;
    worker.on("message", (msg: ResultMessage) => {
      const pending = slot.pending.get(msg.id);
      if (!pending) return;
      slot.crashes = 0;
      slot.pending.delete(msg.id);
      pending.resolve("outcome" in msg ? msg.outcome : crashed(msg.error));
    });
    const fail = (reason: string): void => {
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      slot.crashes++;
      const waiting = [...slot.pending].sort(([a], [b]) => a - b);
      slot.pending.clear();
      if (waiting.length === 0) return;
      // A worker takes its messages in order: the oldest was being processed when it died (out of
      // memory, a WASM abort) and is reported failed; the others never started and go to a fresh
      // one, or, once this slot's workers keep dying (one that cannot even start), elsewhere.
      const [[, culprit], ...rest] = waiting as [[number, Pending], ...[number, Pending][]];
      culprit.resolve(crashed(reason));
      for (const [id, pending] of rest) this.repost(slot, id, pending, reason);
    };
    worker.on("error", (err) => fail(`worker crashed (${err.message})`));
    worker.on("exit", (code) => fail(`worker exited with code ${code}`));
    return worker;
  }

  private usable(slot: Slot): boolean {
    return slot.crashes < MAX_CRASHES;
  }

  /** A task that never started on `slot`'s dead worker: to a fresh one or another slot while one is usable. */
  private repost(slot: Slot, id: number, pending: Pending, reason: string): void {
    const target = this.usable(slot) ? slot : this.slots.find((s) => this.usable(s));
    if (target) this.post(target, id, pending);
    else this.withoutWorkers(pending, reason);
  }

  /** Every slot given up: the fallback (this thread) processes the task, or it fails. */
  private withoutWorkers(pending: Pending, reason: string): void {
    const fallback = this.fallback;
    if (fallback) setImmediate(() => pending.resolve(fallback(pending.task)));
    else pending.resolve(crashed(`${reason}; ${MAX_CRASHES} workers in a row died before finishing a file, none is started again`));
  }

  private post(slot: Slot, id: number, pending: Pending): void {
    slot.pending.set(id, pending);
    // A private copy, moved (not copied again) to the worker: the caller keeps its bytes for the write.
    const bytes = new Uint8Array(pending.task.bytes);
    const message: TaskMessage = { ...pending.task, id, bytes };
    (slot.worker ?? this.start(slot)).postMessage(message, [bytes.buffer]);
  }

  /**
   * Should `task` go to a worker rather than keep this thread busy? Yes while some worker's queue
   * is shorter than `depth`, or holds less source than twice the task's (this thread would still
   * be on it when the worker runs dry), up to MAX_QUEUED files.
   */
  wants(task: Task): boolean {
    return this.slots.some((s) => {
      if (!this.usable(s)) return false;
      if (s.pending.size < this.depth) return true;
      if (s.pending.size >= MAX_QUEUED) return false;
      let bytes = 0;
      for (const p of s.pending.values()) bytes += p.task.bytes.length;
      return bytes < Math.max(MIN_QUEUED_BYTES, 2 * task.bytes.length);
    });
  }

  run(task: Task): Promise<FileOutcome> {
    const live = this.slots.filter((s) => this.usable(s));
    if (live.length === 0) {
      return new Promise((resolve) => this.withoutWorkers({ task, resolve }, "no worker left"));
    }
    const slot = live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    return new Promise((resolve) => this.post(slot, this.nextId++, { task, resolve }));
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker?.terminate()));
  }
}

/** Files queued per worker while this thread works too, at least... */
const SHARED_DEPTH = 2;
/** ...and this much source (some 100 ms of parsing), or twice the file this thread would take, up to MAX_QUEUED files. */
const MIN_QUEUED_BYTES = 256 * 1024;
const MAX_QUEUED = 16;

/**
 * This thread and a pool of workers. This thread screens every file (decoding and the codemods'
 * prefilters: most files end there, with no message to a worker); a file that must be parsed goes
 * to a worker while one needs work, else this thread processes it (and then lets the workers'
 * results in). This thread has the codemods and the parser loaded anyway; a worker in its place
 * would load and warm them up once more.
 */
class SharedExecutor implements Executor {
  readonly capacity: number;

  constructor(
    readonly workers: number,
    private readonly pool: WorkerPool,
    private readonly screen: (task: Task) => { outcome: FileOutcome } | { admitted: string[] },
    private readonly local: (task: Task) => FileOutcome,
  ) {
    this.capacity = workers * MAX_QUEUED + 1;
  }

  /** Work of this thread is done one task per turn of the event loop: the workers' results come in between. */
  private busy = false;
  private readonly waiting: (() => void)[] = [];

  private async exclusive<T>(work: () => T): Promise<T> {
    if (this.busy) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.busy = true;
    try {
      return work();
    } finally {
      // Handed over on the next turn, after the event loop has polled for the workers' messages
      // (resolving a promise here would run the next one before them).
      setImmediate(() => {
        const next = this.waiting.shift();
        if (next) next();
        else this.busy = false;
      });
    }
  }

  async run(task: Task): Promise<FileOutcome> {
    return this.exclusive(() => {
      const screened = this.screen(task);
      if ("outcome" in screened) return screened.outcome;
      // The prefilters are not run twice: the task says which codemods admitted the file.
      const parse = { ...task, admitted: screened.admitted };
      if (this.pool.wants(parse)) return this.pool.run(parse);
      return this.local(parse);
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * An executor for `jobs` threads over `files` files: in this thread when one thread is enough
 * (or when the codemods are not all from the registry, or no worker build is available from
 * sources), otherwise this thread and min(jobs, files) − 1 workers.
 */
export async function createExecutor(jobs: number, files: number, options: ExecutorOptions): Promise<Executor> {
  const size = Math.min(jobs, files);
  const settings = size > 1 ? workerSettings(options) : undefined;
  const entry = settings ? workerEntry() : undefined;
  if (!settings || !entry) return inProcessExecutor(options);
  await initPython();
  const local = fileProcessor(options);
  // A slot whose workers keep dying is given up; its files are processed here.
  const pool = new WorkerPool(size - 1, entry, { settings, maxBytes: options.maxBytes }, SHARED_DEPTH, local);
  return new SharedExecutor(size, pool, fileScreener(options), local);
}
