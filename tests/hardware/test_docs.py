"""The examples in labkit.hardware's docstrings run, on the virtual board, and show what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "labkit.hardware._events",
    "labkit.hardware._inputs",
    "labkit.hardware._outputs",
    "labkit.hardware._parser",
    "labkit.hardware._pins",
    "labkit.hardware.board",
    "labkit.hardware.virtual",
]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
