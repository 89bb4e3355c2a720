"""Fixtures for the hardware tests: a virtual board on a real pty, and scripted pty peers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labkit.hardware import Board
from tests.hardware.helpers import PtyPeer


@pytest.fixture
def board() -> Iterator[Board]:
    """A virtual Uno with the starter kit, opened through its pty like a real board."""
    with Board.connect("sim", sampling_interval=0.01) as connected:
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

