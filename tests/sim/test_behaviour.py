"""What the board does over time: reset, reopening, pull-ups, bounce, servos, determinism."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import serial

from labkit.errors import BoardClosedError, LabkitError, SimulationError, ToolMissingError
from labkit.sim import VirtualBoard
from tests.sim.host import RawHost
from tests.support import absent


def booted(port: str) -> RawHost:
    host = RawHost(port)
    host.wait_for(lambda r: r.command == 0xF0 and r.channel == 0x79)
    return host


def digital_reports(host: RawHost, seconds: float, port: int = 0) -> list[int]:
    return [r.value for r in host.pump(seconds) if r.command == 0x90 and r.channel == port]


def test_system_reset_puts_modes_back_but_not_the_levels(board: VirtualBoard, host: RawHost) -> None:
    host.send(0xF4, 13, 1, 0x91, 0x20, 0)  # D13 output, high
    host.send(0xF4, 4, 11)  # D4 input with pull-up
    host.send(0xF4, 5, 3, 0xE5, 100, 0)  # D5 PWM
    host.sysex(0x70, 9, 544 & 0x7F, 544 >> 7, 2400 & 0x7F, 2400 >> 7)
    host.send(0xC0, 1)
    host.pump(0.05)
    assert board.pin(13).level == 1 and board.pin(9).mode == "servo"
    host.send(0xFF)
    host.pump(0.05)
    assert [board.pin(p).mode for p in (4, 5, 9, 13)] == ["output"] * 4
    # StandardFirmata 2.5 only calls pinMode(OUTPUT): each pin drives what its PORT bit held.
    assert board.pin(13).level == 1 and board.pin(4).level == 1
    assert board.pin(5).level == 0 and board.pin(9).level == 0  # PWM and servo end low
    assert not any(r.command == 0xE0 for r in host.pump(0.1))  # reporting is off again
    assert board.pin("A0").mode == "analog"


def test_switching_an_input_with_pull_up_to_output_drives_it_high(board: VirtualBoard, host: RawHost) -> None:
    host.send(0xF4, 7, 11, 0xF4, 7, 1)
    assert board.pin(7).level == 1
    host.send(0xF4, 7, 0, 0xF4, 7, 1)  # plain INPUT drops the pull-up first
    assert board.pin(7).level == 0


def test_reopening_the_port_resets_the_board(board: VirtualBoard) -> None:
    host = booted(board.port)
    host.send(0xF4, 13, 1, 0xF5, 13, 1)
    host.pump(0.05)
    host.close()
    time.sleep(0.05)
    assert board.pin(13).level == 1  # closing the port leaves the board running
    assert not board.host_attached
    host = booted(board.port)
    try:
        assert board.pin(13).level == 0
        assert host.replies[0].command == 0xF9
    finally:
        host.close()


def test_writing_1_to_an_input_turns_its_pull_up_on(board: VirtualBoard, host: RawHost) -> None:
    host.send(0xF4, 2, 0, 0xD0, 1)  # D2 plain INPUT, report port 0
    floating = board.world.digital_level(2, pull_up=False)
    assert digital_reports(host, 0.05) == [floating << 2]
    host.send(0x90, 0x04, 0)  # port 0 bit 2 = 1: StandardFirmata enables the pull-up
    host.pump(0.05)
    assert board.pin(2).level == 1 and board.pin(2).mode == "input"
    board.world.press("button")
    assert digital_reports(host, 0.05) == [0]


def test_a_bouncing_button_reports_every_flip(board: VirtualBoard, host: RawHost) -> None:
    host.send(0xF4, 2, 11, 0xD0, 1)
    assert digital_reports(host, 0.05) == [4]
    board.world.bounce_ms = 15
    board.world.press("button")
    levels = digital_reports(host, 0.1)
    assert levels[-1] == 0 and len(levels) >= 3 and len(levels) % 2 == 1
    board.world.release("button")
    assert digital_reports(host, 0.1)[-1] == 4


def test_a_servo_slews_toward_its_command(board: VirtualBoard, host: RawHost) -> None:
    host.sysex(0x70, 9, 544 & 0x7F, 544 >> 7, 2400 & 0x7F, 2400 >> 7)  # attaching sends 1500 us
    host.send(0xE9, 0, 0)  # 0 degrees
    started = time.monotonic()
    host.pump(0.1)
    elapsed = time.monotonic() - started
    assert board.pin(9).servo_angle == pytest.approx(max(0.0, 90 - 300 * elapsed), abs=12)
    host.pump(0.25)
    assert board.pin(9).servo_angle == 0.0
    state = board.pin(9)
    assert state.pulse_us == 544 and state.level == 1
    assert [(int(p), v) for _, p, v in board.trace() if p == 9] == [(9, 1500.0), (9, 544.0)]


def test_servo_pulse_widths_follow_the_servo_library(board: VirtualBoard, host: RawHost) -> None:
    host.sysex(0x70, 9, 1000 & 0x7F, 1000 >> 7, 2000 & 0x7F, 2000 >> 7)
    host.send(0xE9, 90, 0)
    host.pump(0.05)
    assert board.pin(9).pulse_us == 1500  # 90 degrees between the configured limits
    host.send(0xE9, 2100 & 0x7F, 2100 >> 7)  # microseconds, clamped to the maximum
    host.pump(0.05)
    assert board.pin(9).pulse_us == 2000


def test_the_same_seed_gives_the_same_readings() -> None:
    def first_readings(seed: int) -> list[int]:
        with VirtualBoard(seed=seed, boot_s=0.01) as vb:
            vb.world.jitter_lsb = 1.5
            vb.world.knob = 0.5
            host = booted(vb.port)
            try:
                host.sysex(0x7A, 2, 0)
                host.send(0xC2, 1)
                values: list[int] = []
                while len(values) < 40:
                    values += [r.value for r in host.pump(0.02) if r.command == 0xE0 and r.channel == 2]
                return values[:40]
            finally:
                host.close()

    first = first_readings(11)
    assert first_readings(11) == first
    assert first_readings(12) != first
    assert all(abs(v - 512) <= 8 for v in first)


def test_analog_readings_follow_the_world(board: VirtualBoard, host: RawHost) -> None:
    host.send(0xC0, 1, 0xC1, 1, 0xC2, 1)
    board.world.light, board.world.temperature_c, board.world.knob = 0.2, 25.0, 0.75
    host.pump(0.1)
    latest = {r.channel: r.value for r in host.pump(0.05) if r.command == 0xE0}
    assert latest == {0: 911, 1: 153, 2: 768}


def test_mega_pwm_beyond_pin_15_takes_extended_analog() -> None:
    with VirtualBoard(profile="mega2560", seed=0, boot_s=0.01) as vb:
        host = booted(vb.port)
        try:
            host.send(0xF4, 44, 3)
            host.sysex(0x6F, 44, 100, 0)
            host.pump(0.05)
            assert vb.pin(44).duty == pytest.approx(100 / 255)
            host.sysex(0x6B)
            capability = host.wait_for(lambda r: r.command == 0xF0 and r.channel == 0x6C)
            assert capability.data.count(0x7F) == 70
        finally:
            host.close()


def test_string_data_from_the_host_is_ignored(host: RawHost) -> None:
    host.sysex(0x71, ord("h"), 0, ord("i"), 0)
    host.send(0xF9)
    assert host.wait_for(lambda r: r.command == 0xF9).data == (2, 5)


def test_pyserial_write_fails_after_unplug() -> None:
    with VirtualBoard(seed=0, boot_s=0.01) as vb:
        port = serial.Serial(vb.port, 57600, timeout=0.5)
        try:
            assert port.read(3) == bytes([0xF9, 2, 5])
            vb.unplug()
            started = time.monotonic()
            with pytest.raises(serial.SerialException):
                port.write(b"\xf9")
                port.read(1)
            assert time.monotonic() - started < 1.0
        finally:
            port.close()
        with pytest.raises(BoardClosedError, match="closed"):
            vb.pin(13)


def test_pin_shows_a_write_as_soon_as_the_host_wrote_it(board: VirtualBoard, host: RawHost) -> None:
    host.send(0xF4, 13, 1)
    for level in (1, 0) * 25:
        host.send(0xF5, 13, level)
        assert board.pin(13).level == level
    assert len(board.trace()) == 50


def test_a_bare_board_has_no_parts() -> None:
    with VirtualBoard(profile="mega2560", kit=None, boot_s=0.01) as vb:
        assert dict(vb.world.kit.parts) == {}
        with pytest.raises(SimulationError, match="no light sensor"):
            vb.world.light = 0.5
        assert 0.0 <= vb.world.analog_voltage("A15") <= 5.0  # floating


def test_genuine_firmware_is_delegated_and_fails_clearly() -> None:
    with pytest.raises(LabkitError):
        VirtualBoard(firmware="/nonexistent/sketch.hex")


def test_genuine_firmware_runs_behind_the_same_interface() -> None:
    try:
        vb = VirtualBoard(firmware="StandardFirmata", seed=0)
    except ToolMissingError as exc:
        absent(str(exc))
    with vb:
        host = RawHost(vb.port)
        try:
            assert host.wait_for(lambda r: r.command == 0xF9, timeout=10).data[0] == 2
            host.send(0xF4, 13, 1, 0x91, 0x20, 0)
            deadline = time.monotonic() + 5
            # The AVR's trace arrives from the simulator a little after its registers change.
            while vb.pin(13).level != 1 or [float(v) for _, p, v in vb.trace() if p == 13][-1:] != [1.0]:
                assert time.monotonic() < deadline, "the simulated AVR did not light pin 13"
                time.sleep(0.01)
        finally:
            host.close()


def test_a_host_that_stops_reading_stalls_the_board_without_harm(board: VirtualBoard, host: RawHost) -> None:
    host.sysex(0x7A, 1, 0)
    for channel in range(6):
        host.send(0xC0 | channel, 1)
    time.sleep(1.5)  # the pty fills up; the firmware waits on its full transmit buffer
    assert board.pin(13).mode == "output"
    assert len([r for r in host.pump(0.3) if r.command == 0xE0]) > 300


CLOSE_WHILE_STREAMING = """
import time, serial
from labkit.sim import VirtualBoard
boards = [VirtualBoard(seed=i, boot_s=0.01, pace=i == 0) for i in range(3)]
ports = [serial.Serial(b.port, 57600, timeout=0.2) for b in boards]
for p in ports:
    p.read(3)
    p.write(bytes([0xF0, 0x7A, 1, 0, 0xF7, 0xC0, 1, 0xC1, 1, 0xD0, 1]))
time.sleep(0.2)
boards[0].unplug()
boards[1].close()
ports[2].close()
time.sleep(0.1)
boards[2].close()
del boards
"""


def test_closing_and_unplugging_mid_stream_prints_nothing() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", CLOSE_WHILE_STREAMING], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stderr == ""


def test_a_real_length_boot_blinks_the_version_on_pin_13() -> None:
    with VirtualBoard(seed=0, boot_s=2.3) as vb:
        host = RawHost(vb.port)
        try:
            opened = time.monotonic()
            host.wait_for(lambda r: r.command == 0xF9, timeout=5)
            assert time.monotonic() - opened == pytest.approx(2.3, abs=0.15)
        finally:
            host.close()
        rows = [(float(t), float(v)) for t, p, v in vb.trace() if p == 13]
    rises = [t for t, v in rows if v == 1.0]
    assert len(rises) == 7 and len(rows) == 14  # 2 blinks, then 5: Firmata 2.5
    gaps = [round(b - a, 2) for a, b in zip(rises, rises[1:], strict=False)]
    assert gaps == [0.25, 0.5, 0.25, 0.25, 0.25, 0.25]
    assert all(round(off - on, 2) == 0.04 for (on, _), (off, _) in zip(rows[::2], rows[1::2], strict=True))


def test_link_replaces_a_stale_link_but_not_a_file(tmp_path: Path) -> None:
    stale = tmp_path / "arduino"
    stale.symlink_to(tmp_path / "gone")
    with VirtualBoard(link=stale) as vb:
        assert stale.resolve() == Path(vb.port)
    assert not stale.exists() and not stale.is_symlink()
    taken = tmp_path / "notes.txt"
    taken.write_text("mine")
    with pytest.raises(SimulationError, match="a file is already there"):
        VirtualBoard(link=taken)
    assert taken.read_text() == "mine"
    with pytest.raises(SimulationError, match="cannot link"):
        VirtualBoard(link=tmp_path / "no" / "such" / "folder" / "arduino")


def test_closing_and_reopening_at_once_still_resets(board: VirtualBoard) -> None:
    for _ in range(5):
        host = booted(board.port)
        host.send(0xF4, 13, 1, 0xF5, 13, 1)
        assert board.pin(13).level == 1
        host.close()
        host = RawHost(board.port)  # within microseconds: the board must still see both
        try:
            host.wait_for(lambda r: r.command == 0xF9)
            assert board.pin(13).level == 0
        finally:
            host.close()


def test_what_the_host_wrote_just_before_closing_still_counts(board: VirtualBoard) -> None:
    for _ in range(5):
        host = booted(board.port)
        host.send(0xF4, 13, 1, 0xF5, 13, 1)
        assert board.pin(13).level == 1
        host.send(0xF5, 13, 0)
        host.close()
        deadline = time.monotonic() + 2
        while board.host_attached:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        assert board.pin(13).level == 0
