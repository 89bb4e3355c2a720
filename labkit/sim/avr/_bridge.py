"""One simulated AVR: the ``labkit-avr-bridge`` process and its line protocol (see bridge.c).

:class:`Bridge` starts the process on a firmware ``.hex`` with the UART on a
file descriptor (a pty master or a socket), sends it inputs (ADC voltages,
levels on pins) and yields its events as text lines. :class:`PinMap` says
which AVR port bit and ADC channel each Arduino pin is.
"""

from __future__ import annotations

import math
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from labkit.errors import SimulationError
from labkit.profiles import BoardProfile
from labkit.sim.avr._setup import bridge_program

__all__ = ["CLOCK_HZ", "Bridge", "PinMap", "adc_command"]

CLOCK_HZ = 16_000_000
# Arduino pin n of an ATmega328P board sits on port _PORT_LETTERS[n] (Uno and Nano variants).
_PORT_LETTERS = {"atmega328p": "DDDDDDDDBBBBBBCCCCCC"}


def adc_command(channel: int, volts: float, vref: float = 5.0) -> str:
    """The bridge command putting ``volts`` on ADC ``channel``.

    The ATmega's 10-bit ADC gives code = floor(V * 1024 / Vref); simavr takes
    whole millivolts and divides by 1023 steps. So the code is worked out
    here and sent as the smallest millivolt count that simavr turns into it.

    >>> adc_command(0, 2.5), adc_command(1, 5.0)
    ('adc 0 2503', 'adc 1 5000')
    """
    code = min(max(math.floor(volts * 1024 / vref), 0), 1023)
    return f"adc {channel} {math.ceil(code * vref * 1000 / 1023 - 1e-9)}"


@dataclass(frozen=True)
class PinMap:
    """Where each Arduino pin of a board is on the AVR: port bit and ADC channel."""

    board: BoardProfile
    ports: dict[int, tuple[str, int]]

    @classmethod
    def of(cls, board: BoardProfile) -> PinMap:
        """The map for ``board``; SimulationError for an MCU labkit cannot simulate."""
        letters = _PORT_LETTERS.get(board.mcu)
        if letters is None:
            raise SimulationError(
                f"the simulated AVR runs ATmega328P boards (uno, nano), not the {board.title} ({board.mcu})"
            )
        ports = {pin: (letter, letters[:pin].count(letter)) for pin, letter in enumerate(letters)}
        return cls(board, ports)

    def pin_at(self, port: str, bit: int) -> int | None:
        """The Arduino pin on ``port`` bit ``bit`` (None when the board has none there)."""
        for pin, place in self.ports.items():
            if place == (port, bit):
                return pin
        return None


class Bridge:
    """A running ``labkit-avr-bridge``: commands in, event lines out.

    ``uart_fd`` stays open in the child only; ``seconds`` > 0 runs free for
    that much simulated time, 0 runs locked to the wall clock until closed.
    Call :meth:`go` after the first inputs.
    """

    def __init__(self, firmware: Path, board: BoardProfile, uart_fd: int, seconds: float = 0.0) -> None:
        program = bridge_program()
        self._stderr = tempfile.TemporaryFile()
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [str(program), board.mcu, str(CLOCK_HZ), str(firmware), str(uart_fd), repr(float(seconds))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            pass_fds=(uart_fd,),
            text=True,
            bufsize=1,
        )
        assert self._process.stdout is not None
        self._stdout = self._process.stdout
        if self._stdout.readline().strip() != "ready":
            self._process.wait(timeout=5)
            raise SimulationError(f"simavr could not load {firmware.name}: {self.errors() or 'no reason given'}")

    def errors(self) -> str:
        """What the bridge and simavr wrote to stderr (the last lines)."""
        self._stderr.seek(0)
        lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        return "\n".join(lines[-10:])

    def send(self, *commands: str) -> None:
        """Send command lines (``adc 0 2500``, ``in B 5 1``...); ignored once it has stopped."""
        if not commands:
            return
        with self._lock:
            try:
                assert self._process.stdin is not None
                self._process.stdin.write("".join(f"{c}\n" for c in commands))
                self._process.stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass

    def go(self) -> None:
        """Start the AVR running."""
        self.send("go")

    def events(self) -> Iterator[list[str]]:
        """Each event line, split into words, until the bridge exits."""
        for line in self._stdout:
            yield line.split()

    @property
    def returncode(self) -> int | None:
        """The bridge's exit status once it ended (None while it runs)."""
        return self._process.poll()

    def stop(self) -> None:
        """End the process (quit, then kill if it does not); its events end. Idempotent."""
        if self._process.poll() is None:
            self.send("quit")
            try:
                self._process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def close(self) -> None:
        """Stop, then close the pipes (once nothing reads :meth:`events` any more)."""
        self.stop()
        for stream in (self._process.stdin, self._stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        self._stderr.close()
