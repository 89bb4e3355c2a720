"""The command line explains itself and turns mistakes into one line."""

from __future__ import annotations

import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "labkit", *args], capture_output=True, text=True, timeout=120)


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("lab", "slice", "sim", "boards", "release", "check", "grade", "sketch"):
        assert command in result.stdout
    assert "examples:" in result.stdout


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("labkit ")


def test_no_command_prints_help_and_fails() -> None:
    result = run()
    assert result.returncode == 2 and "COMMAND" in result.stdout
