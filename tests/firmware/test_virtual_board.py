"""``VirtualBoard(firmware=...)``: the same interface as the emulated board, on the simulated AVR."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from labkit import sketch
from labkit.errors import BoardClosedError, SimulationError
from labkit.sim import VirtualBoard
from tests.firmware.helpers import wait_until

pytestmark = pytest.mark.firmware

ECHO = """\
// Echoes what the host sends, upper-cased; pin 13 follows the light sensor on A0.
void setup() { Serial.begin(57600); pinMode(13, OUTPUT); Serial.println("echo ready"); }
void loop() {
  while (Serial.available()) Serial.write(toupper(Serial.read()));
  digitalWrite(13, analogRead(A0) > 600);
}
"""


def read_until(fd: int, needle: bytes, timeout: float = 10.0) -> bytes:
    seen = b""
    end = time.monotonic() + timeout
    while needle not in seen:
        if time.monotonic() > end:
            raise AssertionError(f"{needle!r} never came; got {seen!r}")
        try:
            seen += os.read(fd, 1024)
        except BlockingIOError:
            time.sleep(0.005)
    return seen


def open_raw(port: str) -> int:
    import tty

    fd = os.open(port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    tty.setraw(fd)
    return fd


def test_a_students_sketch_runs_behind_the_virtual_board(write_sketch: Callable[[str, str], Path]) -> None:
    built = sketch.build(write_sketch("echo", ECHO))
    with VirtualBoard(firmware=str(built.hex), seed=0, noise_lsb=0) as vb:
        fd = open_raw(vb.port)
        try:
            read_until(fd, b"echo ready\r\n")  # opening the port reset the board
            os.write(fd, b"hello")
            read_until(fd, b"HELLO")
            vb.world.light = 1.0
            wait_until(lambda: vb.pin(13).level == 1)
            vb.world.light = 0.0
            wait_until(lambda: vb.pin(13).level == 0)
            assert vb.trace()["pin"].tolist().count(13) >= 2
        finally:
            os.close(fd)


def test_link_unplug_and_close(standard_firmata: Path, tmp_path: Path) -> None:
    link = tmp_path / "ttyUNO"
    vb = VirtualBoard(firmware="StandardFirmata", link=link)
    assert link.is_symlink() and os.readlink(link) == vb.port
    fd = open_raw(str(link))
    read_until(fd, bytes([0xF9, 2, 4]))  # the version report after the reset
    vb.unplug()
    with pytest.raises(BoardClosedError):
        vb.pin(13)
    with pytest.raises(OSError):
        for _ in range(100):
            os.write(fd, b"\xf9")  # the cable is out: the pty is gone
            os.read(fd, 1)
            time.sleep(0.01)
    os.close(fd)
    vb.close()
    assert not link.exists()


def test_a_crash_surfaces_on_the_next_call(write_sketch: Callable[[str, str], Path]) -> None:
    built = sketch.build(write_sketch("wild", "void setup() { delay(50); *(volatile uint8_t *)0x0900 = 1; }\nvoid loop() {}\n"))
    with VirtualBoard(firmware=str(built.hex)) as vb:

        def crashed() -> bool:
            try:
                vb.pin(13)
            except SimulationError:
                return True
            return False

        wait_until(crashed)
        with pytest.raises(SimulationError, match="crashed: .*0900"):
            vb.pin(13)


def test_labkit_sim_runs_standard_firmata_until_ctrl_c(standard_firmata: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", "labkit", "sim", "--firmware", "StandardFirmata"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        fd = open_raw(port)
        try:
            read_until(fd, bytes([0xF9, 2, 4]))  # opening resets it; then it reports its version
        finally:
            os.close(fd)
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_the_nanos_build_is_firmata_2_3(standard_firmata: Path) -> None:
    with VirtualBoard(profile="nano", kit=None, firmware="StandardFirmata") as vb:
        fd = open_raw(vb.port)
        try:
            read_until(fd, bytes([0xF9, 2, 3]))
            os.write(fd, bytes([0xF4, 13, 1, 0x91, 0x20, 0x00]))  # pin 13 OUTPUT, then HIGH
            assert vb.pin(13).level == 1
        finally:
            os.close(fd)
