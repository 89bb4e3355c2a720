"""One set of host-side checks against both virtual boards: the Python emulation and the genuine
StandardFirmata running on simavr, both driven by plain pyfirmata2 (and labkit's Board) over a real pty.
The whole hardware suite (tests/hardware) also runs on both engines, through its ``engine`` fixture.

Every difference found is asserted here or there, per engine, with its reason (this is the one list):

- Version: avrgirl-arduino ships StandardFirmata **2.4**; the emulation is 2.5, as the Arduino IDE's.
- INPUT_PULLUP: Firmata 2.4 has no such pin mode (added in 2.5); the genuine firmware answers
  "Unknown pin mode" and leaves the pin as it was. (Firmata 2.4's way to a pull-up is INPUT, then
  writing 1 to the pin: that works on both.)
- PWM on pins 5 and 6: Timer 0 runs fast PWM, so a value v gives a duty of (v + 1) / 256 on the
  chip; the emulation reports v / 255. Pins 3, 9, 10, 11 (phase-correct timers) agree exactly.
- The Servo library takes Timer 1: once a servo is attached, pins 9 and 10 can no longer do PWM
  on the chip (the pin stays low); the emulation still gives PWM there.
- Sampling: StandardFirmata 2.4 refuses intervals under 10 ms (its MINIMUM_SAMPLING_INTERVAL);
  2.5 allows 1 ms.
- After Firmata 2.4's pull-up (INPUT, then write 1), ``pin(n).mode`` is ``"input"`` on the emulation
  (Firmata's own pin mode) and ``"input_pullup"`` on the AVR (what its registers say).
- Connecting takes longer on the simulated AVR: opening the port resets it and the firmware blinks
  its version on pin 13 for two simulated seconds before it reports (that boot runs unthrottled).
- labkit itself asks for a pull-up the Firmata 2.4 way when the board reports a version under 2.5,
  and stamps samples by the firmware's real pace, so ``Button`` and ``record()`` agree on both.

What the simulated AVR shows differently from a real chip (the simulation's, not the firmware's):

- Right after a pull-up is switched on, StandardFirmata's first port report may still read the pin
  LOW (about 1 time in 8): the bridge applies the world's level on its next input tick, where a real
  pin settles in microseconds. The hardware tests wait for a new button to read released.
- ``pin(n)`` is read from the pins, so a stopped servo shows once a pulse is missing (60 ms), and an
  analog report that stopped once the ADC has been idle for 0.5 s (``reporting``); the digital
  ``reporting`` flag is not visible there at all. The emulation knows each at once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pyfirmata2
import pytest

from labkit.hardware import Board
from labkit.sim import VirtualBoard
from tests.firmware.helpers import firmata_client, wait_until

pytestmark = pytest.mark.firmware

ENGINES = ("emulated", "simavr")


@pytest.fixture(scope="module", params=ENGINES)
def virtual(request: pytest.FixtureRequest) -> Iterator[VirtualBoard]:
    """A virtual Uno with the starter kit, on either engine (one per module: opening resets it)."""
    if request.param == "simavr":
        request.getfixturevalue("standard_firmata")
    firmware = None if request.param == "emulated" else "StandardFirmata"
    with VirtualBoard(firmware=firmware, seed=3, noise_lsb=0) as vb:
        yield vb


@pytest.fixture
def client(virtual: VirtualBoard, monkeypatch: pytest.MonkeyPatch) -> Iterator[pyfirmata2.Arduino]:
    monkeypatch.setattr(pyfirmata2.pyfirmata2, "BOARD_SETUP_WAIT_TIME", 0)
    with firmata_client(virtual.port) as arduino:
        arduino.setSamplingInterval(10)
        yield arduino


def genuine(virtual: VirtualBoard) -> bool:
    return virtual.firmware == "StandardFirmata"


def test_firmware_reports(virtual: VirtualBoard, client: pyfirmata2.Arduino) -> None:
    version = (2, 4) if genuine(virtual) else (2, 5)
    assert client.firmata_version == version
    client.send_sysex(pyfirmata2.REPORT_FIRMWARE, [])
    wait_until(lambda: client.firmware == "StandardFirmata.ino")
    assert client.firmware_version == version


def test_digital_output_reaches_the_pin_the_world_and_the_trace(virtual: VirtualBoard, client: pyfirmata2.Arduino) -> None:
    client.digital[13].write(1)
    assert virtual.pin(13).level == 1 and virtual.pin(13).mode == "output"  # no waiting on either
    wait_until(lambda: virtual.world.output("led") == 1.0)
    client.digital[13].write(0)
    assert virtual.pin(13).level == 0
    wait_until(lambda: virtual.world.output("led") == 0.0)
    rows = virtual.trace()
    assert rows[rows["pin"] == 13]["value"].tolist()[-2:] == [1.0, 0.0]


def test_blink_timing_in_the_trace(virtual: VirtualBoard, client: pyfirmata2.Arduino) -> None:
    sent = []
    for level in (1, 0) * 3:
        client.digital[12].write(level)
        sent.append(time.monotonic())
        time.sleep(0.1)
    rows = virtual.trace()
    times = rows[rows["pin"] == 12]["t_s"][-6:]
    assert len(times) == 6
    # The host times the blink; both boards stamp each change within a few milliseconds of its write.
    assert np.diff(times).tolist() == pytest.approx(np.diff(sent).tolist(), abs=0.01)


@pytest.mark.parametrize(("light", "knob", "celsius"), [(0.9, 0.25, 30.0), (0.05, 0.8, 18.5)])
def test_analog_inputs_read_the_world(
    virtual: VirtualBoard, client: pyfirmata2.Arduino, light: float, knob: float, celsius: float
) -> None:
    readings: dict[int, float] = {}
    for channel in (0, 1, 2):
        client.analog[channel].register_callback(lambda value, channel=channel: readings.__setitem__(channel, value))
        client.analog[channel].enable_reporting()
    virtual.world.light, virtual.world.knob, virtual.world.temperature_c = light, knob, celsius
    for channel in (0, 1, 2):
        # pyfirmata2 gives code / 1023 rounded to 4 places; the ADC's code is floor(V * 1024 / 5).
        code = int(virtual.world.analog_voltage(f"A{channel}") * 1024 / 5.0)
        wait_until(lambda channel=channel, code=code: round(readings.get(channel, -1) * 1023) == code)
    assert virtual.pin("A0").mode == "analog" and virtual.pin("A0").reporting


@pytest.mark.parametrize("angle", [0, 30, 160])
def test_servo_pulse_and_angle(virtual: VirtualBoard, client: pyfirmata2.Arduino, angle: int) -> None:
    client.get_pin("d:9:s").write(angle)
    pulse = 544 + angle / 180 * (2400 - 544)
    wait_until(lambda: virtual.pin(9).mode == "servo" and abs((virtual.pin(9).pulse_us or 0) - pulse) < 2)
    wait_until(lambda: abs(virtual.world.servo_angle(9) - angle) < 1)


def test_pwm_duty(virtual: VirtualBoard, client: pyfirmata2.Arduino) -> None:
    client.get_pin("d:10:p").write(64 / 255)
    client.get_pin("d:6:p").write(64 / 255)
    wait_until(lambda: virtual.pin(10).mode == "pwm" and virtual.pin(6).mode == "pwm")
    assert virtual.pin(10).duty == pytest.approx(64 / 255)
    assert virtual.pin(6).duty == pytest.approx(65 / 256 if genuine(virtual) else 64 / 255)


def test_pwm_next_to_a_servo(virtual: VirtualBoard, client: pyfirmata2.Arduino) -> None:
    client.get_pin("d:9:s").write(90)
    wait_until(lambda: virtual.pin(9).mode == "servo")
    client.get_pin("d:10:p").write(0.5)
    if genuine(virtual):
        time.sleep(0.2)
        assert virtual.pin(10).mode == "output" and virtual.pin(10).level == 0
    else:
        wait_until(lambda: virtual.pin(10).mode == "pwm")


def test_digital_input_without_pull_up(virtual: VirtualBoard, client: pyfirmata2.Arduino) -> None:
    levels: list[bool] = []
    motion = client.get_pin("d:7:i")
    motion.register_callback(levels.append)
    virtual.world.motion = True
    wait_until(lambda: levels and levels[-1] is True)
    virtual.world.motion = False
    wait_until(lambda: levels[-1] is False)
    assert virtual.pin(7).mode == "input"


def test_input_pullup_mode(virtual: VirtualBoard, client: pyfirmata2.Arduino) -> None:
    messages: list[str] = []
    client.add_cmd_handler(pyfirmata2.STRING_DATA, lambda *data: messages.append(pyfirmata2.util.two_byte_iter_to_str(data)))
    levels: list[bool] = []
    client.get_pin("d:2:u").register_callback(levels.append)
    if genuine(virtual):
        wait_until(lambda: "Unknown pin mode" in messages)
        assert virtual.pin(2).mode != "input_pullup"
        return
    wait_until(lambda: virtual.pin(2).mode == "input_pullup" and levels and levels[-1] is True)
    virtual.world.press("button")
    wait_until(lambda: levels[-1] is False)
    virtual.world.release("button")
    wait_until(lambda: levels[-1] is True)


def test_pull_up_the_firmata_2_4_way(virtual: VirtualBoard, client: pyfirmata2.Arduino) -> None:
    levels: list[bool] = []
    button = client.get_pin("d:2:i")
    button.register_callback(levels.append)
    client.sp.write(bytes([0x90, 0x04, 0x00]))  # DIGITAL_MESSAGE port 0: pin 2 high, its pull-up
    wait_until(lambda: levels and levels[-1] is True)
    # The emulation names Firmata's pin mode (INPUT); the AVR's registers say pull-up.
    assert virtual.pin(2).mode == ("input_pullup" if genuine(virtual) else "input")
    virtual.world.press("button")
    wait_until(lambda: levels[-1] is False)
    virtual.world.release("button")
    wait_until(lambda: levels[-1] is True)


def test_minimum_sampling_interval(virtual: VirtualBoard, client: pyfirmata2.Arduino) -> None:
    client.setSamplingInterval(1)
    stamps: list[float] = []
    client.analog[3].register_callback(lambda _value: stamps.append(time.monotonic()))
    client.analog[3].enable_reporting()
    wait_until(lambda: len(stamps) > 20)
    start = len(stamps)
    time.sleep(2.0)
    window = stamps[start:]
    rate = (len(window) - 1) / (window[-1] - window[0])
    if genuine(virtual):
        assert 70 < rate < 140  # every 10 ms (100 a second), never every 1 ms
    else:
        assert rate > 300


@pytest.fixture
def board(virtual: VirtualBoard) -> Iterator[Board]:
    """labkit's own Board on the virtual board's port, as a student's notebook would open it."""
    with Board.connect(virtual.port, profile="uno", kit="starter", sampling_interval=0.02) as connected:
        yield connected


def test_labkit_devices_work_on_both(virtual: VirtualBoard, board: Board) -> None:
    assert board.firmware.name == "StandardFirmata.ino"
    led = board.led(13)
    led.on()
    assert virtual.pin(13).level == 1
    led.off()
    assert virtual.pin(13).level == 0
    light = board.light_sensor("A0")
    virtual.world.light = 0.7
    code = int(virtual.world.analog_voltage("A0") * 1024 / 5.0)
    wait_until(lambda: light.raw == code)
    servo = board.servo(9)
    servo.angle = 120
    wait_until(lambda: abs(virtual.world.servo_angle(9) - 120) < 1)
    motion = board.motion_sensor(7)
    virtual.world.motion = True
    assert motion.wait_for_active(timeout=3)
    virtual.world.motion = False
    assert motion.wait_for_inactive(timeout=3)
