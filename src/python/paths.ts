/**
 * Facts about a file from its path alone.
 */

const TEST_DIRS = new Set(["test", "tests", "testing", "unittests"]);

/** Test code: under a test/tests directory, or named test_*.py, *_test.py or conftest.py. */
export function isTestPath(relPath: string): boolean {
  const parts = relPath.split("/");
  const name = parts[parts.length - 1] ?? "";
  if (parts.slice(0, -1).some((p) => TEST_DIRS.has(p))) return true;
  return /^test_.*\.py$/.test(name) || /_test\.py$/.test(name) || name === "conftest.py";
}
