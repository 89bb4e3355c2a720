"""Hardware layer: labkit against bare pyfirmata2 2.5.1, both on the virtual board's pty.

Measured side by side in one run:

- connect time (labkit waits for the firmware's report; pyfirmata2 sleeps 5 s);
- analog samples delivered per second at 1 ms and 10 ms sampling on 1 and 6
  channels, against what the firmware sent and the wire limit (57600 baud,
  10 bits a byte, 3 bytes a message: 1,920 messages/s);
- host CPU per 1,000 samples (the virtual board runs in another process, so
  only the client's CPU is counted);
- pin-change-to-callback latency, from pressing the simulated button to the
  user's callback running.

    python benchmarks/run.py hardware
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pyfirmata2

from labkit.hardware import Board
from labkit.sim import VirtualBoard

WIRE_LIMIT = 57600 / 10 / 3
MEASURE_S = 3.0
CONFIGS = [(10, 1), (10, 6), (1, 1), (1, 6)]  # (sampling ms, channels)
CPU_CONFIGS = [(10, 1), (1, 6)]


class SentCounter:
    """Counts the analog messages the virtual firmware hands to its serial port.

    Instrumentation of the simulator's internals (``_backend.firmware._send``):
    the only place that knows what was sent, as opposed to what arrived.
    """

    def __init__(self, vb: VirtualBoard) -> None:
        firmware = vb._backend.firmware
        send = firmware._send
        self.count = 0

        def counting(data: bytes) -> None:
            if data and data[0] & 0xF0 == 0xE0:
                self.count += 1
            send(data)

        firmware._send = counting
        self.marks: list[int] = []

    def mark(self) -> None:
        """Note the count now (a window starts or ends)."""
        self.marks.append(self.count)


@contextmanager
def pyfirmata2_board(port: str) -> Iterator[pyfirmata2.Arduino]:
    arduino = pyfirmata2.Arduino(port)
    try:
        yield arduino
    finally:
        arduino.exit()


@contextmanager
def sim_process() -> Iterator[str]:
    """A virtual board in its own process (so its CPU is not the client's); yields its port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "labkit", "sim", "--seed", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


# -- connect --------------------------------------------------------------------------------------


def connect_times() -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"labkit, to a running virtual board": [],
                                      'labkit, Board.connect("sim") (starts the board too)': [],
                                      "pyfirmata2 2.5.1, Arduino(port)": []}
    with VirtualBoard(seed=0) as vb:
        for _ in range(10):
            started = time.perf_counter()
            board = Board.connect(vb.port)
            times["labkit, to a running virtual board"].append(time.perf_counter() - started)
            board.close()
        for _ in range(2):
            started = time.perf_counter()
            with pyfirmata2_board(vb.port):
                times["pyfirmata2 2.5.1, Arduino(port)"].append(time.perf_counter() - started)
    for _ in range(10):
        started = time.perf_counter()
        board = Board.connect("sim")
        times['labkit, Board.connect("sim") (starts the board too)'].append(time.perf_counter() - started)
        board.close()
    return times


# -- delivery and CPU -----------------------------------------------------------------------------


Mark = Callable[[], object]


def _count_windows(counts: list[int], windows: int, mark: Mark) -> list[tuple[int, float]]:
    """(samples counted, CPU seconds) in each of ``windows`` windows of MEASURE_S, after a settle."""
    found = []
    time.sleep(0.3)
    for _ in range(windows):
        mark()
        cpu, before = time.process_time(), counts[0]
        time.sleep(MEASURE_S)
        found.append((counts[0] - before, time.process_time() - cpu))
        mark()
    return found


def labkit_windows(port: str, ms: int, channels: int, windows: int, mark: Mark = lambda: None) -> list[tuple[int, float]]:
    """(samples delivered, CPU seconds) in each of ``windows`` windows of MEASURE_S.

    Samples are counted by a listener (``AnalogSensor.add_listener``), which
    gets every reading, as pyfirmata2's pin callbacks do. ``mark()`` is called
    as each window starts and ends.
    """
    counts = [0]

    def on_reading(t: float, value: float) -> None:
        counts[0] += 1

    with Board.connect(port, sampling_interval=ms / 1000) as board:
        for i in range(channels):
            board.analog_sensor(f"A{i}").add_listener(on_reading)
        return _count_windows(counts, windows, mark)


def pyfirmata2_windows(port: str, ms: int, channels: int, windows: int, mark: Mark = lambda: None) -> list[tuple[int, float]]:
    """(samples delivered, CPU seconds) per window, counted in pyfirmata2's pin callbacks."""
    counts = [0]

    def on_value(value: float) -> None:
        counts[0] += 1

    with pyfirmata2_board(port) as arduino:
        arduino.samplingOn(ms)
        for i in range(channels):
            arduino.analog[i].register_callback(on_value)
            arduino.analog[i].enable_reporting()
        return _count_windows(counts, windows, mark)


CLIENTS = {"labkit": labkit_windows, "pyfirmata2": pyfirmata2_windows}


def delivery() -> dict[tuple[str, int, int], tuple[int, int]]:
    """(delivered, sent) per client and config, on a fresh in-process virtual board each."""
    found: dict[tuple[str, int, int], tuple[int, int]] = {}
    for client, windows in CLIENTS.items():
        for ms, channels in CONFIGS:
            with VirtualBoard(seed=0) as vb:
                counter = SentCounter(vb)
                delivered = windows(vb.port, ms, channels, 1, counter.mark)[0][0]
                found[client, ms, channels] = (delivered, counter.marks[1] - counter.marks[0])
    return found


def cpu_per_thousand() -> dict[tuple[str, int, int], list[float]]:
    """CPU ms per 1,000 samples, each window a run; the board in its own process."""
    found: dict[tuple[str, int, int], list[float]] = {}
    for client, windows in CLIENTS.items():
        for ms, channels in CPU_CONFIGS:
            with sim_process() as port:
                found[client, ms, channels] = [cpu / n * 1000 for n, cpu in windows(port, ms, channels, 3)]
    return found


# -- latency --------------------------------------------------------------------------------------


def press_latencies(vb: VirtualBoard, wait_pressed: Callable[[], float], presses: int = 300) -> list[float]:
    """Seconds from world.press() to the callback, ``presses`` times."""
    found = []
    for _ in range(presses):
        started = time.perf_counter()
        vb.world.press("button")
        found.append(wait_pressed() - started)
        vb.world.release("button")
        time.sleep(0.01)
    return found


def latencies() -> dict[str, list[float]]:
    found = {}
    with VirtualBoard(seed=0) as vb:
        with Board.connect(vb.port) as board:
            button = board.button(2)
            pressed = threading.Event()
            at = [0.0]

            def on_press() -> None:
                at[0] = time.perf_counter()
                pressed.set()

            button.when_pressed = on_press

            def wait_labkit() -> float:
                assert pressed.wait(2)
                pressed.clear()
                return at[0]

            found["labkit"] = press_latencies(vb, wait_labkit)
        with pyfirmata2_board(vb.port) as arduino:
            arduino.samplingOn(19)
            pin = arduino.get_pin("d:2:u")
            low = threading.Event()

            def on_level(value: bool) -> None:
                if value is False and not low.is_set():
                    at[0] = time.perf_counter()
                    low.set()

            pin.register_callback(on_level)
            time.sleep(0.2)

            def wait_pyfirmata2() -> float:
                assert low.wait(2)
                low.clear()
                return at[0]

            found["pyfirmata2"] = press_latencies(vb, wait_pyfirmata2)
    return found


# -- the report -----------------------------------------------------------------------------------


def run() -> str:
    connect = connect_times()
    delivered = delivery()
    cpu = cpu_per_thousand()
    latency = latencies()
    lines = ["## Hardware: labkit vs bare pyfirmata2 2.5.1 on the virtual board", ""]
    lines += ["### Connect time", "", "| client | median | runs |", "| --- | ---: | ---: |"]
    for name, values in connect.items():
        lines.append(f"| {name} | {statistics.median(values):.3f} s | {len(values)} |")
    target = statistics.median(connect["labkit, to a running virtual board"])
    lines += ["", f"Target < 0.3 s: {'met' if target < 0.3 else 'NOT met'} ({target:.3f} s).", ""]
    lines += [
        "### Samples delivered per second",
        "",
        f"{MEASURE_S:g} s per row; the wire carries at most {WIRE_LIMIT:,.0f} analog messages/s. "
        "*Sent* is what the virtual firmware wrote; each client counts what reached "
        "the user's code (labkit: `add_listener`, pyfirmata2: pin callbacks). A window's edges "
        "can shift a message or two either way.",
        "",
        "| sampling | channels | asked for /s | firmware sent /s | labkit delivered /s | labkit delivered/sent "
        "| pyfirmata2 delivered /s | pyfirmata2 delivered/sent |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for ms, channels in CONFIGS:
        got, sent = delivered["labkit", ms, channels]
        raw_got, raw_sent = delivered["pyfirmata2", ms, channels]
        lines.append(
            f"| {ms} ms | {channels} | {channels * 1000 / ms:,.0f} | {sent / MEASURE_S:,.0f} | "
            f"{got / MEASURE_S:,.0f} | {got / max(sent, 1):.1%} | {raw_got / MEASURE_S:,.0f} | {raw_got / max(raw_sent, 1):.1%} |"
        )
    lines += [
        "",
        "### Host CPU per 1,000 samples",
        "",
        "The virtual board runs in its own process (`labkit sim`); medians of 3 windows of "
        f"{MEASURE_S:g} s. Ratio = labkit / pyfirmata2 (target <= 1.2).",
        "",
        "| sampling, channels | labkit | pyfirmata2 | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    for ms, channels in CPU_CONFIGS:
        mine = statistics.median(cpu["labkit", ms, channels])
        theirs = statistics.median(cpu["pyfirmata2", ms, channels])
        lines.append(f"| {ms} ms, {channels} | {mine * 1000:.1f} ms | {theirs * 1000:.1f} ms | {mine / theirs:.2f} |")
    lines += [
        "",
        "### Pin change to callback",
        "",
        "From `world.press()` on the virtual board to the user's callback running "
        f"({len(latency['labkit'])} presses). labkit runs callbacks on their own thread; "
        "pyfirmata2 on its reader thread, which polls every 1 ms.",
        "",
        "| client | median | p99 |",
        "| --- | ---: | ---: |",
    ]
    for name, values in latency.items():
        lines.append(f"| {name} | {np.median(values) * 1000:.2f} ms | {np.percentile(values, 99) * 1000:.2f} ms |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
