"""The genuine StandardFirmata, running on simavr, answers plain pyfirmata2 over a real pty."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyfirmata2
import pytest

from labkit.errors import BoardClosedError, SimulationError
from labkit.profiles import load_board
from labkit.sim import World
from labkit.sim.avr import FirmwareBackend
from tests.firmware.helpers import firmata_client, wait_until

pytestmark = pytest.mark.firmware


@pytest.fixture
def avr(standard_firmata: Path) -> Iterator[FirmwareBackend]:
    board = load_board("uno")
    backend = FirmwareBackend(board, World("starter", board=board, noise_lsb=0), "StandardFirmata")
    yield backend
    backend.close()


@pytest.fixture
def client(avr: FirmwareBackend, monkeypatch: pytest.MonkeyPatch) -> Iterator[pyfirmata2.Arduino]:
    monkeypatch.setattr(pyfirmata2.pyfirmata2, "BOARD_SETUP_WAIT_TIME", 0)
    with firmata_client(avr.port) as arduino:
        yield arduino


def test_version_report_after_the_reset_that_opening_causes(avr: FirmwareBackend, client: pyfirmata2.Arduino) -> None:
    assert avr.host_attached
    # avrgirl-arduino ships StandardFirmata 2.4 (protocol 2.4).
    assert client.firmata_version == (2, 4)
    client.send_sysex(pyfirmata2.REPORT_FIRMWARE, [])
    wait_until(lambda: client.firmware == "StandardFirmata.ino")
    assert client.firmware_version == (2, 4)


def test_digital_write_shows_on_the_pin_and_in_the_trace(avr: FirmwareBackend, client: pyfirmata2.Arduino) -> None:
    client.digital[13].write(1)
    # pin() first lets the firmware handle what the host wrote: a write that returned shows.
    assert avr.pin(13).level == 1 and avr.pin(13).mode == "output"
    # A rising edge reaches the world once it is known not to start a servo pulse (< 3 ms).
    wait_until(lambda: avr.world.output("led") == 1.0, timeout=0.1)
    client.digital[13].write(0)
    assert avr.pin(13).level == 0
    rows = avr.trace()
    led = rows[rows["pin"] == 13]
    assert led["value"].tolist()[-2:] == [1.0, 0.0]
    assert (np.diff(rows["t_s"]) >= 0).all()


def test_analog_reading_follows_the_light(avr: FirmwareBackend, client: pyfirmata2.Arduino) -> None:
    readings: list[float] = []
    client.analog[0].register_callback(readings.append)
    client.analog[0].enable_reporting()
    for light in (0.9, 0.05):
        avr.world.light = light
        expected = int(avr.world.analog_voltage("A0") * 1024 / 5.0) / 1023
        wait_until(lambda expected=expected: readings and abs(readings[-1] - expected) < 0.0015)
    assert avr.pin("A0").mode == "analog" and avr.pin("A0").reporting


def test_pwm_and_servo_are_read_from_the_timers_and_pulses(avr: FirmwareBackend, client: pyfirmata2.Arduino) -> None:
    client.get_pin("d:5:p").write(0.5)
    wait_until(lambda: avr.pin(5).mode == "pwm")
    assert avr.pin(5).duty == pytest.approx(129 / 256)  # 0.5 is OCR 128; timer 0 is fast PWM: (OCR + 1) / 256
    servo = client.get_pin("d:9:s")
    servo.write(45)
    wait_until(lambda: avr.pin(9).mode == "servo" and abs(avr.pin(9).pulse_us - 1008) < 3)
    wait_until(lambda: abs(avr.world.servo_angle(9) - 45) < 1)


def test_digital_input_reads_the_world(avr: FirmwareBackend, client: pyfirmata2.Arduino) -> None:
    levels: list[bool] = []
    motion = client.get_pin("d:7:i")
    motion.register_callback(levels.append)
    motion.enable_reporting()
    avr.world.motion = True
    wait_until(lambda: levels and levels[-1] is True)
    assert avr.pin(7).mode == "input" and avr.pin(7).level == 1
    avr.world.motion = False
    wait_until(lambda: levels[-1] is False)


def test_unplug_hangs_up_and_closes(avr: FirmwareBackend, client: pyfirmata2.Arduino) -> None:
    avr.unplug()
    with pytest.raises(BoardClosedError):
        avr.pin(13)
    avr.close()  # idempotent


def test_bad_firmware_is_refused(avr_tools: None, tmp_path: Path) -> None:
    board = load_board("uno")
    with pytest.raises(SimulationError, match="StandardFirmata' or a .hex"):
        FirmwareBackend(board, World("starter"), "blink.ino")
    with pytest.raises(SimulationError, match="no firmware file"):
        FirmwareBackend(board, World("starter"), tmp_path / "none.hex")
    (tmp_path / "junk.hex").write_text("not intel hex\n")
    with pytest.raises(SimulationError, match="could not load junk.hex"):
        FirmwareBackend(board, World("starter"), tmp_path / "junk.hex")
    with pytest.raises(SimulationError, match="ATmega328P"):
        FirmwareBackend(load_board("mega2560"), World("starter"), "StandardFirmata")
