/**
 * Seeded byte-level mutations of Python sources: the damage real files arrive with (a truncated
 * download, a bad merge, an editor mixing tabs and spaces or line endings, a stray binary byte)
 * and the extremes a parser or a recursive walk can trip on (very long lines, deep nesting).
 * Everything is a function of the random generator, so a seed reproduces a run.
 */

/** A small, fast, seedable generator (mulberry32). */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

const LF = 0x0a;
const CR = 0x0d;

/** Split into lines that keep their line endings (`\n`, `\r\n` or `\r`). */
export function splitLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === LF || bytes[i] === CR) {
      if (bytes[i] === CR && bytes[i + 1] === LF) i++;
      lines.push(bytes.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

const ascii = (s: string): Uint8Array => Buffer.from(s, "latin1");

function insertAt(bytes: Uint8Array, at: number, extra: Uint8Array): Uint8Array {
  return concat([bytes.subarray(0, at), extra, bytes.subarray(at)]);
}

/** A line boundary (start of a line), or the end. */
function lineStart(rng: Rng, bytes: Uint8Array): number {
  const lines = splitLines(bytes);
  let pos = 0;
  const n = rng.int(lines.length + 1);
  for (let i = 0; i < n; i++) pos += lines[i]!.length;
  return pos;
}

function bodyOf(line: Uint8Array): { body: Uint8Array; eol: Uint8Array } {
  let end = line.length;
  while (end > 0 && (line[end - 1] === LF || line[end - 1] === CR)) end--;
  return { body: line.subarray(0, end), eol: line.subarray(end) };
}

export interface Mutator {
  readonly name: string;
  apply(rng: Rng, bytes: Uint8Array, donor: Uint8Array): Uint8Array;
}

/** Byte sequences that are not valid UTF-8 (lone lead/continuation bytes, overlong forms, surrogates, > U+10FFFF). */
const INVALID_UTF8 = [[0xff], [0xfe], [0x80], [0xc3], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]];

const NEST_OPENERS = ["(", "[", "{"];
const CLOSE: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

export const MUTATORS: readonly Mutator[] = [
  {
    name: "truncate",
    apply: (rng, b) => b.subarray(0, rng.int(b.length + 1)),
  },
  {
    name: "delete-lines",
    apply(rng, b) {
      const lines = splitLines(b);
      if (lines.length === 0) return b;
      const at = rng.int(lines.length);
      lines.splice(at, 1 + rng.int(Math.min(3, lines.length - at)));
      return concat(lines);
    },
  },
  {
    name: "duplicate-lines",
    apply(rng, b) {
      const lines = splitLines(b);
      if (lines.length === 0) return b;
      const at = rng.int(lines.length);
      const span = lines.slice(at, at + 1 + rng.int(4));
      lines.splice(rng.int(lines.length + 1), 0, ...span);
      return concat(lines);
    },
  },
  {
    name: "splice-donor-lines",
    apply(rng, b, donor) {
      const theirs = splitLines(donor);
      if (theirs.length === 0) return b;
      const at = rng.int(theirs.length);
      const lines = splitLines(b);
      lines.splice(rng.int(lines.length + 1), 0, ...theirs.slice(at, at + 1 + rng.int(6)));
      return concat(lines);
    },
  },
  {
    name: "invalid-utf8",
    apply: (rng, b) => insertAt(b, rng.int(b.length + 1), Uint8Array.from(rng.pick(INVALID_UTF8))),
  },
  {
    name: "tabs-and-spaces",
    apply(rng, b) {
      return concat(splitLines(b).map((line) => {
        if (!rng.chance(0.3)) return line;
        const text = Buffer.from(line).toString("latin1");
        const indent = /^[ \t]*/.exec(text)![0];
        if (!indent) return line;
        const swapped = rng.pick([
          indent.replace(/ {4}/g, "\t"),
          indent.replace(/\t/g, "    "),
          indent.replace(/\t/g, "        "),
          `\t${indent}`,
          `${indent.slice(0, -1)}\t`,
          ` ${indent}`,
        ]);
        return ascii(swapped + text.slice(indent.length));
      }));
    },
  },
  {
    name: "line-endings",
    apply(rng, b) {
      const style = rng.int(4); // 0-2: everything to one ending; 3: each line at random
      const endings = [ascii("\n"), ascii("\r\n"), ascii("\r")];
      return concat(splitLines(b).map((line) => {
        const { body, eol } = bodyOf(line);
        if (eol.length === 0) return line;
        return concat([body, style < 3 ? endings[style]! : rng.pick(endings)]);
      }));
    },
  },
  {
    name: "long-line",
    apply(rng, b) {
      const n = 20_000 + rng.int(200_000);
      const kind = rng.int(4);
      const long =
        kind === 0 ? `x = "${"a".repeat(n)}"\n` :
        kind === 1 ? `y = ${"1 + ".repeat(Math.floor(n / 4))}1\n` :
        kind === 2 ? `# ${"#".repeat(n)}\n` :
        `z = [${"0, ".repeat(Math.floor(n / 3))}]\n`;
      if (rng.chance(0.5)) return insertAt(b, lineStart(rng, b), ascii(long));
      // Lengthen an existing line with a trailing comment.
      const lines = splitLines(b);
      if (lines.length === 0) return ascii(long);
      const at = rng.int(lines.length);
      const { body, eol } = bodyOf(lines[at]!);
      lines[at] = concat([body, ascii(`  # ${"x".repeat(n)}`), eol]);
      return concat(lines);
    },
  },
  {
    name: "nul-byte",
    apply(rng, b) {
      // Half the time past the first 8 KiB, where the binary sniff does not look.
      const at = rng.chance(0.5) && b.length > 0 ? rng.int(b.length + 1) : Math.min(b.length, 8192 + rng.int(64));
      const padded = b.length < at ? concat([b, ascii("#".repeat(at - b.length))]) : b;
      return insertAt(padded, at, Uint8Array.of(0));
    },
  },
  {
    name: "deep-nesting",
    apply(rng, b) {
      const depth = 50 + rng.int(1500);
      const kind = rng.int(4);
      let block: string;
      if (kind === 0) {
        const open = rng.pick(NEST_OPENERS);
        block = `v = ${open.repeat(depth)}1${CLOSE[open]!.repeat(depth)}\n`;
      } else if (kind === 1) {
        // Nested blocks with a bare except at the bottom: something for narrow-except to fix deep down.
        const levels = Math.min(depth, 90);
        const lines: string[] = [];
        for (let i = 0; i < levels; i++) lines.push(`${" ".repeat(i)}if x${i}:`);
        const pad = " ".repeat(levels);
        lines.push(`${pad}try:`, `${pad} f()`, `${pad}except:`, `${pad} pass`);
        block = `${lines.join("\n")}\n`;
      } else if (kind === 2) {
        block = `w = ${"-".repeat(depth)}1\nu = ${"not ".repeat(depth)}x\n`;
      } else {
        block = `t = ${"f(".repeat(depth)}requests.get(u, verify=False)${")".repeat(depth)}\n`;
      }
      return insertAt(b, lineStart(rng, b), ascii(block));
    },
  },
  {
    name: "bom-and-cookie",
    apply(rng, b) {
      const bom = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
      switch (rng.int(4)) {
        case 0: return bom ? b.subarray(3) : insertAt(b, 0, Uint8Array.of(0xef, 0xbb, 0xbf));
        case 1: return insertAt(b, 0, ascii(`# -*- coding: ${rng.pick(["latin-1", "utf-8", "cp1252", "ascii", "koi8-r", "utf-16", "bogus"])} -*-\n`));
        case 2: return insertAt(b, 0, ascii("#!/usr/bin/env python\n# vim: set fileencoding=latin-1 :\n"));
        default: return insertAt(b, rng.int(b.length + 1), Uint8Array.of(0xef, 0xbb, 0xbf));
      }
    },
  },
  {
    name: "flip-byte",
    apply(rng, b) {
      if (b.length === 0) return b;
      const out = Uint8Array.from(b);
      const at = rng.int(out.length);
      out[at] = rng.chance(0.5) ? rng.pick([0x28, 0x29, 0x3a, 0x22, 0x27, 0x23, 0x5c, 0x20, 0x09, 0x0a]) : rng.int(128);
      return out;
    },
  },
];

export interface Mutation {
  readonly bytes: Uint8Array;
  readonly applied: readonly string[];
}

/** One to three mutations of `bytes` (the donor lends lines to splice in). */
export function mutate(rng: Rng, bytes: Uint8Array, donor: Uint8Array): Mutation {
  const applied: string[] = [];
  let out = bytes;
  const count = 1 + rng.int(3);
  for (let i = 0; i < count; i++) {
    const m = rng.pick(MUTATORS);
    out = m.apply(rng, out, donor);
    applied.push(m.name);
  }
  return { bytes: out, applied };
}
