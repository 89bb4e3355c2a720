"""Board.connect, the profile checks before the wire, autodetection and the board's settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from labkit.errors import (
    BoardNotFoundError,
    HardwareError,
    PinInUseError,
    PinInvalidError,
    PinModeError,
    ProfileError,
    ValueRangeError,
)
from labkit.hardware import LED, Board
from labkit.hardware.ports import SerialPort, find_board, list_ports, usb_ids
from labkit.sim import VirtualBoard
from tests.hardware.helpers import PtyPeer, eventually
from tests.support import need_program

# -- pins are checked against the profile -------------------------------------------------------


def test_a_pin_the_board_lacks_is_refused_naming_the_pins_it_has(board: Board) -> None:
    with pytest.raises(PinInvalidError, match="Arduino Uno has no pin 20: digital pins are D0-D19, analog inputs A0, A1"):
        board.led(20)
    with pytest.raises(ValueError):  # a PinError is a ValueError too
        board.led("A9")


def test_the_usb_serial_pins_are_refused(board: Board) -> None:
    with pytest.raises(PinModeError, match="D0 of the Arduino Uno carries the USB serial link.*use D2-D13, A0-A5"):
        board.led(0)


def test_a_pin_without_the_mode_is_refused_naming_the_ones_with_it(board: Board) -> None:
    with pytest.raises(PinModeError, match="a LightSensor needs an analog input pin, and D5 .* use A0-A5"):
        board.light_sensor(5)
    with pytest.raises(PinModeError, match="an RGBLED needs a PWM pin, and D4"):
        board.rgb_led(3, 4, 5)


def test_a_pin_in_use_names_the_device_holding_it(board: Board) -> None:
    board.led(13).on()
    with pytest.raises(PinInUseError, match=r"D13 is already used by <LED on pin D13, is_active=True>"):
        board.button(13)
    with pytest.raises(PinInUseError, match="cannot use D3 twice"):
        board.rgb_led(3, 3, 5)
    assert [type(d).__name__ for d in board.devices] == ["LED"]  # the failures left nothing behind


def test_values_are_checked(board: Board) -> None:
    with pytest.raises(ValueRangeError, match="on_time must be 0 seconds or more"):
        board.led(13).blink(on_time=-1)
    with pytest.raises(ValueRangeError, match="whole number >= 0"):
        board.led(12).blink(n=2.5)  # type: ignore[arg-type]
    # Wrong types get the same clear error, not a TypeError from deep inside.
    with pytest.raises(ValueRangeError, match="off_time must be 0 seconds or more, not '1'"):
        board.led(11).blink(off_time="1")  # type: ignore[arg-type]
    with pytest.raises(ValueRangeError, match="from 0 to 180 degrees, not 'ninety'"):
        board.servo(9).angle = "ninety"  # type: ignore[assignment]
    with pytest.raises(ValueRangeError, match="threshold must be from 0 to 1"):
        board.light_sensor("A0", threshold="high")
    with pytest.raises(ValueRangeError, match="bounce_time must be from 0 to 10 seconds"):
        board.button(2, bounce_time=-0.1)
    with pytest.raises(ValueRangeError, match="need 0 <= min_angle < max_angle <= 180"):
        board.servo(10, min_angle=90, max_angle=45)


# -- the board ---------------------------------------------------------------------------------


def test_board_describes_itself(board: Board, engine: str) -> None:
    assert board.profile.name == "uno" and board.kit is not None and board.kit.name == "starter"
    assert repr(board).startswith("<Board virtual Arduino Uno on /dev/")
    # avrgirl-arduino ships StandardFirmata 2.4; the emulation is the Arduino IDE's 2.5.
    version = {"emulated": "2.5", "simavr": "2.4"}[engine]
    assert f"StandardFirmata.ino {version} (Firmata {version})" in repr(board)
    assert board.sim is not None and board.sim.port == board.port


def test_sampling_interval_sets_how_often_samples_come(engine: str, firmware: str | None) -> None:
    with Board.connect("sim", firmware=firmware, sampling_interval=0.005) as board:
        assert board.sampling_interval == 0.005
        fast = board.potentiometer("A2").record(0.4)
        board.sampling_interval = 0.04
        slow = board.potentiometer("A1").record(0.4)
        with pytest.raises(ValueRangeError, match="from 0.001 to 16.383 seconds"):
            board.sampling_interval = 0
    # StandardFirmata 2.4 samples no faster than every 10 ms (its MINIMUM_SAMPLING_INTERVAL); 2.5 allows 1 ms.
    fastest = {"emulated": 0.005, "simavr": 0.010}[engine]
    assert np.median(np.diff(fast["t"])) == pytest.approx(fastest, abs=0.001)
    assert np.median(np.diff(slow["t"])) == pytest.approx(0.04, abs=0.004)


def test_firmware_is_chosen_only_for_a_virtual_board(peer: PtyPeer) -> None:
    with pytest.raises(HardwareError, match=f"the board on {peer.port} runs what was uploaded to it"):
        Board.connect(peer.port, firmware="StandardFirmata")
    assert peer.received == b""  # refused before the port was opened


def test_parts_must_exist_in_the_kit(board: Board) -> None:
    with pytest.raises(ProfileError, match="has no part 'lite': it has led, button, light"):
        board.part("lite")


def test_a_kit_for_another_board_is_refused() -> None:
    with pytest.raises(ProfileError, match="wired for an Arduino Uno, not an Arduino Mega 2560"):
        Board.connect("sim", profile="mega2560", kit="starter")


def test_labkit_board_sim_connects_the_virtual_board(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABKIT_BOARD", "sim")
    with Board.connect() as board:
        assert board.sim is not None


def test_a_device_without_a_board_needs_exactly_one_open() -> None:
    with pytest.raises(BoardNotFoundError, match="no board is connected: first run board = Board.connect"):
        LED(13)
    with Board.connect("sim") as first, Board.connect("sim") as second:
        with pytest.raises(HardwareError, match=f"2 boards are connected \\({first.port}, {second.port}\\): say which with board="):
            LED(13)


# -- finding a real board -----------------------------------------------------------------------


def test_autodetect_knows_arduinos_and_their_usb_bridges() -> None:
    ports = [SerialPort("/dev/ttyS0", None, ""), SerialPort("/dev/ttyACM0", "2341:0042", "Arduino Mega 2560")]
    assert find_board(ports) == ("/dev/ttyACM0", "mega2560")
    # A CH340 is on Unos, Nanos and Megas alike: the profile stays open.
    assert find_board([SerialPort("/dev/ttyUSB0", "1A86:7523", "USB2.0-Serial")]) == ("/dev/ttyUSB0", None)


def test_autodetect_failure_lists_the_ports_and_what_to_check() -> None:
    ports = [SerialPort("/dev/ttyUSB3", "067B:2303", "a USB-serial cable")]
    with pytest.raises(BoardNotFoundError) as error:
        find_board(ports)
    message = str(error.value)
    assert "/dev/ttyUSB3 (067B:2303, a USB-serial cable)" in message
    assert "dialout" in message and "Board.connect('sim')" in message


def test_connect_with_nothing_set_looks_on_usb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABKIT_BOARD", raising=False)
    if any(port.usb_id in usb_ids() for port in list_ports()):
        pytest.skip("an Arduino is plugged into this machine: autodetect would find it")
    with pytest.raises(BoardNotFoundError, match="no Arduino found on USB"):
        Board.connect()


def test_a_program_that_ends_without_close_leaves_the_board_safe(tmp_path: Path, firmware: str | None) -> None:
    # atexit closes what the program left open: outputs off, servo detached, port free.
    script = tmp_path / "forgets_to_close.py"
    script.write_text(
        "import sys\n"
        "from labkit import Board\n"
        "board = Board.connect(sys.argv[1])\n"
        "board.led(13).on()\n"
        "board.servo(9).angle = 90\n"
    )
    vb = VirtualBoard(seed=0, firmware=firmware)
    try:
        result = subprocess.run([sys.executable, str(script), vb.port], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert eventually(lambda: not vb.host_attached)
        assert vb.pin(13).level == 0 and vb.pin(9).mode != "servo"
        levels = [row["value"] for row in vb.trace() if row["pin"] == 13]
        assert levels[-2:] == [1.0, 0.0]  # it was on, then switched off at exit
    finally:
        vb.close()


def test_a_port_without_permission_says_how_to_get_it(peer: PtyPeer) -> None:
    os.chmod(peer.port, 0)
    code = "import sys\nfrom labkit import Board\nBoard.connect(sys.argv[1], kit=None)\n"
    command = [sys.executable, "-c", code, peer.port]
    if os.geteuid() == 0:  # root opens anything: try as nobody
        command = [need_program("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert f"HardwareError: no permission to open {peer.port}" in result.stderr
    assert "usermod -aG dialout" in result.stderr
