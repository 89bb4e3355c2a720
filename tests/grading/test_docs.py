"""The examples in the grading docstrings run (the curriculum engineer writes notebooks from them)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import labkit.grading

MODULES = sorted(f"labkit.grading.{m.name}" for m in pkgutil.iter_modules(labkit.grading.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_authoring_format_is_documented() -> None:
    doc = labkit.grading.__doc__ or ""
    for word in ("``solution``", "``check``", "``hidden``", '"points"', '"hint"', "sanitize", "LABKIT_BOARD=sim", "stub"):
        assert word in doc, word
    assert set(labkit.grading.__all__) <= set(dir(labkit.grading)) | set(labkit.grading._HOMES)
    for name in labkit.grading.__all__:
        assert getattr(labkit.grading, name) is not None
