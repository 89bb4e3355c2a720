"""Plain pyfirmata2, unmodified, drives the virtual board: any Firmata client works."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pyfirmata2
import pytest

from labkit.sim import VirtualBoard


@pytest.fixture
def arduino(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[VirtualBoard, pyfirmata2.Arduino]]:
    # pyfirmata2 sleeps 5 s for a real Uno's reset; the virtual one boots in 10 ms.
    monkeypatch.setattr(pyfirmata2.pyfirmata2, "BOARD_SETUP_WAIT_TIME", 0.3)
    with VirtualBoard(seed=0, noise_lsb=0, boot_s=0.01) as vb:
        client = pyfirmata2.Arduino(vb.port)
        try:
            yield vb, client
        finally:
            client.exit()


def wait_until(condition, timeout: float = 2.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)


def test_pyfirmata2_connects_and_drives_everything(arduino: tuple[VirtualBoard, pyfirmata2.Arduino]) -> None:
    vb, client = arduino
    assert client.firmata_version == (2, 5)
    assert client.firmware == "StandardFirmata.ino" and client.firmware_version == (2, 5)

    client.digital[13].write(1)
    wait_until(lambda: vb.pin(13).level == 1)

    pwm = client.get_pin("d:5:p")
    pwm.write(0.5)
    wait_until(lambda: vb.pin(5).mode == "pwm" and abs(vb.pin(5).duty - 128 / 255) < 1e-9)

    servo = client.get_pin("d:9:s")
    servo.write(120)
    wait_until(lambda: vb.pin(9).servo_angle == pytest.approx(120, abs=0.6), timeout=3)

    readings: list[float] = []
    client.analog[2].register_callback(readings.append)
    client.samplingOn(10)
    client.analog[2].enable_reporting()
    vb.world.knob = 0.25
    wait_until(lambda: bool(readings) and readings[-1] == round(256 / 1023, 4))

    presses: list[bool] = []
    button = client.get_pin("d:2:u")
    button.register_callback(presses.append)
    wait_until(lambda: presses == [True])
    vb.world.press("button")
    wait_until(lambda: presses == [True, False])
    vb.world.release("button")
    wait_until(lambda: presses == [True, False, True])


def test_pyfirmata2_auto_setup_trips_on_the_pull_up_mode_as_on_a_real_uno(monkeypatch: pytest.MonkeyPatch) -> None:
    # StandardFirmata 2.5 lists INPUT, PULLUP, OUTPUT for digital pins; pyfirmata2's auto setup
    # only knows INPUT, OUTPUT (berndporr/pyFirmata2 issue #19). The virtual Uno must not hide that.
    monkeypatch.setattr(pyfirmata2.pyfirmata2, "BOARD_SETUP_WAIT_TIME", 0.3)
    with VirtualBoard(seed=0, boot_s=0.01) as vb:
        with pytest.raises(IndexError):
            pyfirmata2.Board(vb.port)
