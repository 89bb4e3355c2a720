"""Fixtures for the simulated-AVR tests: the tools they need, and sketches written on the fly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from labkit.errors import ToolMissingError
from tests.support import absent


@pytest.fixture(scope="session")
def avr_tools() -> None:
    """simavr, the bridge, avr-gcc and the Arduino core, or skip (fail under CI=true)."""
    from labkit.sim.avr._compile import core_archive
    from labkit.sim.avr._setup import bridge_program

    try:
        bridge_program()
        core_archive("uno")
    except ToolMissingError as exc:
        absent(str(exc))


@pytest.fixture(scope="session")
def standard_firmata(avr_tools: None) -> Path:
    """The genuine StandardFirmata .hex (npm's avrgirl-arduino), or skip without npm."""
    from labkit.sim.avr._setup import standard_firmata

    try:
        return standard_firmata("uno")
    except ToolMissingError as exc:
        absent(str(exc))
        raise


@pytest.fixture
def write_sketch(tmp_path: Path, avr_tools: None) -> Callable[[str, str], Path]:
    """Write a sketch's source to ``tmp_path/NAME.ino`` and return its path."""

    def write(name: str, source: str) -> Path:
        path = tmp_path / f"{name}.ino"
        path.write_text(source)
        return path

    return write
