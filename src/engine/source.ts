/**
 * Bytes ↔ text, losslessly. A file is decoded only if encoding the decoded text gives back the
 * very same bytes; otherwise it is skipped, so a write can never change bytes we did not edit.
 */

import { isAscii, isUtf8 } from "node:buffer";

export interface DecodedSource {
  readonly text: string;
  /** The label we decode and encode with: "utf-8" or a single-byte codec. */
  readonly encoding: string;
  readonly bom: boolean;
  /** The file's dominant line ending, used for inserted lines. */
  readonly eol: "\n" | "\r\n" | "\r";
}

export type DecodeResult = { ok: true; source: DecodedSource } | { ok: false; reason: string };

const COOKIE = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;
const BOM = [0xef, 0xbb, 0xbf];

/** Normalised PEP 263 names → WHATWG labels. Latin-1 is special: WHATWG maps it to cp1252. */
const ALIASES: Record<string, string> = {
  utf8: "utf-8", "utf-8": "utf-8", "utf_8": "utf-8", "utf-8-sig": "utf-8",
  latin1: "latin1", "latin-1": "latin1", "iso-8859-1": "latin1", "iso8859-1": "latin1", "iso_8859_1": "latin1", l1: "latin1",
  cp1252: "windows-1252", "windows-1252": "windows-1252",
  ascii: "ascii", "us-ascii": "ascii",
};

const SINGLE_BYTE = /^(latin1|ascii|windows-12\d\d|iso-8859-\d+|cp125\d|koi8-[ru]|cp866|ibm866|mac(intosh|roman)?)$/;

function codingCookie(bytes: Uint8Array, start: number): string | undefined {
  // PEP 263: the cookie must be on line 1 or 2.
  let pos = start;
  for (let line = 0; line < 2 && pos < bytes.length; line++) {
    let end = pos;
    while (end < bytes.length && bytes[end] !== 0x0a && bytes[end] !== 0x0d) end++;
    const text = Buffer.from(bytes.subarray(pos, end)).toString("latin1");
    const m = COOKIE.exec(text);
    if (m) return m[1]!.toLowerCase();
    // Line 2 counts only if line 1 is blank or a comment.
    if (!/^[ \t\f]*(#.*)?$/.test(text)) return undefined;
    pos = end;
    if (bytes[pos] === 0x0d) pos++;
    if (bytes[pos] === 0x0a) pos++;
  }
  return undefined;
}

function dominantEol(text: string): "\n" | "\r\n" | "\r" {
  if (!text.includes("\r")) return "\n";
  let crlf = 0, lf = 0, cr = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) { crlf++; i++; } else cr++;
    } else if (c === 10) lf++;
  }
  if (crlf > lf && crlf >= cr) return "\r\n";
  if (cr > lf && cr > crlf) return "\r";
  return "\n";
}

/**
 * The index of the first CR that does not start a CRLF, if any. Python reads a lone CR as a line
 * break; tree-sitter-python reads it as blank space, so the two see different programs (a
 * statement after a lone CR can even hide inside a comment), and no edit made on tree-sitter's
 * view can be trusted.
 */
export function loneCarriageReturn(text: string): number | undefined {
  for (let i = text.indexOf("\r"); i >= 0; i = text.indexOf("\r", i + 1)) {
    if (text.charCodeAt(i + 1) !== 10) return i;
  }
  return undefined;
}

/**
 * cp1252's 0x80–0x9F (Node 20's TextDecoder drops these bytes, so we decode cp1252 ourselves).
 * 0 marks the five bytes cp1252 leaves undefined.
 */
const CP1252_HIGH = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
  0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];

function decodeCp1252(body: Uint8Array): string {
  let out = "";
  for (const b of body) {
    if (b < 0x80 || b > 0x9f) out += String.fromCharCode(b);
    else if (CP1252_HIGH[b - 0x80]) out += String.fromCharCode(CP1252_HIGH[b - 0x80]!);
    else throw new Error(`byte 0x${b.toString(16)} is undefined in cp1252`);
  }
  return out;
}

function singleByteDecode(label: string, body: Uint8Array): string {
  return label === "windows-1252" ? decodeCp1252(body) : new TextDecoder(label, { fatal: true }).decode(body);
}

const singleByteTables = new Map<string, Map<number, number>>();

function singleByteEncoder(label: string): Map<number, number> {
  let table = singleByteTables.get(label);
  if (!table) {
    table = new Map();
    for (let b = 0; b < 256; b++) {
      let ch: string;
      try {
        ch = singleByteDecode(label, Uint8Array.of(b));
      } catch {
        continue;
      }
      if (ch.length === 1 && ch !== "\ufffd") table.set(ch.charCodeAt(0), b);
    }
    singleByteTables.set(label, table);
  }
  return table;
}

function decodeWith(encoding: string, body: Uint8Array): string {
  if (encoding === "latin1") return Buffer.from(body).toString("latin1");
  if (encoding === "ascii") {
    if (body.some((b) => b > 0x7f)) throw new Error("non-ASCII byte in an ASCII file");
    return Buffer.from(body).toString("latin1");
  }
  if (encoding === "utf-8") return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body);
  return singleByteDecode(encoding, body);
}

/** Encode text the way it was decoded. Throws when a character cannot be represented. */
export function encodeSource(text: string, source: Pick<DecodedSource, "encoding" | "bom">): Uint8Array {
  let body: Uint8Array;
  if (source.encoding === "utf-8") {
    body = Buffer.from(text, "utf8");
  } else {
    const max = source.encoding === "latin1" ? 0xff : source.encoding === "ascii" ? 0x7f : -1;
    const table = max < 0 ? singleByteEncoder(source.encoding) : undefined;
    body = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const b = table ? table.get(c) : c <= max ? c : undefined;
      if (b === undefined) throw new Error(`character U+${c.toString(16).toUpperCase().padStart(4, "0")} cannot be written in ${source.encoding}`);
      body[i] = b;
    }
  }
  if (!source.bom) return body;
  const out = new Uint8Array(body.length + 3);
  out.set(BOM, 0);
  out.set(body, 3);
  return out;
}

export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 8192).indexOf(0) >= 0;
}

/** The line ending is counted only when asked for: most files are never parsed. */
function decodedSource(text: string, encoding: string, bom: boolean): DecodedSource {
  let eol: DecodedSource["eol"] | undefined;
  return {
    text,
    encoding,
    bom,
    get eol() {
      return (eol ??= dominantEol(text));
    },
  };
}

export function decodeSource(bytes: Uint8Array): DecodeResult {
  if (looksBinary(bytes)) return { ok: false, reason: "binary file (NUL byte)" };
  const bom = bytes.length >= 3 && bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2];
  const start = bom ? 3 : 0;
  const cookie = codingCookie(bytes, start);
  let encoding = "utf-8";
  if (cookie) {
    const normal = ALIASES[cookie] ?? ALIASES[cookie.replace(/_/g, "-")] ?? cookie.replace(/_/g, "-");
    if (bom && normal !== "utf-8") return { ok: false, reason: `UTF-8 BOM contradicts coding cookie '${cookie}'` };
    if (normal !== "utf-8" && !SINGLE_BYTE.test(normal)) {
      return { ok: false, reason: `unsupported source encoding '${cookie}' (multi-byte codecs are not rewritten)` };
    }
    encoding = normal;
  }
  const body = bytes.subarray(start);
  if (encoding === "utf-8" || encoding === "ascii") {
    // Valid UTF-8 (no surrogates, no overlong forms) always encodes back to the same bytes: no
    // round trip needed. ASCII, the common case, becomes a one-byte string directly.
    const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    if (isAscii(buffer)) return { ok: true, source: decodedSource(buffer.toString("latin1"), encoding, bom) };
    if (encoding === "utf-8" && isUtf8(buffer)) return { ok: true, source: decodedSource(buffer.toString("utf8"), encoding, bom) };
    return { ok: false, reason: `not valid ${encoding === "utf-8" ? "UTF-8" : encoding} (undecodable bytes)` };
  }
  let text: string;
  try {
    text = decodeWith(encoding, body);
  } catch {
    return { ok: false, reason: `not valid ${encoding} (undecodable bytes)` };
  }
  const source = decodedSource(text, encoding, bom);
  // Round-trip guard: what we would write for an unchanged file must be the file itself.
  let again: Uint8Array;
  try {
    again = encodeSource(text, source);
  } catch {
    return { ok: false, reason: `encoding '${encoding}' does not round-trip` };
  }
  if (Buffer.compare(Buffer.from(again), Buffer.from(bytes)) !== 0) {
    return { ok: false, reason: `encoding '${encoding}' does not round-trip` };
  }
  return { ok: true, source };
}
