"""``labkit sim`` prints a port that answers as StandardFirmata, and stops cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from labkit.sim import VirtualBoard
from labkit.sim.cli import control
from tests.sim.host import RawHost


def test_labkit_sim_serves_until_interrupted(tmp_path: Path) -> None:
    link = tmp_path / "arduino"
    process = subprocess.Popen(
        [sys.executable, "-m", "labkit", "sim", "--seed", "4", "--link", str(link)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.startswith("/dev/pts/")
        assert link.resolve() == Path(port)
        host = RawHost(str(link))
        try:
            host.send(0xF9)
            assert host.wait_for(lambda r: r.command == 0xF9, timeout=5).data == (2, 5)
        finally:
            host.close()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "Traceback" not in err
    assert not link.exists()


def test_labkit_sim_with_an_unknown_profile_fails_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "labkit", "sim", "--profile", "nope"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.startswith("labkit: error: no board profile 'nope'")
    assert "Traceback" not in result.stderr


def test_labkit_sim_takes_commands_that_set_the_world() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "labkit", "sim", "--control"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        port = process.stdout.readline().strip()
        host = RawHost(port)
        try:
            host.wait_for(lambda r: r.command == 0xF0 and r.channel == 0x79, timeout=5)
            process.stdin.write("light=1.0\n")
            process.stdin.flush()
            assert process.stdout.readline().strip() == "light = 1.0"
            host.send(0xC0, 1)  # report A0
            readings = [host.wait_for(lambda r: r.command == 0xE0, timeout=5).value for _ in range(3)]
            assert abs(readings[-1] - 984) <= 3  # an LDR divider in full light (984 without noise)
            process.stdin.write("pin A0\nlight=7\nfly\nquit\n")
            process.stdin.flush()
            out, err = process.communicate(timeout=10)
        finally:
            host.close()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    lines = out.splitlines()
    assert lines[0].startswith("A0: analog, ") and "reads" in lines[0]
    assert lines[1] == "error: light must be within 0..1, not 7.0"
    assert lines[2].startswith("error: not a command: 'fly'")
    assert process.returncode == 0 and "Traceback" not in err


def test_labkit_sim_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "labkit", "sim"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("/dev/pts/")
        process.terminate()
        _, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0 and "Traceback" not in err


def test_control_commands_in_process(board: VirtualBoard, host: RawHost) -> None:
    assert control(board, "press") == "button pressed" and board.world.buttons["button"]
    assert control(board, "release button") == "button released" and not board.world.buttons["button"]
    assert control(board, "motion=on") == "motion = True" and board.world.motion
    assert control(board, "temperature_c = 30") == "temperature_c = 30.0"
    assert control(board, "trace") == "no changes yet"
    host.send(0xF4, 13, 1, 0xF5, 13, 1)
    assert control(board, "pin d13") == "D13: output, level 1, duty 1"
    assert control(board, "trace 5").endswith(" D13 1")
    assert control(board, "pin A1") == "A1: analog, level 0, duty 0, reads 163 (0.800 V)"
    assert control(board, "press sneeze").startswith("error: ") and "no button 'sneeze'" in control(board, "press sneeze")
    assert control(board, "pin 42").startswith("error: Arduino Uno has no pin 42")
    assert "commands" in control(board, "help")
    assert control(board, "   ") == "" and control(board, "quit") is None
