"""Helpers shared by the test suite."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
MESHES = SHARED / "meshes"
IN_CI = os.environ.get("CI") == "true"


def absent(reason: str) -> None:
    """Skip because something outside the project is absent; under CI=true, fail instead.

    Only for real absences (a tool, a browser, ../shared); never for a part of labkit.
    """
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing tool or file is a failure, not a skip)")
    pytest.skip(reason)


def need_program(name: str) -> str:
    """The path of a program on PATH, or skip/fail via ``absent``."""
    path = shutil.which(name)
    if path is None:
        absent(f"{name} is not installed (make test installs it with apt-get)")
    assert path is not None
    return path


def shared_mesh(name: str) -> Path:
    """A mesh from ../shared/meshes, or skip/fail via ``absent`` in a user's clone."""
    path = MESHES / name
    if not path.is_file():
        absent(f"{path} is not here: ../shared/meshes exists only beside the developers' checkout")
    return path
