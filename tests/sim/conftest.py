"""Fixtures: a virtual board on a real pty, and a raw-bytes host attached to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labkit.sim import VirtualBoard
from tests.sim.host import RawHost


@pytest.fixture
def board() -> Iterator[VirtualBoard]:
    with VirtualBoard(profile="uno", kit="starter", seed=0, noise_lsb=0, boot_s=0.01) as vb:
        yield vb


@pytest.fixture
def host(board: VirtualBoard) -> Iterator[RawHost]:
    """A host that opened the port and got the boot reports."""
    client = RawHost(board.port)
    client.wait_for(lambda r: r.command == 0xF0 and r.channel == 0x79)
    yield client
    client.close()
