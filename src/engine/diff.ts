import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";

/** A unified diff of one file, with `a/` and `b/` prefixes that `git apply` accepts from the root. */
export function unifiedDiff(relPath: string, before: string, after: string, prefix = ""): string {
  const name = prefix ? `${prefix.replace(/\/+$/, "")}/${relPath}` : relPath;
  const patch = createTwoFilesPatch(`a/${name}`, `b/${name}`, before, after, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
  return patch.replace(/^((?:---|\+\+\+) [^\n]*?)\t$/gm, "$1");
}
