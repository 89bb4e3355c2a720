"""Every device on the virtual board, through its pty: what it drives and what it reads."""

from __future__ import annotations

import time

import numpy as np
import pytest

from labkit.errors import BadCallbackError, BoardClosedError, ValueRangeError
from labkit.hardware import LED, Board, Button
from tests.hardware.helpers import eventually, settled

# -- outputs -----------------------------------------------------------------------------------


def test_led_switches_toggles_and_states_its_condition(board: Board) -> None:
    led = board.led(13)
    assert repr(led) == "<LED on pin D13, is_active=False>"
    led.on()
    assert led.value is True and led.is_lit
    assert eventually(lambda: board.sim.pin(13).level == 1)
    led.toggle()
    assert eventually(lambda: board.sim.pin(13).level == 0)
    led.value = 1
    assert repr(led) == "<LED on pin D13, is_active=True>"
    led.close()
    led.close()
    assert repr(led) == "<LED closed>"
    assert eventually(lambda: board.sim.pin(13).level == 0)
    with pytest.raises(BoardClosedError, match="this LED is closed"):
        led.on()


def test_blink_in_the_foreground_drives_the_pin_n_times(board: Board) -> None:
    led = board.led(13)
    started = time.monotonic()
    led.blink(on_time=0.03, off_time=0.03, n=3, background=False)
    assert 0.17 <= time.monotonic() - started < 0.8
    trace = board.sim.trace()
    levels = [row["value"] for row in trace if row["pin"] == 13]
    assert eventually(lambda: [r["value"] for r in board.sim.trace() if r["pin"] == 13][-6:] == [1, 0] * 3)
    assert not led.is_active and levels


def test_blink_in_the_background_stops_when_switched(board: Board) -> None:
    led = board.led(13)
    start = len(board.sim.trace())
    led.blink(on_time=0.01, off_time=0.01)
    assert eventually(lambda: len(board.sim.trace()) > start + 6)
    led.on()
    edges = len(board.sim.trace())
    time.sleep(0.1)  # a window in which a blink still running would show
    assert board.sim.pin(13).level == 1
    assert len(board.sim.trace()) <= edges + 1  # nothing blinks any more


def test_pwm_led_dims_pulses_and_refuses_values_outside_0_to_1(board: Board, engine: str) -> None:
    led = board.pwm_led(5)
    led.value = 0.5
    # Pin 5 is Timer0's fast PWM on the chip: a value v gives a duty of (v + 1) / 256, not v / 255.
    half = {"emulated": 128 / 255, "simavr": 129 / 256}[engine]
    assert board.sim.pin(5).duty == pytest.approx(half)
    with pytest.raises(ValueRangeError, match="PWMLED.value must be a number from 0 to 1, not 1.5"):
        led.value = 1.5
    with pytest.raises(ValueRangeError, match="not 'bright'"):
        led.value = "bright"  # type: ignore[assignment]
    with pytest.raises(ValueRangeError, match="initial_value must be a number from 0 to 1, not 2"):
        board.pwm_led(6, initial_value=2)
    led.pulse(fade_in_time=0.1, fade_out_time=0.1, n=1, background=False)
    duties = [row["value"] for row in board.sim.trace() if row["pin"] == 5]
    assert eventually(lambda: board.sim.pin(5).duty == 0)
    assert len(set(duties)) > 5  # a fade, not a jump
    assert repr(led) == "<PWMLED on pin D5, value=0.00>"


def test_rgb_led_sets_three_duties(board: Board, engine: str) -> None:
    rgb = board.rgb_led(3, 5, 6)
    rgb.color = (1, 0.5, 0)
    # Pins 5 and 6 are Timer0's fast PWM on the chip: a value v gives (v + 1) / 256, not v / 255.
    half = {"emulated": 128 / 255, "simavr": 129 / 256}[engine]
    assert [board.sim.pin(p).duty for p in (3, 5, 6)] == [1.0, pytest.approx(half), 0.0]
    assert rgb.value == (1.0, 0.5, 0.0)
    with pytest.raises(ValueRangeError, match=r"RGBLED.color must be 3 numbers \(red, green, blue\) from 0 to 1, not \(1, 0\)"):
        rgb.color = (1, 0)
    rgb.blink(on_time=0.02, off_time=0.02, on_color=(0, 0, 1), n=1, background=False)
    assert rgb.color == (0.0, 0.0, 0.0)
    assert repr(rgb) == "<RGBLED on pins D3, D5, D6, color=(0.00, 0.00, 0.00)>"


def test_buzzer_beeps(board: Board) -> None:
    buzzer = board.buzzer(8)
    buzzer.beep(on_time=0.02, off_time=0.02, n=2, background=False)
    assert eventually(lambda: [r["value"] for r in board.sim.trace() if r["pin"] == 8][-4:] == [1, 0, 1, 0])


def test_servo_moves_checks_its_range_and_detaches(board: Board) -> None:
    servo = board.servo(9)
    assert servo.angle is None and repr(servo) == "<Servo on pin D9, angle=None>"
    servo.angle = 30
    assert eventually(lambda: board.sim.pin(9).servo_angle == pytest.approx(30, abs=1), timeout=3)
    with pytest.raises(ValueRangeError, match="from 0 to 180 degrees, not 181"):
        servo.angle = 181
    servo.max()
    assert servo.angle == 180
    servo.detach()
    assert servo.angle is None
    assert eventually(lambda: board.sim.pin(9).mode == "output")
    servo.mid()  # attaches again
    assert eventually(lambda: board.sim.pin(9).mode == "servo")
    narrow = board.servo(10, min_angle=45, max_angle=135)
    with pytest.raises(ValueRangeError, match="from 45 to 135"):
        narrow.angle = 30


def test_a_servo_takes_the_pwm_of_pins_9_and_10(board: Board, engine: str) -> None:
    board.servo(9).angle = 90
    board.pwm_led(10).value = 0.5
    # The Servo library takes Timer1, which drives pins 9 and 10: on the chip pin 10 stays low.
    expected = {"emulated": ("pwm", 128 / 255), "simavr": ("output", 0.0)}[engine]
    assert (board.sim.pin(10).mode, board.sim.pin(10).duty) == (expected[0], pytest.approx(expected[1]))


# -- inputs ------------------------------------------------------------------------------------


def test_button_presses_releases_and_calls_back(board: Board) -> None:
    button = settled(board.button(2))
    assert repr(button) == "<Button on pin D2, is_pressed=False>"
    assert board.messages == []  # the pull-up asked for as the firmware knows it: no "Unknown pin mode"
    seen: list[object] = []
    button.when_pressed = lambda b: seen.append(b)  # one argument: the button
    button.when_released = lambda: seen.append("released")  # or none
    assert not button.wait_for_press(timeout=0.05)
    board.sim.world.press("button")
    assert button.wait_for_press(timeout=2) and button.is_pressed
    board.sim.world.release("button")
    assert button.wait_for_release(timeout=2)
    board._callbacks.flush()
    assert seen == [button, "released"]


def test_button_debounce_turns_chatter_into_one_press(board: Board) -> None:
    board.sim.world.bounce_ms = 20
    raw = board.button(2)
    raw_presses: list[int] = []
    raw.when_pressed = lambda: raw_presses.append(1)
    board.sim.world.press("button")
    time.sleep(0.15)
    board.sim.world.release("button")
    time.sleep(0.15)
    board._callbacks.flush()
    assert len(raw_presses) > 1  # the simulated contact does chatter
    raw.close()
    debounced = settled(board.button(2, bounce_time=0.05))
    presses: list[int] = []
    debounced.when_pressed = lambda: presses.append(1)
    board.sim.world.press("button")
    assert eventually(lambda: debounced.is_pressed)
    time.sleep(0.15)
    assert debounced.is_pressed
    board._callbacks.flush()
    assert presses == [1]
    board.sim.world.release("button")
    assert debounced.wait_for_release(timeout=2)


def test_motion_sensor(board: Board) -> None:
    pir = board.motion_sensor(7)
    assert not pir.motion_detected
    board.sim.world.motion = True
    assert pir.wait_for_motion(timeout=2)
    assert repr(pir) == "<MotionSensor on pin D7, motion_detected=True>"
    board.sim.world.motion = False
    assert pir.wait_for_no_motion(timeout=2)


def test_light_sensor_follows_the_light_and_its_threshold(board: Board) -> None:
    light = board.light_sensor("A0", threshold=0.5)
    board.sim.world.light = 0.0
    assert light.wait_for_dark(timeout=2) and not light.light_detected
    events: list[str] = []
    light.when_light = lambda: events.append("light")
    board.sim.world.light = 0.9
    assert light.wait_for_light(timeout=2)
    assert 0.9 < light.value <= 1 and light.voltage == pytest.approx(light.value * 5.0)
    board._callbacks.flush()
    assert events == ["light"]


def test_temperature_sensor_reads_degrees(board: Board) -> None:
    sensor = board.temperature_sensor("A1")
    board.sim.world.temperature_c = 30.0
    # 10-bit ADC at 5 V: one step is 4.9 mV, half a degree of a TMP36.
    assert eventually(lambda: sensor.temperature == pytest.approx(30.0, abs=1.0))
    assert repr(sensor).startswith("<TemperatureSensor on pin A1, temperature=")
    with pytest.raises(ValueRangeError, match="TMP36"):
        board.temperature_sensor("A3", model="DHT11")


def test_potentiometer_and_smoothing(board: Board) -> None:
    board.sim.world.knob = 0.25
    knob = board.potentiometer("A2", smoothing=8)
    assert eventually(lambda: knob.value == pytest.approx(0.25, abs=0.01))
    assert 0 <= knob.raw <= 1023
    with pytest.raises(ValueRangeError, match="smoothing"):
        board.analog_sensor("A3", smoothing=0)


def test_when_changed_gets_the_new_value(board: Board) -> None:
    knob = board.potentiometer("A2")
    values: list[float] = []
    knob.when_changed = values.append
    board.sim.world.knob = 0.8
    assert eventually(lambda: values and values[-1] == pytest.approx(0.8, abs=0.01))


def test_listeners_get_every_reading_beside_the_callbacks(board: Board) -> None:
    knob, button = board.potentiometer("A2"), settled(board.button(2))
    readings: list[tuple[float, float]] = []
    knob.when_changed = lambda: None  # the student's callback stays theirs
    knob.add_listener(lambda t, value: readings.append((t, value)))
    levels: list[float] = []
    button.add_listener(lambda t, value: levels.append(value))
    board.wait(0.3)
    board.sim.world.press("button")
    assert eventually(lambda: levels == [1.0])
    times = [t for t, _ in readings]
    assert len(readings) >= 20 and times == sorted(times)
    assert np.median(np.diff(times)) == pytest.approx(0.010, abs=0.001)  # 10 ms sampling
    assert all(0 <= value <= 1 for _, value in readings)
    knob.remove_listener(readings.append)  # never added: ignored
    with pytest.raises(BadCallbackError):
        knob.add_listener(42)  # type: ignore[arg-type]


def test_record_returns_timestamped_samples_at_the_sampling_interval(board: Board) -> None:
    knob = board.potentiometer("A2")
    data = knob.record(0.5)
    assert data.dtype.names == ("t", "value", "raw", "voltage")
    steps = np.diff(data["t"])
    # At 10 ms sampling: about 50 samples, 10 ms apart by the board's clock.
    assert 40 <= len(data) <= 55
    assert np.median(steps) == pytest.approx(0.010, abs=0.001)
    assert np.all(steps >= 0) and data["t"][0] >= 0 and data["t"][-1] <= 0.5
    assert np.allclose(data["value"], data["raw"] / 1023)
    temperature = board.temperature_sensor("A1").record(0.1)
    assert "temperature" in temperature.dtype.names
    button = settled(board.button(2))
    board.sim.world.press("button")
    pressed = button.record(0.2)
    assert list(pressed["value"][:2]) in ([0.0, 1.0], [1.0])


# -- the gpiozero manners ----------------------------------------------------------------------


def test_unknown_attributes_are_refused_with_a_hint(board: Board) -> None:
    led = board.led(13)
    with pytest.raises(AttributeError, match="LED has no attribute 'when_pressed'"):
        led.when_pressed = print  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="Did you mean 'value'"):
        led.vaule = 1  # type: ignore[attr-defined]
    led.value = True  # real attributes still work


def test_callbacks_are_checked_when_assigned(board: Board) -> None:
    button = board.button(2)
    with pytest.raises(BadCallbackError, match="no argument or with one"):
        button.when_pressed = lambda a, b: None
    with pytest.raises(BadCallbackError, match="must be a function"):
        button.when_pressed = 5  # type: ignore[assignment]
    assert isinstance(BadCallbackError("x"), TypeError)
    button.when_pressed = print
    assert button.when_pressed is print
    button.when_pressed = None
    assert button.when_pressed is None


def test_kit_parts_come_with_their_settings(board: Board) -> None:
    button = settled(board.part("button"))
    assert isinstance(button, Button) and repr(button) == "<Button on pin D2, is_pressed=False>"
    servo = board.part("servo")
    assert servo.pin == 9
    assert repr(board.part("rgb")) == "<RGBLED on pins D3, D5, D6, color=(0.00, 0.00, 0.00)>"


def test_a_device_can_be_made_from_its_class(board: Board) -> None:
    assert LED(13, board=board).pin == 13
    assert LED("D12").board is board  # the one open board


def test_devices_are_context_managers(board: Board) -> None:
    with board.led(13) as led:
        led.on()
    assert led.closed
    board.led(13).on()  # the pin is free again


def test_active_low_and_on_off_rgb(board: Board) -> None:
    # An LED wired from 5V to the pin lights when the pin is LOW.
    led = board.led(12, active_high=False)
    assert board.sim.pin(12).level == 1  # off
    led.on()
    assert board.sim.pin(12).level == 0 and led.is_lit
    rgb = board.rgb_led(4, "A3", "A4", pwm=False)
    rgb.color = (1, 0, 1)
    assert [board.sim.pin(p).level for p in (4, "A3", "A4")] == [1, 0, 1]
    with pytest.raises(ValueRangeError, match="0 or 1 on pins without PWM"):
        rgb.color = (0.5, 0, 0)
