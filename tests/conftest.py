"""Fixtures shared by every part of the suite."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _no_board_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's LABKIT_BOARD must not point the suite at a real Arduino.
    if os.environ.get("LABKIT_BOARD") not in (None, "sim"):
        monkeypatch.setenv("LABKIT_BOARD", "sim")
