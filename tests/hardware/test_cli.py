"""``labkit boards`` lists ports and finds the Firmata boards among them, in a real subprocess."""

from __future__ import annotations

import subprocess
import sys

from labkit.hardware import Board
from labkit.sim import VirtualBoard
from tests.hardware.helpers import PtyPeer


def boards(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labkit", "boards", *args], capture_output=True, text=True, timeout=60
    )


def test_boards_finds_a_virtual_board_and_tells_a_silent_port_apart(peer: PtyPeer, engine: str, firmware: str | None) -> None:
    with VirtualBoard(seed=0, firmware=firmware) as vb:
        result = boards("--port", vb.port, "--port", peer.port, "--port", "/dev/ttyNOPE9", "--timeout", "1.5")
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("/")}
    # avrgirl-arduino ships StandardFirmata 2.4; the emulation is the Arduino IDE's 2.5.
    version = {"emulated": "2.5", "simavr": "2.4"}[engine]
    assert f"StandardFirmata.ino {version} (Firmata {version})" in lines[vb.port]
    assert "no Firmata answer in 1.5 s; it sent nothing at all" in lines[peer.port]
    assert "no such port" in lines["/dev/ttyNOPE9"]
    assert result.stdout.splitlines()[0].split() == ["PORT", "USB", "ID", "DESCRIPTION", "FIRMATA"]
    assert "1 Firmata board found" in result.stdout


def test_boards_can_only_list(peer: PtyPeer) -> None:
    result = boards("--no-probe", "--port", peer.port)
    assert result.returncode == 0
    assert peer.port in result.stdout and "FIRMATA" not in result.stdout
    assert peer.received == b""  # listing opens nothing


def test_a_port_in_use_is_named_so(firmware: str | None) -> None:
    with VirtualBoard(seed=0, firmware=firmware) as vb, Board.connect(vb.port):
        result = boards("--port", vb.port, "--timeout", "1")
    line = next(line for line in result.stdout.splitlines() if line.startswith(vb.port))
    assert "already open in another program" in line
