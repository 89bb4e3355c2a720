"""Genuine firmware on simavr: how fast it simulates, and how a Firmata host sees it.

- Simulated speed of free-running sketches: labkit's bridge (``labkit.sketch.run``) beside the
  ``simavr`` program itself on the same .hex, each sketch stopping itself after a fixed amount of work.
- Connect time, sample rates and latencies of a Firmata host (pyfirmata2) on StandardFirmata running
  on simavr, beside the same host on the Python emulation of StandardFirmata.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import pyfirmata2

from labkit import sketch
from labkit.hardware import Board
from labkit.sim import VirtualBoard
from labkit.sim.avr._setup import require_program

REPEATS = 5
SKETCHES = {
    "arithmetic (float maths, Serial every 2000 loops)": """\
#include <avr/sleep.h>
volatile float x = 1.0;
void setup() { Serial.begin(115200); }
void loop() {
  for (long i = 0; i < 100000L; i++) {
    x = x * 1.0001 + 0.5 / (1 + (i & 7));
    if (i % 2000 == 0) Serial.println(x);
  }
  Serial.flush();
  cli(); sleep_enable(); sleep_cpu();
}
""",
    "blink with delay() and Serial, 5 simulated s": """\
#include <avr/sleep.h>
void setup() { pinMode(13, OUTPUT); Serial.begin(9600); }
void loop() {
  digitalWrite(13, !digitalRead(13));
  Serial.println(millis());
  delay(50);
  if (millis() > 5000) { Serial.flush(); cli(); sleep_enable(); sleep_cpu(); }
}
""",
}


def simulated_speed(folder: Path) -> list[str]:
    simavr = require_program("simavr", "simavr")
    lines = [
        "### Simulated speed of free-running sketches (ATmega328P at 16 MHz)",
        "",
        f"Median of {REPEATS} runs; speed is simulated seconds per wall-clock second (1.0 = real time).",
        "",
        "| sketch | simulated s | labkit `sketch.run` wall s | `simavr` CLI wall s | labkit speed | simavr speed | labkit / simavr time |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for title, source in SKETCHES.items():
        path = folder / f"bench{len(lines)}.ino"
        path.write_text(source)
        built = sketch.build(path)
        ours_runs, theirs_runs = [], []
        for _ in range(REPEATS):  # interleaved, so both see the same load
            result = sketch.run(built, seconds=60.0)
            ours_runs.append(result.wall_s)
            start = time.perf_counter()
            subprocess.run([simavr, "-m", "atmega328p", "-f", "16000000", str(built.hex)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, timeout=600)
            theirs_runs.append(time.perf_counter() - start)
        simulated = result.seconds
        ours, theirs = statistics.median(ours_runs), statistics.median(theirs_runs)
        lines.append(
            f"| {title} | {simulated:.3f} | {ours:.3f} | {theirs:.3f} | {simulated / ours:.2f}x | "
            f"{simulated / theirs:.2f}x | {ours / theirs:.2f} |"
        )
    return lines


def connect(port: str) -> tuple[pyfirmata2.Arduino, float]:
    """Open the port with pyfirmata2; seconds until the firmware's version report arrives."""
    start = time.perf_counter()
    client = pyfirmata2.Arduino(port)
    client.samplingOn(19)
    while client.firmata_version is None:
        if time.perf_counter() - start > 30:
            raise RuntimeError(f"no version report on {port}")
        time.sleep(0.002)
    return client, time.perf_counter() - start


def labkit_connect(port: str) -> float:
    """Seconds for labkit's ``Board.connect`` on the port (it waits for the version report)."""
    start = time.perf_counter()
    with Board.connect(port, profile="uno", kit="starter"):
        return time.perf_counter() - start


def rate(client: pyfirmata2.Arduino, channels: int, interval_ms: int) -> float:
    """Analog reports per second, all channels together, over 2 s."""
    stamps: list[float] = []
    client.setSamplingInterval(interval_ms)
    for channel in range(channels):
        client.analog[channel].register_callback(lambda _v: stamps.append(time.perf_counter()))
        client.analog[channel].enable_reporting()
    time.sleep(0.5)
    start = len(stamps)
    time.sleep(2.0)
    window = stamps[start:]
    for channel in range(channels):
        client.analog[channel].disable_reporting()
    return (len(window) - 1) / (window[-1] - window[0]) if len(window) > 1 else 0.0


def light_latency(vb: VirtualBoard, client: pyfirmata2.Arduino) -> float:
    """Median seconds from setting world.light to the host's callback seeing the new reading."""
    seen: list[tuple[float, float]] = []
    client.setSamplingInterval(10)
    client.analog[0].register_callback(lambda v: seen.append((time.perf_counter(), v)))
    client.analog[0].enable_reporting()
    delays = []
    for i in range(20):
        light = 0.2 if i % 2 else 0.8
        vb.world.light = light
        start = time.perf_counter()
        code = int(vb.world.analog_voltage("A0") * 1024 / 5.0)
        while not (seen and seen[-1][0] > start and round(seen[-1][1] * 1023) == code):
            if time.perf_counter() - start > 5:
                raise RuntimeError("the reading never followed the light")
            time.sleep(0.0005)
        delays.append(seen[-1][0] - start)
    client.analog[0].disable_reporting()
    return statistics.median(delays)


def write_latency(vb: VirtualBoard, client: pyfirmata2.Arduino) -> float:
    """Median seconds from a digital write to the board's pin showing it (writes 20 ms apart)."""
    delays = []
    for i in range(20):
        time.sleep(0.02)
        level = (i + 1) % 2
        start = time.perf_counter()
        client.digital[13].write(level)
        while vb.pin(13).level != level:
            if time.perf_counter() - start > 5:
                raise RuntimeError("the pin never followed the write")
            time.sleep(0.0002)
        delays.append(time.perf_counter() - start)
    return statistics.median(delays)


def host_view() -> list[str]:
    pyfirmata2.pyfirmata2.BOARD_SETUP_WAIT_TIME = 0
    rows: dict[str, dict[str, float]] = {}
    for engine, firmware in (("Python emulation (2.5)", None), ("StandardFirmata 2.4 on simavr", "StandardFirmata")):
        row: dict[str, float] = {}
        with VirtualBoard(firmware=firmware, seed=1, noise_lsb=0) as vb:
            times = []
            for _ in range(5):
                client, seconds = connect(vb.port)
                times.append(seconds)
                client.exit()
            row["connect"] = statistics.median(times)
            row["labkit Board.connect"] = statistics.median(labkit_connect(vb.port) for _ in range(5))
            client, _ = connect(vb.port)
            try:
                row["rate 1 ch @ 19 ms"] = rate(client, 1, 19)
                row["rate 6 ch @ 10 ms"] = rate(client, 6, 10)
                row["rate 1 ch @ 1 ms"] = rate(client, 1, 1)
                row["light latency"] = light_latency(vb, client)
                row["write latency"] = write_latency(vb, client)
            finally:
                client.exit()
        rows[engine] = row
    python, avr = rows.values()
    lines = [
        "### A Firmata host (pyfirmata2) on each virtual board",
        "",
        "Connect: pyfirmata2 opens the port and waits for the version report; labkit's `Board.connect`",
        "the same plus its set-up (medians of 5 opens; each open resets the board). Write latency: from",
        "a digital write to `vb.pin(13)` showing it (on simavr `pin()` first syncs with the firmware).",
        "Rates: analog reports per second reaching the host. Latencies: medians of 20.",
        "",
        f"| measure | {' | '.join(rows)} | simavr / emulation |",
        "| --- | ---: | ---: | ---: |",
    ]
    units = {"connect": "s", "labkit Board.connect": "s", "light latency": "ms", "write latency": "ms"}
    for key in python:
        unit = units.get(key, "/s")
        scale = 1000.0 if unit == "ms" else 1.0
        lines.append(
            f"| {key} ({unit}) | {python[key] * scale:.3g} | {avr[key] * scale:.3g} | {avr[key] / python[key]:.2f} |"
        )
    lines += [
        "",
        "StandardFirmata 2.4 samples no faster than every 10 ms; the emulation (2.5) allows 1 ms. The",
        "simulated AVR boots through the firmware's two-second version blink unthrottled, then runs locked",
        "to the wall clock.",
    ]
    return lines


def run() -> str:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        speed = simulated_speed(Path(tmp))
    host = host_view()
    note = f"Load average at the start: {load:.1f} on {os.cpu_count()} cores (the simulation needs one core to itself)."
    return "\n".join(["## Firmware on a simulated ATmega328P (issue 7)", "", note, "", *speed, "", *host])


if __name__ == "__main__":
    print(run())
