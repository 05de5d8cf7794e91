"""docs/architecture.md and the code agree: the public API, its modules and parameters,
and every function the module table names; every public name is used."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import engine
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "architecture.md").read_text()
CALL = re.compile(r"(?<![\w.])([A-Za-z_][\w.]*)\(([^()]*)\)")
PARAM = re.compile(r"^\*{0,2}([A-Za-z_]\w*)(=.*)?$")


def _table(marker: str) -> list[list[str]]:
    block = DOC.split(f"<!-- {marker}:start -->")[1].split(f"<!-- {marker}:end -->")[0]
    rows = [ln for ln in block.strip().splitlines()[2:] if ln.startswith("|")]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", r)[1:-1]] for r in rows]


def _resolve(module: str, dotted: str) -> object:
    obj: object = importlib.import_module(module)
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _check_call(module: str, name: str, params_text: str) -> str | None:
    """None if ``name(params)`` matches the code in ``module``, else what differs."""
    try:
        obj = _resolve(module, name)
    except AttributeError:
        return f"{module} has no {name}"
    params = [p.strip() for p in params_text.split(",") if p.strip()]
    parsed = [PARAM.match(p) for p in params]
    if not all(parsed):
        return None  # a description, not a parameter list: the name is enough
    doc = [m.group(1) for m in parsed if m is not None]
    sig = inspect.signature(obj)  # type: ignore[arg-type]
    real = [p for p in sig.parameters.values()
            if not p.name.startswith("_") and p.name not in ("self", "cls")]
    names = [p.name for p in real]
    omitted = real[len(doc):]
    if names[: len(doc)] != doc or any(p.default is inspect.Parameter.empty for p in omitted):
        return f"{module}.{name}: documented ({', '.join(doc)}), code ({', '.join(names)})"
    return None


def test_the_public_api_table_is_the_public_api() -> None:
    rows = _table("api")
    names = [r[0].strip("`") for r in rows]
    assert sorted(names) == sorted(engine.__all__), set(names) ^ set(engine.__all__)
    problems = []
    for name, module, signature in ((r[0].strip("`"), r[1], r[2]) for r in rows):
        if engine._API[name] != module:
            problems.append(f"{name} is in {engine._API[name]}, documented in {module}")
        value = getattr(engine, name)
        if signature == "value":
            if callable(value) and not isinstance(value, dict):
                problems.append(f"{name} is callable but documented as a value")
            continue
        call = CALL.search(signature)
        if call is None or call.group(1) != name:
            problems.append(f"{name}: no signature in {signature!r}")
            continue
        problem = _check_call(module, name, call.group(2))
        if problem:
            problems.append(problem)
    assert not problems, "\n".join(problems)


def test_the_module_table_names_what_exists() -> None:
    problems = []
    for cells in _table("modules"):
        path = cells[0]
        module = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        assert (ROOT / path).exists(), path
        for code in re.findall(r"`([^`]*)`", cells[1]):
            for name, params in CALL.findall(code):   # ``.method()`` mentions are skipped
                problem = _check_call(module, name, params)
                if problem:
                    problems.append(problem)
    assert not problems, "\n".join(problems)


def test_every_public_name_is_used() -> None:
    """By the studio, the command line, the benchmarks or the tools (not only by tests)."""
    sources = [p.read_text() for d in ("gui", "cli", "bench", "tools", "packaging")
               for p in (ROOT / d).rglob("*.py")]
    text = "\n".join(sources) + (ROOT / "main.py").read_text()
    unused = [n for n in engine.__all__ if not re.search(rf"\bengine\.{re.escape(n)}\b", text)]
    assert not unused, f"exported but unused: {unused}"


def test_export_stays_the_function_when_its_module_is_imported() -> None:
    importlib.import_module("engine.export")
    assert inspect.isfunction(engine.export) and engine.export.__name__ == "export"


def test_no_removed_name_is_documented() -> None:
    for gone in ("Renderer", "head_motion=", "build_motion_track", ".render(motion"):
        assert gone not in DOC, gone
    assert not Path(ROOT / "gui" / "window_files.py").exists()
