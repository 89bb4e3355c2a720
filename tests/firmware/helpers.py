"""Shared by the simulated-AVR tests: waiting on a condition, and plain pyfirmata2 on a port."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pyfirmata2


def wait_until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll ``condition`` until it holds; AssertionError after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)


@contextmanager
def firmata_client(port: str) -> Iterator[pyfirmata2.Arduino]:
    """pyfirmata2 on ``port``, once the board reported its version after the reset that opening causes.

    pyfirmata2 sleeps 5 s for a real Uno's reset (BOARD_SETUP_WAIT_TIME); set it to 0 first.
    """
    arduino = pyfirmata2.Arduino(port)
    arduino.samplingOn(19)
    try:
        try:
            wait_until(lambda: arduino.firmata_version is not None, timeout=3.0)
        except AssertionError:
            # The emulation polls for a host every 5 ms and can miss a close and reopen within
            # that (the simulated AVR watches the pty for every open): ask, as a careful host does.
            arduino.sp.write(bytes([pyfirmata2.REPORT_VERSION]))
            wait_until(lambda: arduino.firmata_version is not None)
        yield arduino
    finally:
        arduino.exit()
        # Nobody reopens a port within milliseconds; the emulation's attach poll needs the pause.
        time.sleep(0.1)
