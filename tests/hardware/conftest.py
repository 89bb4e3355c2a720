"""Fixtures for the hardware tests: a board on either engine, and scripted pty peers.

A test that asks for ``board`` (or ``engine``) runs twice: on labkit's Python
emulation of StandardFirmata (``emulated``) and on the genuine StandardFirmata
2.4 running on a simulated ATmega328P (``simavr``, marked ``firmware``). Where
the two differ, the test says what each engine gives and why; the differences
are listed in ``tests/firmware/test_conformance.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labkit.errors import ToolMissingError
from labkit.hardware import Board
from tests.hardware.helpers import FIRMWARE, PtyPeer
from tests.support import absent


@pytest.fixture(params=[pytest.param("emulated"), pytest.param("simavr", marks=pytest.mark.firmware)])
def engine(request: pytest.FixtureRequest) -> str:
    """``emulated`` or ``simavr``: what the virtual board runs (simavr skips, or fails under CI, without its tools)."""
    if request.param == "simavr":
        from labkit.sim.avr._setup import bridge_program, standard_firmata

        try:
            bridge_program()
            standard_firmata("uno")
        except ToolMissingError as exc:
            absent(str(exc))
    return str(request.param)


@pytest.fixture
def firmware(engine: str) -> str | None:
    """The ``firmware=`` that makes a virtual board of this engine."""
    return FIRMWARE[engine]


@pytest.fixture
def board(firmware: str | None) -> Iterator[Board]:
    """A virtual Uno with the starter kit, on either engine, opened through its pty like a real board."""
    with Board.connect("sim", firmware=firmware, sampling_interval=0.01) as connected:
        yield connected


@pytest.fixture
def peer() -> Iterator[PtyPeer]:
    """A pty whose other end stays silent unless the test makes it speak."""
    with_peer = PtyPeer()
    yield with_peer
    with_peer.close()


@pytest.fixture
def firmata_peer() -> Iterator[PtyPeer]:
    """A pty whose other end answers the version and firmware queries like StandardFirmata."""
    with_peer = PtyPeer(answer_firmata=True)
    yield with_peer
    with_peer.close()
