"""The examples in labkit.widgets' docstrings run (on the virtual board) and show what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "labkit.widgets",
    "labkit.widgets._devices",
    "labkit.widgets._latest",
    "labkit.widgets._picture",
    "labkit.widgets._ring",
    "labkit.widgets._ticker",
    "labkit.widgets._trace_plot",
    "labkit.widgets.board_panel",
    "labkit.widgets.layer_viewer",
    "labkit.widgets.scope",
]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
