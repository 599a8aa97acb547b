"""What `help()` shows: every public callable of `walogs` has a docstring, and each method
and constructor of the native classes names its parameters and says what it returns, what
it raises and what it costs.

The list of callables and their signatures comes from the installed stub
(`walogs/_walogs.pyi`), which stubtest keeps equal to the compiled module, so a method added
to both without documentation fails here.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import walogs

CLASSES = ("Wal", "Streams", "Consumer", "WalIterator")


def _stub_classes() -> dict[str, ast.ClassDef]:
    stub = Path(walogs.__file__).parent / "_walogs.pyi"
    tree = ast.parse(stub.read_text())
    return {n.name: n for n in tree.body if isinstance(n, ast.ClassDef) and n.name in CLASSES}


STUB = _stub_classes()


def _is_property(f: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "property" for d in f.decorator_list)


def _params(f: ast.FunctionDef) -> list[str]:
    """The parameter names a caller passes (not `self`/`cls`)."""
    a = f.args
    names = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    return [n for n in names if n not in ("self", "cls")]


def _names(doc: str, param: str) -> bool:
    """Whether `doc` names `param` as code: `` `param` `` or `` `param=...` ``."""
    return re.search(rf"`{re.escape(param)}\b", doc) is not None


def _methods() -> list[tuple[str, ast.FunctionDef]]:
    return [
        (cls, f)
        for cls, node in STUB.items()
        for f in node.body
        if isinstance(f, ast.FunctionDef) and not f.name.startswith("_") and not _is_property(f)
    ]


def _properties() -> list[tuple[str, str]]:
    return [
        (cls, f.name)
        for cls, node in STUB.items()
        for f in node.body
        if isinstance(f, ast.FunctionDef) and _is_property(f)
    ]


def _constructors() -> list[tuple[str, ast.FunctionDef]]:
    return [
        (cls, f)
        for cls, node in STUB.items()
        for f in node.body
        if isinstance(f, ast.FunctionDef) and f.name == "__new__"
    ]


def test_the_stub_lists_every_class_and_enough_methods() -> None:
    # Guards the parametrized tests below against an empty or misread stub.
    assert set(STUB) == set(CLASSES)
    assert len(_methods()) >= 35
    assert {c for c, _ in _constructors()} == {"Wal", "Streams"}


@pytest.mark.parametrize("name", [n for n in walogs.__all__ if callable(getattr(walogs, n))])
def test_every_public_class_and_function_has_a_docstring(name: str) -> None:
    obj = getattr(walogs, name)
    doc = inspect.getdoc(obj) or ""
    assert len(doc) >= 20, f"walogs.{name} has no real docstring: {doc!r}"
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        assert "Raises" in doc and re.search(r"\breturns?\b", doc, re.I), doc


@pytest.mark.parametrize(
    ("cls", "method"), [(c, f) for c, f in _methods()], ids=lambda v: getattr(v, "name", v)
)
def test_every_method_says_parameters_returns_raises_and_cost(
    cls: str, method: ast.FunctionDef
) -> None:
    doc = getattr(getattr(walogs, cls), method.name).__doc__ or ""
    where = f"{cls}.{method.name}"
    assert doc.strip(), f"{where} has no docstring"
    missing = [p for p in _params(method) if not _names(doc, p)]
    assert not missing, f"{where}: the docstring does not name {missing}"
    assert "Raises" in doc, f"{where}: the docstring says nothing of what it raises"
    assert "Cost" in doc, f"{where}: the docstring says nothing of its cost"
    returns_none = isinstance(method.returns, ast.Constant) and method.returns.value is None
    if not returns_none:
        assert re.search(r"\breturns?\b", doc, re.I), f"{where}: no word of what it returns"


@pytest.mark.parametrize(("cls", "prop"), _properties())
def test_every_property_has_a_docstring(cls: str, prop: str) -> None:
    doc = getattr(getattr(walogs, cls), prop).__doc__ or ""
    assert len(doc.strip()) >= 5, f"{cls}.{prop} has no docstring"


@pytest.mark.parametrize(("cls", "new"), _constructors(), ids=lambda v: getattr(v, "name", v))
def test_help_of_a_class_documents_its_constructor(cls: str, new: ast.FunctionDef) -> None:
    # pyo3 shows the class docstring for the constructor (a #[new] doc comment is not kept).
    doc = getattr(walogs, cls).__doc__ or ""
    missing = [p for p in _params(new) if not _names(doc, p)]
    assert not missing, f"help(walogs.{cls}) does not name the parameters {missing}"
    assert "Raises" in doc and "Cost" in doc, f"help(walogs.{cls}): no Raises or no Cost"
    assert getattr(walogs, cls).__text_signature__.startswith("(path, *,")
