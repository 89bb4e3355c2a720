"""Every example in the sim package's docstrings runs and shows what it says."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "labkit.sim",
    "labkit.sim.board",
    "labkit.sim.cli",
    "labkit.sim.firmata",
    "labkit.sim.firmware",
    "labkit.sim.transport",
    "labkit.sim.world",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0 or name == "labkit.sim.board"
