"""Students' sketches compile with the IDE's rules and run on the simulated Uno, in simulated time."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from labkit import sketch
from labkit.errors import (
    PinModeError,
    SimulationError,
    SketchBuildError,
    SketchError,
    ValueRangeError,
)
from labkit.sim.avr._compile import sketch_source

pytestmark = pytest.mark.firmware

BLINK = """\
// The LED toggles every 100 ms; a helper below its first use, as the IDE allows.
void setup() {
  pinMode(13, OUTPUT);
  Serial.begin(9600);
  Serial.println("blink ready");
}

void loop() {
  toggle(100);
}

void toggle(int ms) {
  digitalWrite(13, HIGH);
  delay(ms);
  digitalWrite(13, LOW);
  delay(ms);
}
"""

READINGS = """\
void setup() {
  Serial.begin(115200);
  pinMode(2, INPUT_PULLUP);
  pinMode(4, INPUT);
}

void loop() {
  Serial.print("A0=");
  Serial.print(analogRead(A0));
  Serial.print(" A3=");
  Serial.print(analogRead(A3));
  Serial.print(" D2=");
  Serial.print(digitalRead(2));
  Serial.print(" D4=");
  Serial.println(digitalRead(4));
  delay(50);
}
"""

Write = Callable[[str, str], Path]


def readings(text: str) -> dict[str, int]:
    """The last complete line of READINGS' output, as numbers."""
    line = [ln for ln in text.splitlines() if ln.startswith("A0=")][-1]
    return {key: int(value) for key, value in (item.split("=") for item in line.split())}


def test_compiler_errors_name_the_sketch_and_line(write_sketch: Write) -> None:
    path = write_sketch("broken", "void setup() {\n  pinMode(13, OUTPUT);\n}\n\nvoid loop() {\n  digitalWrite(13, HIGH)\n  delay(100);\n  blinkk(3);\n}\n")
    with pytest.raises(SketchBuildError) as caught:
        sketch.build(path)
    message = str(caught.value)
    assert f"{path}:7:3: error: expected" in message
    assert f"{path}:8:" in message and "blinkk" in message


def test_cli_build_prints_compiler_errors_without_traceback(write_sketch: Write, tmp_path: Path) -> None:
    write_sketch("oops", "void setup() { int x = ; }\nvoid loop() {}\n")
    result = subprocess.run([sys.executable, "-m", "labkit", "sketch", "build", "oops.ino"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "oops.ino:1:24: error:" in result.stderr
    assert "Traceback" not in result.stderr


def test_build_reports_sizes_and_reuses_the_build(write_sketch: Write) -> None:
    path = write_sketch("blink", BLINK)
    first = sketch.build(path)
    assert first.hex.is_file() and first.hex.read_text().startswith(":")
    assert 1000 < first.flash_bytes < 32256 and first.ram_bytes > 0
    assert sketch.build(path).hex == first.hex


def test_blink_period_is_right_in_simulated_time(write_sketch: Write) -> None:
    result = sketch.run(write_sketch("blink", BLINK), seconds=1.0)
    led = result.changes(13)
    assert led["value"].tolist()[:4] == [1.0, 0.0, 1.0, 0.0]
    assert len(led) == 10  # 1 s of 100 ms halves
    intervals = np.diff(led["t_s"])
    assert np.allclose(intervals, 0.100, atol=0.0002), intervals
    assert result.serial == "blink ready\r\n"


def test_serial_output_streams_as_it_comes(write_sketch: Write) -> None:
    path = write_sketch("count", "int n = 0;\nvoid setup() { Serial.begin(57600); }\n"
                        "void loop() { Serial.print(\"n=\"); Serial.println(n++); delay(100); }\n")
    pieces: list[str] = []
    result = sketch.run(path, seconds=0.55, on_serial=pieces.append)
    assert result.serial == "".join(f"n={i}\r\n" for i in range(6))
    assert "".join(pieces) == result.serial


@pytest.mark.parametrize("volts", [0.0, 0.3, 1.0, 2.5, 4.99, 5.0])
def test_analog_read_follows_the_voltage(write_sketch: Write, volts: float) -> None:
    result = sketch.run(write_sketch("readings", READINGS), seconds=0.12, adc={"A0": volts, "A3": 5.0 - volts})
    values = readings(result.serial)
    # The ATmega's 10-bit ADC: code = floor(V * 1024 / Vref), at most 1023.
    assert values["A0"] == min(int(volts * 1024 / 5.0), 1023)
    assert values["A3"] == min(int(round(5.0 - volts, 6) * 1024 / 5.0), 1023)


def test_digital_read_follows_driven_levels_and_the_pull_up(write_sketch: Write) -> None:
    path = write_sketch("readings", READINGS)
    released = readings(sketch.run(path, seconds=0.12, pins={4: 1}).serial)
    assert released["D2"] == 1 and released["D4"] == 1  # D2 reads its pull-up
    pressed = readings(sketch.run(path, seconds=0.12, pins={"D2": 0, 4: 0}).serial)
    assert pressed["D2"] == 0 and pressed["D4"] == 0


def test_pwm_duty_from_analog_write(write_sketch: Write) -> None:
    path = write_sketch("pwm", "void setup() {\n  analogWrite(9, 64);\n  analogWrite(5, 191);\n"
                        "  analogWrite(3, 128);\n  delay(20);\n  analogWrite(9, 0);\n}\nvoid loop() {}\n")
    result = sketch.run(path, seconds=0.05)
    # Timer 1 (pin 9) and timer 2 (pin 3) count up and down to 255; timer 0 (pin 5) is fast PWM to 256.
    assert result.changes(9)["value"].tolist() == pytest.approx([64 / 255, 0.0])
    assert result.changes(9)["t_s"][1] == pytest.approx(0.020, abs=0.002)
    assert result.changes(5)["value"].tolist() == pytest.approx([192 / 256])
    assert result.changes(3)["value"].tolist() == pytest.approx([128 / 255])


def test_cli_run_streams_serial_and_writes_the_trace(write_sketch: Write, tmp_path: Path) -> None:
    write_sketch("blink", BLINK)
    result = subprocess.run(
        [sys.executable, "-m", "labkit", "sketch", "run", "blink.ino", "--seconds", "0.5", "--trace", "out.csv",
         "--adc", "A0=1.5", "--pin", "2=1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "blink ready"
    with (tmp_path / "out.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["pin"] for r in rows] == ["D13"] * 5
    assert [float(r["t_s"]) for r in rows][1] == pytest.approx(0.1, abs=0.001)


def test_plot_draws_one_trace_per_pin(write_sketch: Write) -> None:
    result = sketch.run(write_sketch("blink", BLINK), seconds=0.5)
    ax = result.plot([13, "D12"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["D13", "D12"]
    assert len(ax.lines) == 2


def test_bad_runs_fail_clearly(write_sketch: Write, tmp_path: Path) -> None:
    path = write_sketch("blink", BLINK)
    with pytest.raises(ValueRangeError, match="seconds"):
        sketch.run(path, seconds=0)
    with pytest.raises(PinModeError, match="D5 is not an analog input"):
        sketch.run(path, adc={5: 1.0})
    with pytest.raises(ValueRangeError, match="0..5 V"):
        sketch.run(path, adc={"A0": 7})
    with pytest.raises(ValueRangeError, match="0 or 1"):
        sketch.run(path, pins={2: 5})
    with pytest.raises(PinModeError, match="serial"):
        sketch.run(path, pins={0: 1})
    with pytest.raises(SketchError, match="not an Arduino sketch"):
        sketch.build(tmp_path / "notes.txt")
    with pytest.raises(SketchError, match="no sketch"):
        sketch.build(tmp_path / "missing.ino")


def test_a_sketch_that_sleeps_for_good_ends_the_run(write_sketch: Write) -> None:
    path = write_sketch("halt", "#include <avr/sleep.h>\nvoid setup() {\n  Serial.begin(9600);\n"
                        "  Serial.println(\"bye\");\n  Serial.flush();\n  delay(200);\n  cli();\n"
                        "  sleep_enable();\n  sleep_cpu();\n}\nvoid loop() {}\n")
    result = sketch.run(path, seconds=5.0)
    assert result.serial == "bye\r\n"
    assert 0.2 < result.seconds < 0.25


def test_a_crash_is_reported_with_simavr_s_reason(write_sketch: Write) -> None:
    path = write_sketch("wild", "void setup() { delay(10); *(volatile uint8_t *)0x0900 = 1; }\nvoid loop() {}\n")
    with pytest.raises(SimulationError, match=r"crashed the simulated AVR after 0\.01\d* s: .*0900"):
        sketch.run(path, seconds=1.0)


def test_a_low_level_interrupt_held_low_does_not_stall_the_simulation(write_sketch: Write) -> None:
    # simavr 1.6 would poll a LOW-level INT0 every cycle while the pin is low; the bridge turns that off.
    path = write_sketch("lowint", "volatile int hits = 0;\nvoid count() { hits++; }\nvoid setup() {\n"
                        "  Serial.begin(9600);\n  pinMode(2, INPUT_PULLUP);\n  attachInterrupt(0, count, LOW);\n}\n"
                        "void loop() { delay(400); Serial.println(hits > 100); }\n")
    result = sketch.run(path, seconds=1.0, pins={2: 0})
    assert result.serial.split() == ["1", "1"]
    assert result.wall_s < 10.0


def test_prototypes_like_the_ide_after_the_sketchs_own_types(write_sketch: Write) -> None:
    source = """\
#include <EEPROM.h>
/* a comment with a fake function: int nope() { } */
struct Point { int x, y; };
const char *names[] = {"a", "b"};

void setup() {
  Serial.begin(9600);
  Point p = {3, 4};
  Serial.println(square(p));
  EEPROM.write(0, 42);
  Serial.println(EEPROM.read(0));
}

void loop() {}

long square(Point p) { return (long)p.x * p.x + (long)p.y * p.y; }
"""
    generated = sketch_source(source, "shapes.ino")
    assert "long square(Point p);" in generated and "int nope();" not in generated
    # Prototypes come after the struct, with #line markers keeping the student's line numbers.
    assert generated.index("struct Point") < generated.index("long square(Point p);")
    result = sketch.run(write_sketch("shapes", source), seconds=0.05)
    assert result.serial.split() == ["25", "42"]
