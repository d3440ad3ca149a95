"""The package layout: no import cycles among steppe_geo modules, a public namespace without accidents."""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import steppe_geo

SRC = Path(steppe_geo.__file__).resolve().parent

# Cycles still to be broken (issue 14, item 2), each as its modules in order, starting at the smallest name.
# Breaking one means deleting it here; a new cycle fails the test.
KNOWN_CYCLES: set[tuple[str, ...]] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _module_level_imports(path: Path, name: str, known: set[str], *, local: bool = False) -> set[str]:
    """steppe_geo modules imported at module level (not inside functions, not under TYPE_CHECKING).

    ``from pkg import sub`` counts as an import of ``pkg.sub`` when that is a module, else of ``pkg``
    (``from steppe_geo.models import Model`` in a module of ``models`` runs ``models/__init__``: a
    cycle). The implicit import of a module's parent packages is left out, as import-linter does:
    every package's ``__init__`` importing its own modules would otherwise be a cycle.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()

    def add(mod: str) -> None:
        if mod in known and mod != name:
            out.add(mod)

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    add(alias.name)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_pkg else name.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    mod = ".".join([*base, node.module] if node.module else base)
                else:
                    mod = node.module or ""
                for alias in node.names:
                    add(f"{mod}.{alias.name}" if f"{mod}.{alias.name}" in known else mod)
            elif isinstance(node, ast.If):
                test = node.test
                if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
                        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"):
                    visit(node.orelse)
                    continue
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for h in node.handlers:
                    visit(h.body)
                visit(node.orelse)
                visit(node.finalbody)
            elif local and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.With
                                      | ast.For | ast.While):
                visit(node.body)
                visit(getattr(node, "orelse", []))

    visit(tree.body)
    return out


def import_graph(*, local: bool = False) -> dict[str, set[str]]:
    """steppe_geo module → the steppe_geo modules it imports at module level (``local``: anywhere)."""
    mods = _modules()
    known = set(mods)
    return {name: _module_level_imports(path, name, known, local=local) for name, path in mods.items()}


def find_cycles(graph: dict[str, set[str]]) -> set[tuple[str, ...]]:
    """Every strongly connected component of more than one module, as one cycle through it.

    Tarjan's algorithm; each component is reported as one elementary cycle (found by a BFS from the
    component's smallest module back to itself), rotated to start at its smallest module.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    comps: list[set[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(comp)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            strong(v)
    cycles = set()
    for comp in comps:
        start = min(comp)
        prev: dict[str, str] = {}
        frontier = [start]
        found = None
        while frontier and found is None:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v] & comp):
                    if w == start:
                        found = v
                        break
                    if w not in prev:
                        prev[w] = v
                        nxt.append(w)
                if found is not None:
                    break
            frontier = nxt
        path = [found]
        while path[-1] != start:
            path.append(prev[path[-1]])
        cycles.add(tuple(reversed(path)))
    return cycles


def test_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e2"}, "e2": {"e"}}
    assert find_cycles(graph) == {("a", "b", "c"), ("e", "e2")}
    assert find_cycles({"a": {"b"}, "b": set()}) == set()


def test_no_new_import_cycles():
    cycles = find_cycles(import_graph())
    new = sorted(cycles - KNOWN_CYCLES)
    assert not new, "new import cycles among steppe_geo modules:\n" + "\n".join(" -> ".join((*c, c[0]))
                                                                              for c in new)
    fixed = sorted(KNOWN_CYCLES - cycles)
    assert not fixed, f"cycles no longer present, delete them from KNOWN_CYCLES: {fixed}"


SUBPACKAGES = ["criteria", "io", "maps", "mcda", "models", "parcels", "pipeline"]


def test_import_steppe_geo_does_not_import_matplotlib_and_maps_is_lazy():
    code = ("import sys, steppe_geo as sg\n"
            "before = sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib')\n"
            "maps = sg.maps\n"
            "print(before, maps.__name__, 'matplotlib' in sys.modules, hasattr(maps, 'plot_suitability'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(SRC.parent), "MPLBACKEND": "Agg", "PATH": ""})
    assert out.stdout.split() == ["[]", "steppe_geo.maps", "True", "True"]


def test_top_level_namespace_has_no_accidental_names():
    public = [n for n in dir(steppe_geo) if not n.startswith("_")]
    assert sorted(public) == sorted(n for n in steppe_geo.__all__ if not n.startswith("_"))
    assert "annotations" not in vars(steppe_geo)  # was sg.annotations (from __future__ import annotations)
    with pytest.raises(AttributeError, match="has no attribute 'mapz'"):
        steppe_geo.mapz  # noqa: B018


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_subpackage_namespace_is_its_all_and_its_modules(name):
    pkg = importlib.import_module(f"steppe_geo.{name}")
    modules = {p.stem for p in Path(pkg.__file__).parent.glob("*.py")} | {
        p.name for p in Path(pkg.__file__).parent.iterdir() if (p / "__init__.py").exists()}
    accidental = [n for n in dir(pkg) if not n.startswith("_") and n not in pkg.__all__ and n not in modules]
    assert not accidental, f"steppe_geo.{name}: names outside __all__: {accidental}"
    assert all(hasattr(pkg, n) for n in pkg.__all__)


def test_mcda_all_is_trimmed_and_the_rest_stays_importable():
    from steppe_geo import mcda

    lower = ["RULE_ALIASES", "parse_rule", "decode_nodata", "constraint_from_dict",
             "value_function_from_dict",
             "exclusion_bit_names", "parse_bit_legend", "evaluate_constraints", "principal_eigenvectors",
             "RANDOM_INDEX", "SAATY_SCALE", "RESERVED_BITS", "NO_DATA", "OUTSIDE_AOI", "Revision",
             "aoi_polygon"]
    for n in lower:
        assert n not in mcda.__all__ and n not in dir(mcda)
        assert getattr(mcda, n) is not None  # still importable from the package, and from its module:
    from steppe_geo.mcda.constraints import constraint_from_dict
    from steppe_geo.mcda.weights import RANDOM_INDEX, principal_eigenvectors  # noqa: F401

    assert mcda.constraint_from_dict is constraint_from_dict and mcda.RANDOM_INDEX is RANDOM_INDEX
    assert {"Overlay", "ahp", "Linear", "ValueRange", "evaluate", "RandomIndex"} <= set(mcda.__all__)


# Short cycles (2 or 3 modules) still closed by function-local imports (issue 14, item 2): each is
# broken by moving code. Delete an entry when it is broken (none is left).
KNOWN_LOCAL_CYCLES: set[frozenset[str]] = set()


def short_cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The module sets of every import cycle through 2 or 3 modules."""
    out = set()
    for a, targets in graph.items():
        for b in targets:
            if a in graph.get(b, ()):
                out.add(frozenset({a, b}))
            for c in graph.get(b, ()):
                if c not in (a, b) and a in graph.get(c, ()):
                    out.add(frozenset({a, b, c}))
    return out


def test_short_cycles_through_function_local_imports_are_only_the_known_ones():
    assert short_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == {frozenset("abc")}
    cycles = short_cycles(import_graph(local=True))
    new, broken = cycles - KNOWN_LOCAL_CYCLES, KNOWN_LOCAL_CYCLES - cycles
    assert not new, f"new import cycles: {[sorted(c) for c in new]}"
    assert not broken, f"broken, delete from KNOWN_LOCAL_CYCLES: {[sorted(c) for c in broken]}"


# The import contract of the compute layers (issue 14, item 3): criteria, mcda, models and parcels take and
# return in-memory objects; only io (and the pipeline shell) opens, writes or lists files.
COMPUTE_PACKAGES = ("criteria", "mcda", "models", "parcels")
RASTERIO_FILE_APIS = ("open", "Env", "shutil")
IO_WRITER_MODULES = ("steppe_geo.io.write", "steppe_geo.io.atomic", "steppe_geo.io.window_files")
IO_WRITERS = {"write_raster", "write_vector", "write_shapefile_zip", "write_json", "write_text",
              "save_figure", "raster_writer", "RasterWindowWriter", "tiled_writer", "align_to_file",
              "atomic_path", "check_output_path"}
SHELL_PACKAGES = ("steppe_geo.pipeline", "steppe_geo.cli", "steppe_geo.config")

FILE_METHODS = ("read_text", "read_bytes", "write_text", "write_bytes", "mkdir", "unlink", "touch", "rmdir",
                "iterdir")
"""Path methods that touch the file system; called in a compute module they break the contract."""

# Known violations, each with its reason; a new one fails the test, and so does a fixed one left here.
KNOWN_CONTRACT_VIOLATIONS: set[tuple[str, str]] = set()

# Public names of a compute package whose code reads or writes files, so lives in the shell: the package's
# PEP 562 ``__getattr__`` imports them on first use (importing the package does not import the shell). Only
# an import inside a package's module-level ``__getattr__`` may be listed here.
SHELL_FORWARDS = {
    # sg.mcda.evaluate_streamed / evaluate_dask: the overlay over GeoTIFFs, pipeline.overlay_files
    ("steppe_geo.mcda", "steppe_geo.pipeline"): "evaluate_streamed, evaluate_dask (files in, COGs out)",
    # sg.parcels.export_bundle: writes the tables of parcels.export.export_tables, pipeline.export
    ("steppe_geo.parcels", "steppe_geo.pipeline"): "export_bundle (writes the export bundle)",
}


def _getattr_lines(tree: ast.Module) -> set[int]:
    """Line numbers inside the module-level ``def __getattr__`` (PEP 562) of a module."""
    return {line for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "__getattr__"
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)}


def contract_violations(path: Path, name: str, *, forwards: bool = False) -> set[tuple[str, str]]:
    """What module ``name`` (at ``path``) imports or calls against the compute layers' import contract.

    Every import counts, at module level or inside a function (a lazy import is an import too):
    rasterio's file APIs (``rasterio.open``/``Env``/``shutil``, as an attribute of an imported
    ``rasterio`` or imported from it), ``pyogrio``, io's writers (their modules, their names, or
    ``io.<writer>`` on an imported ``steppe_geo.io``) and the shell (pipeline, cli, config); and
    calls that open files directly: the builtin ``open``, the path methods of :data:`FILE_METHODS`,
    ``importlib.resources``. The shell imported inside a package's ``__getattr__`` (a forward of a
    public name, :data:`SHELL_FORWARDS`) is reported only with ``forwards=True``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[tuple[str, str]] = set()
    rasterio_aliases, io_aliases = set(), set()
    in_getattr = _getattr_lines(tree) if path.name == "__init__.py" else set()

    def shell(mod: str) -> bool:
        return any(mod == p or mod.startswith(p + ".") for p in SHELL_PACKAGES)

    for node in ast.walk(tree):
        forward = (isinstance(node, ast.Import | ast.ImportFrom) and node.lineno in in_getattr
                   and all(shell(m) for m in _resolve(node, name, True)))
        if forwards or forward:  # a forward of a public name is reported only with forwards=True
            if forwards and forward:
                out |= {(name, ".".join(m.split(".")[:2])) for m in _resolve(node, name, True)}
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open":
            out.add((name, "open()"))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in FILE_METHODS):
            out.add((name, f".{node.func.attr}()"))
        elif isinstance(node, ast.ImportFrom) and node.module == "importlib" and any(
                a.name == "resources" for a in node.names):
            out.add((name, "importlib.resources"))
        elif isinstance(node, ast.Import) and any(a.name == "importlib.resources" for a in node.names):
            out.add((name, "importlib.resources"))
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "rasterio":
                    rasterio_aliases.add(a.asname or "rasterio")
                elif a.name.startswith("rasterio.") and a.name.split(".")[1] in RASTERIO_FILE_APIS:
                    out.add((name, a.name))
                elif a.name.split(".")[0] == "pyogrio" or shell(a.name) or a.name in IO_WRITER_MODULES:
                    out.add((name, a.name))
                elif a.name == "steppe_geo.io":
                    io_aliases.add(a.asname or "steppe_geo.io")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mod = node.module
            for a in node.names:
                full = f"{mod}.{a.name}"
                if mod == "rasterio" and a.name in RASTERIO_FILE_APIS:
                    out.add((name, full))
                elif mod.startswith("rasterio.") and mod.split(".")[1] in RASTERIO_FILE_APIS:
                    out.add((name, full))
                elif mod.split(".")[0] == "pyogrio" or shell(mod) or shell(full):
                    out.add((name, mod if shell(mod) or mod.startswith("pyogrio") else full))
                elif mod in IO_WRITER_MODULES or full in IO_WRITER_MODULES:
                    out.add((name, full if full in IO_WRITER_MODULES else mod))
                elif mod.startswith("steppe_geo.io") and a.name in IO_WRITERS:
                    out.add((name, f"steppe_geo.io.{a.name}"))
                elif mod == "steppe_geo" and a.name == "io":
                    io_aliases.add(a.asname or "io")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id in rasterio_aliases and node.attr in RASTERIO_FILE_APIS:
                out.add((name, f"rasterio.{node.attr}"))
            elif node.value.id in io_aliases and node.attr in IO_WRITERS:
                out.add((name, f"steppe_geo.io.{node.attr}"))
    return out


def test_contract_checker_finds_planted_violations(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text(
        "import rasterio\nimport rasterio.shutil\nfrom rasterio import features\n"
        "from steppe_geo import io as sgio\nfrom steppe_geo.grid import Grid\n\n"
        "def f(path):\n    from pyogrio import read_dataframe\n    from steppe_geo.pipeline import run\n"
        "    from steppe_geo.io.write import write_raster\n"
        "    from steppe_geo.io import read_raster, write_vector\n"
        "    import steppe_geo.config\n    with rasterio.Env(), rasterio.open(path) as ds:\n"
        "        sgio.save_figure(ds, path)\n        return features, Grid, sgio.read_raster(path)\n",
        encoding="utf-8")
    assert contract_violations(planted, "m") == {
        ("m", "rasterio.shutil"), ("m", "rasterio.Env"), ("m", "rasterio.open"), ("m", "pyogrio"),
        ("m", "steppe_geo.pipeline"), ("m", "steppe_geo.io.write"), ("m", "steppe_geo.io.write_vector"),
        ("m", "steppe_geo.config"), ("m", "steppe_geo.io.save_figure")}
    clean = tmp_path / "clean.py"
    clean.write_text("from rasterio import features\nfrom rasterio.windows import Window\n"
                     "from steppe_geo.io import read_raster\nimport numpy as np\n", encoding="utf-8")
    assert contract_violations(clean, "c") == set()


def test_contract_checker_finds_files_opened_directly_and_tells_forwards_apart(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    init = pkg / "__init__.py"
    init.write_text(
        "from importlib import resources\n\ndef table(p):\n    with open(p) as f:\n        f.read()\n"
        "    return p.read_text(), p.parent.mkdir(), resources, '-'.join(['a']).replace('a', 'b')\n\n"
        "def __getattr__(name):\n    from steppe_geo.pipeline import export\n"
        "    from steppe_geo.io import write_vector\n    return getattr(export, name)\n", encoding="utf-8")
    assert contract_violations(init, "m") == {
        ("m", "open()"), ("m", ".read_text()"), ("m", ".mkdir()"), ("m", "importlib.resources"),
        ("m", "steppe_geo.io.write_vector")}  # an io writer in __getattr__ is no forward
    assert contract_violations(init, "m", forwards=True) == {("m", "steppe_geo.pipeline")}
    module = pkg / "module.py"  # in a module that is not a package's __init__, __getattr__ forwards nothing
    module.write_text(init.read_text(encoding="utf-8"), encoding="utf-8")
    assert ("m", "steppe_geo.pipeline") in contract_violations(module, "m")
    assert contract_violations(module, "m", forwards=True) == set()


def test_the_shell_forwards_are_lazy_and_are_the_shell_functions():
    code = ("import sys\nimport steppe_geo.mcda as m, steppe_geo.parcels as p\n"
            "print(sorted(k for k in sys.modules if k.startswith('steppe_geo.pipeline')))\n"
            "from steppe_geo.pipeline import export, overlay_files as o\n"
            "print(m.evaluate_streamed is o.evaluate_streamed, m.evaluate_dask is o.evaluate_dask,"
            " p.export_bundle is export.export_bundle)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(SRC.parent), "MPLBACKEND": "Agg", "PATH": ""})
    assert out.stdout.splitlines() == ["[]", "True True True"]
    for pkg in ("mcda", "parcels"):
        with pytest.raises(AttributeError, match=f"'steppe_geo.{pkg}' has no attribute 'export_bundlez'"):
            importlib.import_module(f"steppe_geo.{pkg}").export_bundlez  # noqa: B018


def test_compute_layers_keep_the_import_contract():
    found, forwards = set(), set()
    for name, path in _modules().items():
        if name.split(".")[1:2] and name.split(".")[1] in COMPUTE_PACKAGES:
            found |= contract_violations(path, name)
            forwards |= contract_violations(path, name, forwards=True)
    assert forwards == set(SHELL_FORWARDS), f"forwards of public names to the shell: {sorted(forwards)}"
    new = sorted(found - KNOWN_CONTRACT_VIOLATIONS)
    assert not new, ("criteria/mcda/models/parcels must not open or write files (rasterio.open/Env/shutil, "
                     "pyogrio, io writers) nor import pipeline/cli/config:\n"
                     + "\n".join(f"{m}: {what}" for m, what in new))
    fixed = sorted(KNOWN_CONTRACT_VIOLATIONS - found)
    assert not fixed, f"no longer violated, delete from KNOWN_CONTRACT_VIOLATIONS: {fixed}"


# Function-local imports are only for deliberately lazy dependencies (issue 14, item 2); anything else is
# imported at module level, where the cycle test sees it. Each entry: module prefix → why it is lazy.
LAZY_IMPORTS = {
    "matplotlib": "heavy (about 0.3 s) and only for maps: `import steppe_geo` must not import it",
    "dask": "the Dask scheduler is only needed for runs with `workers`/`scheduler`",
    "distributed": "dask.distributed starts slowly and is only needed for cluster runs",
    "highspy": "optional solver of the budgeted selection, imported when a selection asks for it",
    "ipywidgets": "optional notebook widgets, imported only in a notebook",
    "steppe_geo.maps": "the maps package imports matplotlib (see above); `sg.maps` is lazy for that reason",
    "steppe_geo.interactive.panel": ("imports ipywidgets (optional extra, see above) and matplotlib; "
                                     "steppe_geo.interactive's __getattr__ imports it on first TuningPanel"),
    "msvcrt": "Windows only (file locking of the output folder); fcntl is its POSIX twin",
    "fcntl": "POSIX only (file locking of the output folder); msvcrt is its Windows twin",
}


def _resolve(node: ast.ImportFrom | ast.Import, name: str, is_pkg: bool) -> list[str]:
    """The absolute module names an import statement imports (``from steppe_geo import maps`` → maps)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    mod = node.module or ""
    if node.level:
        base = name.split(".") if is_pkg else name.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        mod = ".".join([*base, mod] if mod else base)
    return [f"{mod}.{a.name}" if mod == "steppe_geo" else mod for a in node.names]


def function_local_imports(path: Path, name: str) -> list[tuple[str, int, str]]:
    """``(module, line, imported module)`` for every import inside a function that is not lazy.

    ``steppe_geo.maps`` counts as lazy only outside the maps package (inside it matplotlib is loaded).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []

    def lazy(mod: str) -> bool:
        if name.startswith("steppe_geo.maps") and mod.startswith("steppe_geo.maps"):
            return False
        return any(mod == p or mod.startswith(p + ".") for p in LAZY_IMPORTS)

    def visit(node: ast.AST, inside: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if inside and isinstance(child, ast.Import | ast.ImportFrom):
                for mod in _resolve(child, name, path.name == "__init__.py"):
                    if not lazy(mod):
                        out.append((name, child.lineno, mod))
            visit(child, inside or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))

    visit(tree, False)
    return out


def test_local_import_finder_finds_planted_imports(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text(
        "import os\n\ndef f():\n    import matplotlib.pyplot as plt\n    from steppe_geo import maps\n"
        "    from steppe_geo.io import read_raster\n    if True:\n        import scipy.ndimage\n"
        "    return plt, maps, read_raster\n\nclass A:\n    def g(self):\n        from . import grid\n"
        "        import distributed\n", encoding="utf-8")
    assert function_local_imports(planted, "steppe_geo.criteria.planted") == [
        ("steppe_geo.criteria.planted", 6, "steppe_geo.io"),
        ("steppe_geo.criteria.planted", 8, "scipy.ndimage"),
        ("steppe_geo.criteria.planted", 13, "steppe_geo.criteria")]
    assert function_local_imports(planted, "steppe_geo.maps.planted")[0] == (
        "steppe_geo.maps.planted", 5, "steppe_geo.maps")


def test_function_local_imports_are_only_the_lazy_ones():
    forwards = {(m, path) for m, _ in SHELL_FORWARDS for path in [_modules()[m]]}
    found = [hit for name, path in _modules().items() for hit in function_local_imports(path, name)
             if not ((name, path) in forwards and hit[1] in _getattr_lines(ast.parse(path.read_text("utf-8")))
                     and hit[2].startswith("steppe_geo.pipeline"))]
    assert not found, ("function-local imports of dependencies that are not deliberately lazy (move them to "
                       "module level, or add the dependency to LAZY_IMPORTS with its reason):\n"
                       + "\n".join(f"{m}:{line}: {mod}" for m, line, mod in found))
