"""Students' own Arduino sketches: compile them and run them on a simulated Uno, no board needed.

:func:`build` compiles a ``.ino`` with avr-gcc and the Arduino core as the IDE
does (errors come as the compiler prints them, ``blink.ino:7:3: error: ...``).
:func:`run` runs it on simavr for some simulated seconds, as fast as the
machine goes, with fixed voltages on analog pins and levels on digital
inputs; it returns what the sketch printed on ``Serial`` and every change of
its output pins, which :meth:`SketchRun.plot` draws like a logic analyzer.

PWM pins are recorded by their duty (0..1), as simavr does not toggle them.

>>> from labkit import sketch
>>> result = sketch.run("blink.ino", seconds=2, adc={"A0": 2.5})   # doctest: +SKIP
>>> result.serial                                                # doctest: +SKIP
'hello\\r\\n'
>>> result.plot([13])                                            # doctest: +SKIP
"""

from __future__ import annotations

import codecs
import csv
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from labkit.errors import PinModeError, SimulationError, SketchError, ValueRangeError
from labkit.profiles import BoardProfile, PinSpec, load_board
from labkit.sim.avr._bridge import CLOCK_HZ, Bridge, PinMap, adc_command
from labkit.sim.avr._compile import BuiltSketch, compile_sketch
from labkit.sim.avr._decode import PinDecoder
from labkit.sim.board import TRACE_DTYPE

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["BuiltSketch", "SketchRun", "build", "run"]

MAX_SECONDS = 3600.0


def build(sketch: str | os.PathLike[str], board: str = "uno") -> BuiltSketch:
    """Compile ``sketch`` (a ``.ino`` file) for ``board``; raises SketchBuildError with gcc's words.

    >>> built = build("blink.ino")            # doctest: +SKIP
    >>> built.hex.name, built.flash_bytes     # doctest: +SKIP
    ('blink.hex', 1990)
    """
    path = Path(sketch)
    if path.suffix.lower() != ".ino":
        raise SketchError(f"{path} is not an Arduino sketch: give a .ino file")
    if not path.is_file():
        raise SketchError(f"no sketch at {path}")
    return compile_sketch(path, load_board(board), str(sketch))


@dataclass(frozen=True)
class SketchRun:
    """What a sketch did in a simulated run.

    ``serial``: everything it printed; ``trace``: every change of its outputs
    (``TRACE_DTYPE``: ``t_s`` simulated seconds, ``pin``, ``value`` 0/1 or PWM
    duty); ``seconds``: simulated time; ``wall_s``: how long the run took.
    """

    serial: str
    trace: np.ndarray
    seconds: float
    wall_s: float
    board: BoardProfile

    @property
    def speed(self) -> float:
        """Simulated seconds per wall-clock second."""
        return self.seconds / self.wall_s if self.wall_s > 0 else float("inf")

    def changes(self, pin: PinSpec) -> np.ndarray:
        """The trace rows of one pin (``13``, ``"D13"``, ``"A0"``)."""
        return self.trace[self.trace["pin"] == self.board.pin(pin)]

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the trace as CSV with columns ``t_s,pin,value`` (pins as ``D13``, ``A0``)."""
        target = Path(path)
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["t_s", "pin", "value"])
            for t, pin, value in self.trace.tolist():
                writer.writerow([f"{t:.9f}", self.board.label(pin), f"{value:g}"])
        return target

    def plot(self, pins: list[PinSpec] | None = None, ax: Axes | None = None) -> Axes:
        """Draw the chosen pins (all that changed by default) one above the other, as steps."""
        import matplotlib.pyplot as plt

        numbers = [self.board.pin(p) for p in pins] if pins else sorted(set(self.trace["pin"].tolist()))
        if ax is None:
            _, ax = plt.subplots(figsize=(9, 1.4 + 0.5 * max(len(numbers), 1)), layout="constrained")
        for row, pin in enumerate(numbers):
            rows = self.changes(pin)
            t = np.concatenate([[0.0], rows["t_s"], [self.seconds]])
            values = np.concatenate([[0.0], rows["value"], rows["value"][-1:] if len(rows) else [0.0]])
            ax.step(t, row * 1.5 + values, where="post", linewidth=1.2)
        ax.set_yticks([row * 1.5 + 0.5 for row in range(len(numbers))], [self.board.label(p) for p in numbers])
        ax.set_xlim(0, self.seconds)
        ax.set_xlabel("simulated time (s)")
        ax.set_title("pin changes (PWM pins show their duty)")
        return ax


def _inputs(board: BoardProfile, pins: PinMap, adc: Mapping[PinSpec, float], levels: Mapping[PinSpec, int]) -> list[str]:
    commands = []
    for spec, volts in adc.items():
        pin = board.pin(spec)
        channel = board.analog_channel(pin)
        if channel is None:
            raise PinModeError(f"{board.label(pin)} is not an analog input; the {board.title} has {', '.join(board.analog_pins)}")
        if not 0.0 <= float(volts) <= board.vref:
            raise ValueRangeError(f"the voltage on {board.label(pin)} must be within 0..{board.vref:g} V, not {volts}")
        commands.append(adc_command(channel, float(volts), board.vref))
    for spec, level in levels.items():
        pin = board.pin(spec)
        if pin in board.reserved_pins or pin not in pins.ports:
            raise PinModeError(f"{board.label(pin)} cannot be driven from outside (it is the serial line or analog-only)")
        if level not in (0, 1):
            raise ValueRangeError(f"the level on {board.label(pin)} must be 0 or 1, not {level!r}")
        port, bit = pins.ports[pin]
        commands.append(f"in {port} {bit} {int(level)}")
    return commands


def run(
    sketch: str | os.PathLike[str] | BuiltSketch,
    board: str = "uno",
    seconds: float = 1.0,
    adc: Mapping[PinSpec, float] | None = None,
    pins: Mapping[PinSpec, int] | None = None,
    on_serial: Callable[[str], Any] | None = None,
) -> SketchRun:
    """Run a sketch (``.ino``, built first, or ``.hex``) for ``seconds`` of simulated time.

    ``adc``: volts on analog pins (``{"A0": 2.5}``); ``pins``: levels driven on
    digital inputs (``{2: 0}``: a button to GND pressed); ``on_serial``:
    called with each piece of Serial text as it comes. A sketch that sleeps
    with interrupts off (``cli(); sleep_cpu();``) ends the run early.

    >>> run("blink.ino", seconds=1).changes(13)["t_s"]   # doctest: +SKIP
    array([0.   , 0.1  , 0.2  , ...])
    """
    seconds = float(seconds)
    if not 0.0 < seconds <= MAX_SECONDS:
        raise ValueRangeError(f"seconds must be within 0..{MAX_SECONDS:g}, not {seconds}")
    profile = load_board(board)
    pin_map = PinMap.of(profile)
    commands = _inputs(profile, pin_map, adc or {}, pins or {})
    if isinstance(sketch, BuiltSketch):
        hex_file = sketch.hex
    elif Path(sketch).suffix.lower() == ".hex":
        hex_file = Path(sketch)
        if not hex_file.is_file():
            raise SketchError(f"no firmware at {hex_file}")
    else:
        hex_file = build(sketch, board).hex

    rows: list[tuple[float, int, float]] = []
    traced: dict[int, float] = {}

    def record(t: float, pin: int, mode: str, value: float) -> None:
        if traced.get(pin, 0.0) != value:
            traced[pin] = value
            rows.append((t, pin, value))

    decoder = PinDecoder(pin_map, CLOCK_HZ, record, servo=False)
    ours, theirs = socket.socketpair()
    serial: list[str] = []

    def listen() -> None:
        text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while data := ours.recv(65536):
            chunk = text.decode(data)
            if chunk:
                serial.append(chunk)
                if on_serial is not None:
                    on_serial(chunk)

    started = time.perf_counter()
    try:
        bridge = Bridge(hex_file, profile, theirs.fileno(), seconds)
    finally:
        theirs.close()  # the bridge holds the other end now: its exit ends the Serial stream
    listener = threading.Thread(target=listen, name="labkit-sketch serial", daemon=True)
    listener.start()
    try:
        bridge.send(*commands)
        bridge.go()
        for words in bridge.events():
            decoder.feed(words)
        listener.join()
        if decoder.crashed or not decoder.ended:
            raise SimulationError(
                f"the sketch crashed the simulated AVR after {decoder.now:.6f} s: {bridge.errors() or 'no reason given'}"
            )
    finally:
        bridge.close()
        ours.close()
    wall = time.perf_counter() - started
    trace = np.array(rows, dtype=TRACE_DTYPE)
    # A sketch that sleeps with interrupts off stops for good: the run ends there.
    ran = min(decoder.now, seconds)
    return SketchRun("".join(serial), trace[np.argsort(trace["t_s"], kind="stable")], ran, wall, profile)
