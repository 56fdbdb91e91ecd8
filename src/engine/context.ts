/**
 * The file-system side of ProjectContext: read-only, cached, and confined to the root.
 */
import fs from "node:fs";
import path from "node:path";
import type { ProjectContext } from "../codemod.js";

export interface ProjectFs {
  readText(relPath: string): string | undefined;
  listDir(relPath: string): string[] | undefined;
}

function confined(root: string, relPath: string): string | undefined {
  const abs = path.resolve(root, relPath);
  const rel = path.relative(root, abs);
  if (rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
  return abs;
}

/**
 * Texts kept for the next read, in all (UTF-16 code units): secrets-to-env reads every Python file
 * of a project once to see its names, and a cache of every one would hold the whole project in
 * memory in each thread. Beyond this, texts are read again when asked for.
 */
const CACHED_CHARS = 8 * 1024 * 1024;

export function projectFs(root: string): ProjectFs {
  const texts = new Map<string, string | undefined>();
  const dirs = new Map<string, string[] | undefined>();
  let cached = 0;
  return {
    readText(relPath) {
      if (texts.has(relPath)) return texts.get(relPath);
      const abs = confined(root, relPath);
      let text: string | undefined;
      try {
        if (abs && fs.statSync(abs).isFile() && fs.statSync(abs).size <= 4 * 1024 * 1024) text = fs.readFileSync(abs, "utf8");
      } catch {
        text = undefined;
      }
      if (cached + (text?.length ?? 0) <= CACHED_CHARS) {
        texts.set(relPath, text);
        cached += text?.length ?? 0;
      }
      return text;
    },
    listDir(relPath) {
      if (dirs.has(relPath)) return dirs.get(relPath);
      const abs = confined(root, relPath);
      let names: string[] | undefined;
      try {
        names = abs ? fs.readdirSync(abs, { withFileTypes: true }).map((d) => (d.isDirectory() ? `${d.name}/` : d.name)).sort() : undefined;
      } catch {
        names = undefined;
      }
      dirs.set(relPath, names);
      return names;
    },
  };
}

export function projectContext(root: string, relPath: string, pfs: ProjectFs, options: Record<string, unknown> = {}, includeTests = false): ProjectContext {
  return { root, relPath, readText: pfs.readText, listDir: pfs.listDir, options, includeTests };
}
