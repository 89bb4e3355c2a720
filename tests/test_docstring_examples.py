"""Every example in labkit's docstrings runs and shows what it says.

The examples are the first thing a student copies into a notebook, so each
module's examples run here (on the virtual board where they need a board).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import labkit


def _modules() -> list[str]:
    names = ["labkit"]
    for info in pkgutil.walk_packages(labkit.__path__, prefix="labkit."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    public = not any(part.startswith("_") for part in name.split("."))
    shown = sum(len(test.examples) for test in doctest.DocTestFinder().find(module))
    assert shown > 0 or not public, f"{name} is public but shows no example"

