/**
 * init-exports beyond the byte-exact fixtures: the fixed packages import with python3 and
 * every name in `__all__` resolves, `__version__` is the packaging version; packaging metadata
 * and public-name reading on their own; ruff agrees with the import order and formatting.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { PositionEncoding, Workspace } from "@astral-sh/ruff-wasm-nodejs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initExports } from "../codemods/init-exports.js";
import { runFix } from "../src/engine/run.js";
import { verificationSummary, verifyImports, withVerification } from "../src/engine/verify.js";
import { locatePackage, parseIni, readDistribution, type ProjectReader } from "../src/python/packaging.js";
import { moduleInterface, sortDunderAll, sortNames } from "../src/python/public-names.js";
import { fixtureCases, fixtureContext, FIXTURES, runOn, setup } from "./helpers.js";
import { ruffFindings } from "./oracles/ruff.js";
import { runCli } from "./run-cli.js";

beforeAll(setup);

const CASES = path.join(FIXTURES, "init-exports");
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pyremedy-init-"));
  temps.push(dir);
  return dir;
}

/** A copy of a fixture project as it is before the fix: `x.input.py` → `x.py`, no `.output.py`. */
function projectCopy(caseName: string): string {
  const dir = tempDir();
  fs.cpSync(path.join(CASES, caseName), dir, { recursive: true });
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".output.py")) fs.rmSync(p);
      else if (e.name.endsWith(".input.py")) fs.renameSync(p, p.replace(/\.input\.py$/, ".py"));
    }
  };
  walk(dir);
  return dir;
}

interface Imported {
  version: string | null;
  all: string[] | null;
  missing: string[];
  doc: string | null;
  attrs: Record<string, string>;
}

const PROBE = `
import importlib, json, sys
out = {}
for spec in sys.argv[1:]:
    cwd, names = json.loads(spec)
    sys.path.insert(0, cwd)
    for name in names:
        m = importlib.import_module(name)
        listed = list(getattr(m, "__all__", None) or [])
        out[name] = {
            "version": getattr(m, "__version__", None),
            "all": getattr(m, "__all__", None),
            "missing": [n for n in listed if not hasattr(m, n)],
            "doc": m.__doc__,
            "attrs": {n: type(getattr(m, n)).__name__ for n in listed},
        }
    sys.path.remove(cwd)
print(json.dumps(out))
`;

/**
 * Import packages with python3, one process for all: each [directory, packages] pair is put on
 * sys.path in turn. Never from the environment (-E -s), no bytecode written (-B).
 */
function importWithPython(specs: [string, string[]][]): Record<string, Imported> {
  const args = specs.map((s) => JSON.stringify(s));
  const out = execFileSync("python3", ["-B", "-E", "-s", "-c", PROBE, ...args], { encoding: "utf8", timeout: 60_000 });
  return JSON.parse(out) as Record<string, Imported>;
}

function python(cwd: string, code: string): string {
  return execFileSync("python3", ["-B", "-E", "-s", "-c", code], { cwd, encoding: "utf8", timeout: 20_000 });
}

/** init-exports over a project, in this thread (a small project does not pay for starting workers). */
function fixWith(dir: string, write: boolean): ReturnType<typeof runFix> {
  const options = { paths: [dir], codemods: [initExports], write, jobs: 1 };
  return runFix(options);
}

function fixProject(dir: string): ReturnType<typeof runFix> {
  return fixWith(dir, true);
}

/** Every fixed fixture project: where to import from, what, and the version its metadata declares. */
const IMPORTS: { case: string; cwd: string; packages: string[]; version: string }[] = [
  { case: "flat-package", cwd: ".", packages: ["mathkit"], version: "1.2.0" },
  { case: "subpackages", cwd: ".", packages: ["geoparse", "geoparse.formats"], version: "0.3.0" },
  { case: "src-layout", cwd: "src", packages: ["weather_client"], version: "2.5.1" },
  { case: "module-with-all", cwd: ".", packages: ["colortools"], version: "0.9.0" },
  { case: "private-modules-and-names", cwd: ".", packages: ["taskq"], version: "0.1.0" },
  { case: "name-collision", cwd: ".", packages: ["configlib"], version: "4.0.0" },
  { case: "setup-py-version", cwd: ".", packages: ["mailer"], version: "2.0.1" },
  { case: "dynamic-attr-version", cwd: ".", packages: ["rates"], version: "0.0.0" },
  { case: "setup-cfg-attr-module", cwd: "src", packages: ["inventory"], version: "5.6.7" },
  { case: "hatch-version-path", cwd: "src", packages: ["pingpong"], version: "0.8.2" },
  { case: "scm-version", cwd: ".", packages: ["scm_demo"], version: "0.0.0+unknown" },
  { case: "poetry-package", cwd: "src", packages: ["ledger"], version: "3.3.0" },
  { case: "flit-dynamic-version", cwd: ".", packages: ["tinyhttp"], version: "0.0.0" },
  { case: "docstring-only", cwd: ".", packages: ["notes"], version: "1.0.0" },
  { case: "crlf-comment-header", cwd: ".", packages: ["winpkg"], version: "0.0.1" },
  { case: "long-names-wrapped", cwd: ".", packages: ["reporting"], version: "1.1.0" },
  { case: "shadowing-and-cycles", cwd: ".", packages: ["webby"], version: "0.2.0" },
  { case: "explicit-package-list", cwd: ".", packages: ["metrics"], version: "0.5.0" },
];

describe("init-exports: the fixed packages import", () => {
  /** Case → the fixed copy of its project. */
  const fixedCopies = new Map<string, string>();
  let imported: Record<string, Imported>;
  let unfixed: Record<string, Imported>;

  beforeAll(async () => {
    const before: [string, string[]][] = [];
    for (const c of IMPORTS) {
      const dir = projectCopy(c.case);
      before.push([path.join(dir, c.cwd), [c.packages[0]!]]);
      fixedCopies.set(c.case, dir);
    }
    unfixed = importWithPython(before.slice(0, 3));
    for (const c of IMPORTS) {
      const report = await fixProject(fixedCopies.get(c.case)!);
      expect(report.summary.filesFailed, c.case).toBe(0);
      expect(report.files.filter((f) => f.status === "changed").every((f) => f.written), c.case).toBe(true);
    }
    imported = importWithPython(IMPORTS.map((c) => [path.join(fixedCopies.get(c.case)!, c.cwd), c.packages]));
  }, 120_000);

  it("covers every positive fixture project", () => {
    const positive = new Set(fixtureCases().filter((k) => k.codemod === "init-exports" && k.output).map((k) => k.name.split("/")[0]));
    expect([...positive].sort()).toEqual(IMPORTS.map((i) => i.case).sort());
    // Before the fix, the packages import but have neither __version__ nor __all__.
    for (const m of Object.values(unfixed)) expect([m.version, m.all]).toEqual([null, null]);
  });

  it.each(IMPORTS)("$case: python3 imports $packages, __all__ resolves, __version__ is $version", (c) => {
    expect(imported[c.packages[0]!]!.version).toBe(c.version);
    for (const name of c.packages) {
      const m = imported[name]!;
      expect(m.all, `${name}.__all__`).not.toBeNull();
      expect(m.all!.length, `${name}.__all__`).toBeGreaterThan(0);
      expect(m.missing, `${name}: names in __all__ that do not resolve`).toEqual([]);
      expect(m.all).toEqual(sortDunderAll(m.all!));
    }
    // The files the CLI's engine wrote are the fixtures' expected outputs, byte for byte.
    const dir = fixedCopies.get(c.case)!;
    for (const k of fixtureCases().filter((f) => f.codemod === "init-exports" && f.name.startsWith(`${c.case}/`) && f.output)) {
      expect(fs.readFileSync(path.join(dir, k.relPath)).equals(fs.readFileSync(k.output!)), k.relPath).toBe(true);
    }
  });

  it("prints the packaging version for `python3 -c \"import pkg; print(pkg.__version__, pkg.__all__)\"`", () => {
    const src = path.join(fixedCopies.get("src-layout")!, "src");
    expect(python(src, "import weather_client as pkg; print(pkg.__version__, pkg.__all__)")).toBe("2.5.1 ['WeatherClient', 'WeatherError']\n");
  });

  it("reads a dynamic (VCS) version from the installed distribution's metadata", () => {
    const dir = fixedCopies.get("scm-version")!;
    // What pip would install: a dist-info directory on sys.path.
    const distInfo = path.join(dir, "scm_demo-3.1.4.dist-info");
    fs.mkdirSync(distInfo);
    fs.writeFileSync(path.join(distInfo, "METADATA"), "Metadata-Version: 2.1\nName: scm-demo\nVersion: 3.1.4\n");
    expect(python(dir, "import scm_demo; print(scm_demo.__version__)")).toBe("3.1.4\n");
  });

  it("keeps the first exporter of a colliding name, submodules reachable, docstrings first", () => {
    const code = "import configlib, configlib.json_format as j, webby, notes; print(configlib.load is j.load, type(webby.config).__name__)";
    const dirs = ["name-collision", "shadowing-and-cycles", "docstring-only"].map((c) => fixedCopies.get(c)!);
    expect(python(dirs[0]!, `import sys; sys.path[1:1] = ${JSON.stringify(dirs.slice(1))}; ${code}`)).toBe("True module\n");
    expect(imported.webby!.all).toEqual(["index", "load_config"]);
    expect(imported.notes!.doc).toBe("Take and search notes.\n\nThe public API lives here.\n");
    expect(fs.readFileSync(path.join(dirs[2]!, "notes/__init__.py"), "utf8")).toMatch(/^# Copyright 2024 Example Corp\.\n"""Take/);
  });

  it("generates what ruff's isort (I001), RUF022 and formatter accept", () => {
    const ws = new Workspace({}, PositionEncoding.Utf16);
    for (const k of fixtureCases().filter((f) => f.codemod === "init-exports" && f.output)) {
      const text = fs.readFileSync(k.output!, "utf8");
      expect(ruffFindings(text, ["I001", "RUF022", "F401", "E", "W"]), k.name).toEqual([]);
      expect(ws.format(text), `${k.name} is formatted as black/ruff would`).toBe(text);
    }
  });
});

describe("init-exports: the sample repositories", () => {
  it("fills geodata (src layout, pyproject version) and its formats subpackage, and explains the applications it skips", async () => {
    const dir = tempDir();
    fs.cpSync(path.join(FIXTURES, "sample-repos"), dir, { recursive: true });
    const report = await fixProject(dir);
    const byPath = new Map(report.files.map((f) => [f.path, f]));
    const top = byPath.get("geodata/src/geodata/__init__.py")!;
    expect(top.status).toBe("changed");
    expect(top.changes).toEqual([expect.objectContaining({ codemod: "init-exports", safety: "review", description: expect.stringMatching(/import cycles or slow imports/) })]);
    expect(fs.readFileSync(path.join(dir, "geodata/src/geodata/__init__.py"), "utf8")).toBe(
      '"""Public API of the geodata package."""\n\nfrom . import formats\nfrom .client import GeoClient, fetch\nfrom .models import BoundingBox, Point\n\n' +
        '__all__ = ["BoundingBox", "GeoClient", "Point", "fetch", "formats"]\n\n__version__ = "1.4.2"\n',
    );
    expect(fs.readFileSync(path.join(dir, "geodata/src/geodata/formats/__init__.py"), "utf8")).toBe(
      '# Parsers for the supported file formats.\n"""Public API of the geodata.formats package."""\n\nfrom .csv import parse_csv_points\nfrom .geojson import parse_geojson\n\n' +
        '__all__ = ["parse_csv_points", "parse_geojson"]\n',
    );
    for (const app of ["billing-service/billing/__init__.py", "ticket-bot/bot/__init__.py"]) {
      expect(byPath.get(app)!.status).toBe("unchanged");
      expect(byPath.get(app)!.notices[0]!.message).toMatch(/no packaging metadata/);
    }
    // httpx is geodata's declared dependency; there is no network here, so a stub stands in for it.
    const src = path.join(dir, "geodata/src");
    fs.writeFileSync(path.join(src, "httpx.py"), "class Client:\n    def __init__(self, **kw):\n        pass\n");
    const imported = importWithPython([[src, ["geodata", "geodata.formats"]]]);
    expect(imported.geodata!.version).toBe("1.4.2");
    expect(imported.geodata!.missing).toEqual([]);
    expect(imported["geodata.formats"]!.attrs).toEqual({ parse_csv_points: "function", parse_geojson: "function" });
  });
});

describe("init-exports: what it leaves alone", () => {
  const notice = (caseName: string): string => {
    const k = fixtureCases().find((f) => f.codemod === "init-exports" && f.name.startsWith(`${caseName}/`) && !f.output)!;
    const out = runOn(fs.readFileSync(k.input), [initExports], k.relPath, fixtureContext(k));
    expect(out.status).toBe("unchanged");
    return out.notices.map((n) => n.message).join("\n");
  };

  it("says why for tests packages, namespace packages, applications and unshipped subpackages", () => {
    expect(notice("flat-package")).toMatch(/tests\/ package is not part of a library/);
    expect(notice("namespace-package")).toMatch(/inside namespace package acme/);
    expect(notice("no-packaging-metadata")).toMatch(/no packaging metadata/);
    expect(notice("explicit-package-list")).toMatch(/not shipped by distribution metrics/);
    expect(notice("non-empty-init")).toBe("");
  });

  it("reports modules it leaves out and names it does not re-export", () => {
    const k = fixtureCases().find((f) => f.name === "private-modules-and-names/taskq/__init__")!;
    const out = runOn(fs.readFileSync(k.input), [initExports], k.relPath, fixtureContext(k));
    const messages = out.notices.map((n) => n.message);
    expect(messages).toEqual([
      "module .broken left out: it does not parse (syntax error at 1:10)",
      "module .cli left out: it runs code when imported (main() at line 9)",
      "config from .config not re-exported: it would hide the submodule taskq.config",
      "module .dynamic left out: its __all__ is not a literal list of strings (line 3)",
    ]);
    const collision = fixtureCases().find((f) => f.name === "name-collision/configlib/__init__")!;
    const c = runOn(fs.readFileSync(collision.input), [initExports], collision.relPath, fixtureContext(collision));
    expect(c.notices.map((n) => n.message)).toEqual(["load from .yaml_format not re-exported (review): .json_format already exports it"]);
    expect(c.changes[0]!.note).toMatch(/Both \.json_format and \.yaml_format export load/);
  });

  it("flags a likely import cycle and a placeholder version in the change note", () => {
    const k = fixtureCases().find((f) => f.name === "shadowing-and-cycles/webby/__init__")!;
    const out = runOn(fs.readFileSync(k.input), [initExports], k.relPath, fixtureContext(k));
    expect(out.changes[0]!.note).toMatch(/import from the package itself, a likely import cycle: \.views \(line 1\)/);
    const dyn = fixtureCases().find((f) => f.name === "dynamic-attr-version/rates/__init__")!;
    const d = runOn(fs.readFileSync(dyn.input), [initExports], dyn.relPath, fixtureContext(dyn));
    expect(d.changes[0]!.note).toMatch(/replace the placeholder 0\.0\.0 with the real version/);
  });

  it("writes a placeholder the build can read when it takes the version from another attribute of this file", () => {
    const files = { "setup.cfg": "[metadata]\nname = vers\nversion = attr: vers.VERSION\n", "vers/__init__.py": "", "vers/core.py": "def f():\n    pass\n" };
    const reader = memory(files);
    const ctx = { root: "/memory", relPath: "vers/__init__.py", ...reader, options: {}, includeTests: false };
    const out = runOn("", [initExports], "vers/__init__.py", ctx);
    expect(out.after).toBe('"""Public API of the vers package."""\n\nfrom .core import f\n\n__all__ = ["f"]\n\nVERSION = "0.0.0"\n__version__ = VERSION\n');
    expect(out.changes[0]!.note).toMatch(/reads the version from vers\.VERSION/);
  });

  it("only considers __init__.py files that hold nothing but comments and a docstring", () => {
    expect(initExports.mayApply("", "pkg/__init__.py")).toBe(true);
    expect(initExports.mayApply("# c\n'''doc'''\n", "pkg/__init__.py")).toBe(true);
    expect(initExports.mayApply("from .a import b\n", "pkg/__init__.py")).toBe(false);
    expect(initExports.mayApply("", "pkg/module.py")).toBe(false);
  });
});

describe("fix --verify", () => {
  function writeProject(files: Record<string, string>): string {
    const dir = tempDir();
    for (const [rel, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    }
    return dir;
  }
  const PYPROJECT = '[project]\nname = "loopy"\nversion = "1.0.0"\n';

  it("imports a previewed fix from a temp copy and leaves the checkout alone", async () => {
    const dir = projectCopy("subpackages");
    const report = await fixWith(dir, false);
    const results = await verifyImports(report);
    expect(results).toEqual([expect.objectContaining({ ok: true, modules: ["geoparse", "geoparse.formats", "geoparse.formats.legacy"], failures: [] })]);
    expect(verificationSummary(results)).toMatch(/imported geoparse with the fixes in place/);
    expect(fs.readFileSync(path.join(dir, "geoparse/__init__.py"), "utf8")).toBe("");
    expect(fs.readdirSync(path.join(dir, "geoparse")).some((n) => n === "__pycache__")).toBe(false);
  });

  it("reports an import cycle the fix creates, on the file that causes it", async () => {
    // beta imports from alpha at import time; alpha imports beta first: fine until __init__ imports alpha eagerly.
    const dir = writeProject({
      "pyproject.toml": PYPROJECT,
      "loopy/__init__.py": "",
      "loopy/alpha.py": "import loopy.beta\n\n\nclass Alpha:\n    pass\n",
      "loopy/beta.py": "from loopy.alpha import Alpha\n\n\ndef make():\n    return Alpha()\n",
    });
    expect(execFileSync("python3", ["-B", "-c", "import loopy"], { cwd: dir, encoding: "utf8" })).toBe("");
    const report = await fixWith(dir, false);
    const results = await verifyImports(report);
    expect(results[0]!.ok).toBe(false);
    expect(results[0]!.failures).toEqual([{ module: "loopy", message: expect.stringMatching(/^import loopy failed: ImportError: cannot import name 'Alpha' from partially initialized module 'loopy.alpha'/) }]);
    const withNotices = withVerification(report, results);
    const file = withNotices.files.find((f) => f.path === "loopy/__init__.py")!;
    expect(file.notices.at(-1)!.message).toMatch(/^--verify: import loopy failed/);
    expect(verificationSummary(results)).toMatch(/1 of 1 package failed/);
  });

  it("says when a dependency the fix now imports is missing, and when the package failed before the fix too", async () => {
    const dir = tempDir();
    fs.cpSync(path.join(FIXTURES, "sample-repos/geodata"), dir, { recursive: true });
    const results = await verifyImports(await fixWith(dir, false));
    expect(results[0]!.failures.map((f) => f.message)).toEqual([
      "import geodata failed: ModuleNotFoundError: No module named 'httpx' (the fix now imports httpx eagerly: is it installed for python3?)",
      "import geodata.formats failed: ModuleNotFoundError: No module named 'httpx' (the fix now imports httpx eagerly: is it installed for python3?)",
    ]);
    const broken = writeProject({ "pyproject.toml": PYPROJECT, "loopy/__init__.py": "", "loopy/sub/__init__.py": "raise RuntimeError('no')\n", "loopy/core.py": "def f():\n    pass\n" });
    const again = await verifyImports(await fixWith(broken, false));
    expect(again[0]!.failures).toEqual([{ module: "loopy", message: "import loopy failed: RuntimeError: no" }]);
    // The top-level __init__.py is not empty (so not filled) and already fails: not the fix's doing.
    const before = writeProject({ "pyproject.toml": PYPROJECT, "loopy/__init__.py": "import not_installed_anywhere\n", "loopy/sub/__init__.py": "", "loopy/sub/core.py": "def f():\n    pass\n" });
    const old = await verifyImports(await fixWith(before, false));
    expect(old[0]!.failures.map((f) => f.message)).toEqual([
      "import loopy failed: ModuleNotFoundError: No module named 'not_installed_anywhere' (it failed before the fix too)",
      "import loopy.sub failed: ModuleNotFoundError: No module named 'not_installed_anywhere' (it failed before the fix too)",
    ]);
  });

  it("runs from the command line with --verify and prints what it did on stderr", async () => {
    const dir = projectCopy("flat-package");
    const { code, stderr } = await runCli(["fix", "--select", "init-exports", "--verify", "--quiet", "--write", dir]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/--verify: imported mathkit with the fixes in place/);
  });
});

/** An in-memory project for the packaging reader. */
function memory(files: Record<string, string>): ProjectReader {
  return {
    readText: (p) => files[p],
    listDir: (dir) => {
      const prefix = dir ? `${dir}/` : "";
      const names = new Set<string>();
      for (const f of Object.keys(files)) {
        if (!f.startsWith(prefix)) continue;
        const rest = f.slice(prefix.length);
        const slash = rest.indexOf("/");
        names.add(slash < 0 ? rest : `${rest.slice(0, slash + 1)}`);
      }
      return names.size || dir === "" ? [...names].sort() : undefined;
    },
  };
}

describe("packaging metadata", () => {
  it("reads setup.py literals without running it: constants, find_packages(where=...), package_dir", () => {
    const reader = memory({
      "setup.py": 'import setuptools\nNAME = "svc"\nif True:\n    setuptools.setup(name=NAME, version="1.0", package_dir={"": "lib"}, packages=setuptools.find_packages(where="lib", exclude=("svc.tests",)))\n',
      "lib/svc/__init__.py": "",
      "lib/svc/tests/__init__.py": "",
    });
    const d = readDistribution(reader, "").dist!;
    expect(d).toMatchObject({ name: "svc", version: { kind: "static", value: "1.0" }, sourceRoots: ["lib"], selection: { kind: "find", exclude: ["svc.tests"] } });
    expect(locatePackage(reader, "lib/svc")).toMatchObject({ ok: true, pkg: { dotted: "svc", importRoot: "lib" } });
  });

  it("knows the version kinds: attr from an import, expressions, hatch vcs, poetry-dynamic-versioning, setup.cfg file:", () => {
    const v = (files: Record<string, string>) => readDistribution(memory(files), "").dist!.version.kind;
    expect(v({ "setup.py": 'from app import __version__\nsetup(name="a", version=__version__)\n' })).toBe("attribute");
    expect(v({ "setup.py": 'setup(name="a", version=open("V").read())\n' })).toBe("dynamic");
    expect(v({ "pyproject.toml": '[build-system]\nbuild-backend = "hatchling.build"\n[project]\nname = "a"\ndynamic = ["version"]\n[tool.hatch.version]\nsource = "vcs"\n' })).toBe("dynamic");
    expect(v({ "pyproject.toml": '[tool.poetry]\nname = "a"\nversion = "0.0.0"\n[tool.poetry-dynamic-versioning]\nenable = true\n' })).toBe("dynamic");
    expect(v({ "setup.cfg": "[metadata]\nname = a\nversion = file: VERSION\n" })).toBe("dynamic");
    expect(v({ "setup.cfg": "[metadata]\nname = a\nversion = attr: a.__version__\n" })).toBe("attribute");
  });

  it("parses setup.cfg continuation lines and comments as configparser does", () => {
    const ini = parseIni("[options]\n# comment\npackages =\n    one\n    two\npackage_dir =\n    =src\n");
    expect(ini.get("options")!.get("packages")).toBe("\none\ntwo");
    expect(ini.get("options")!.get("package_dir")).toBe("\n=src");
  });

  it("follows hatch, poetry and flit defaults and settings", () => {
    const hatch = memory({
      "pyproject.toml": '[build-system]\nbuild-backend = "hatchling.build"\n[project]\nname = "my-lib"\nversion = "1"\n',
      "src/my_lib/__init__.py": "",
      "src/other/__init__.py": "",
    });
    expect(locatePackage(hatch, "src/my_lib")).toMatchObject({ ok: true, pkg: { dotted: "my_lib" } });
    expect(locatePackage(hatch, "src/other")).toMatchObject({ ok: false, reason: expect.stringMatching(/not shipped by distribution my-lib/) });
    const flit = memory({
      "pyproject.toml": '[build-system]\nbuild-backend = "flit_core.buildapi"\n[project]\nname = "thing"\nversion = "1"\n[tool.flit.module]\nname = "thing_impl"\n',
      "thing_impl/__init__.py": "",
      "thing_impl/sub/__init__.py": "",
    });
    expect(locatePackage(flit, "thing_impl/sub")).toMatchObject({ ok: true, pkg: { dotted: "thing_impl.sub", importRoot: "" } });
  });

  it("leaves flat-layout folders setuptools would not ship, invalid TOML and unimportable names", () => {
    const flat = memory({ "pyproject.toml": '[project]\nname = "x"\nversion = "1"\n', "tools/__init__.py": "", "x/__init__.py": "", "my-pkg/__init__.py": "" });
    expect(locatePackage(flat, "x")).toMatchObject({ ok: true });
    expect(locatePackage(flat, "tools")).toMatchObject({ ok: false, reason: expect.stringMatching(/flat-layout/) });
    expect(locatePackage(flat, "my-pkg")).toMatchObject({ ok: false, reason: expect.stringMatching(/not an importable Python name/) });
    const bad = memory({ "pyproject.toml": "[project\nname = 1\n", "x/__init__.py": "" });
    expect(locatePackage(bad, "x")).toMatchObject({ ok: false, reason: expect.stringMatching(/not valid TOML/) });
  });
});

describe("public names", () => {
  it("reads every literal form of __all__, and refuses names the module does not define", () => {
    const ok = moduleInterface('__all__: list[str] = ["a"]\n__all__ += ("b",)\n__all__.extend(["c"])\n__all__.append("d")\na = b = 1\nfor c in []: pass\nwith open(x) as d: pass\n');
    expect(ok).toMatchObject({ ok: true, names: ["a", "b", "c", "d"], fromAll: true });
    expect(moduleInterface('__all__ = ["gone"]\n')).toMatchObject({ ok: false, reason: expect.stringMatching(/lists 'gone'/) });
    expect(moduleInterface('from x import *\n__all__ = ["maybe"]\n')).toMatchObject({ ok: true, names: ["maybe"] });
    expect(moduleInterface("if X:\n    __all__ = []\n")).toMatchObject({ ok: false, reason: expect.stringMatching(/not a literal/) });
  });

  it("otherwise takes top-level public classes, functions and async functions, once each", () => {
    const src = "from typing import overload\nCONST = 1\n@overload\ndef f(x: int) -> int: ...\n@overload\ndef f(x: str) -> str: ...\ndef f(x): return x\nasync def g(): pass\nclass _P: pass\nclass C: pass\nif X:\n    def conditional(): pass\n";
    expect(moduleInterface(src)).toMatchObject({ ok: true, names: ["f", "g", "C"], fromAll: false });
  });

  it("sorts as ruff's isort and RUF022 do", () => {
    const names = ["zeta", "Alpha", "ALPHA", "item10", "item2", "_x", "getX", "get_y", "B", "Http2Client", "HTTPClient", "a"];
    const all = sortDunderAll(names);
    expect(all).toEqual(["ALPHA", "Alpha", "B", "HTTPClient", "Http2Client", "_x", "a", "getX", "get_y", "item2", "item10", "zeta"]);
    expect(ruffFindings(`__all__ = [${all.map((n) => `"${n}"`).join(", ")}]\n`, ["RUF022"])).toEqual([]);
    const imported = sortNames(names);
    expect(imported).toEqual(["ALPHA", "Alpha", "B", "Http2Client", "HTTPClient", "_x", "a", "get_y", "getX", "item2", "item10", "zeta"]);
    expect(ruffFindings(`from .m import (\n${imported.map((n) => `    ${n},\n`).join("")})\n`, ["I001"])).toEqual([]);
  });
});
