"""Test helpers: a scripted pty peer, and waiting for the virtual board to catch up.

``PtyPeer`` is the far end of a real pty, scripted by a test: a silent port, a
noisy one, a tiny Firmata board.

The virtual board (labkit.sim) is the realistic peer; this one exists for what
a well-behaved board never does: stay silent, spew garbage, speak another
protocol, or interleave junk with valid messages at exactly known places.
"""

from __future__ import annotations

import os
import select
import threading
import time
import tty
from collections.abc import Callable
from typing import TypeVar

from labkit.hardware import Button

ButtonT = TypeVar("ButtonT", bound=Button)

# What each engine of the ``engine`` fixture runs: the Python emulation, or the genuine firmware on simavr.
FIRMWARE: dict[str, str | None] = {"emulated": None, "simavr": "StandardFirmata"}


def reports(version: tuple[int, int]) -> bytes:
    """The version and firmware reports of a StandardFirmata of ``version``."""
    name = b"".join(bytes([c, 0]) for c in b"PeerFirmata")
    return bytes([0xF9, *version, 0xF0, 0x79, *version]) + name + bytes([0xF7])


def analog(channel: int, value: int) -> bytes:
    """An ANALOG_MESSAGE, as a board sends it."""
    return bytes([0xE0 | channel, value & 0x7F, value >> 7])


def digital(port: int, mask: int) -> bytes:
    """A DIGITAL_MESSAGE for a whole 8-pin port."""
    return bytes([0x90 | port, mask & 0x7F, mask >> 7])


class PtyPeer:
    """A pty whose master side this test drives; ``port`` is what labkit opens.

    ``answer_firmata`` makes it answer the version and firmware queries like a
    StandardFirmata of ``version``; ``received`` holds every byte the host wrote.
    """

    def __init__(self, answer_firmata: bool = False, version: tuple[int, int] = (2, 5)) -> None:
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self.answer_firmata = answer_firmata
        self.version = version
        self.received = bytearray()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._read_loop, daemon=True)]
        self._threads[0].start()

    def _read_loop(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(self.master, 4096)
            except OSError:
                return
            with self._lock:
                self.received += data
            if self.answer_firmata and (b"\xf9" in data or b"\xf0\x79\xf7" in data):
                self.send(reports(self.version))

    def send(self, data: bytes) -> None:
        """Write ``data`` to the host."""
        os.write(self.master, data)

    def keep_sending(self, make: Callable[[], bytes], every: float = 0.01) -> None:
        """Send ``make()`` every ``every`` seconds in the background until closed."""

        def loop() -> None:
            while not self._stop.wait(every):
                try:
                    os.write(self.master, make())
                except OSError:
                    return

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        self._threads.append(thread)

    def wait_received(self, expected: bytes, timeout: float = 2.0) -> bool:
        """True once ``expected`` appears in what the host wrote."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if expected in self.received:
                    return True
            time.sleep(0.01)
        return False

    def unplug(self) -> None:
        """Close the master: the host's next read or write fails, as when a cable is pulled."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=1)
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass

    close = unplug


def eventually(check: Callable[[], object], timeout: float = 2.0) -> object:
    """Poll ``check()`` until it is truthy (the virtual board acts a moment after a write)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.005)


def settled(button: ButtonT, timeout: float = 2.0) -> ButtonT:
    """``button`` once it reads released (the kit's buttons start released).

    On the simulated AVR a new pull-up shows on the bridge's next input tick,
    so StandardFirmata's first report may still read the pin LOW ("pressed");
    a real pin settles in microseconds, before any report. The emulation
    reads HIGH at once, so there this returns at once.
    """
    assert eventually(lambda: not button.is_pressed, timeout), f"{button!r} never read released"
    return button
