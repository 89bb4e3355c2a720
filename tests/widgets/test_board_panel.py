"""BoardPanel against a real virtual board: its controls reach the pins, its readouts follow."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable

import ipywidgets as widgets
import pytest

from labkit.errors import WidgetError
from labkit.widgets import BoardPanel


def eventually(condition: Callable[[], bool], timeout_s: float = 3.0) -> bool:
    """Poll until ``condition()``; the virtual board answers within milliseconds, a servo slews."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_controls_drive_the_virtual_boards_pins(board):
    led, dimmer, servo = board.led(13), board.pwm_led(5), board.servo(9)
    panel = BoardPanel(board)
    panel.set(led, True)
    panel.set(dimmer, 0.25)
    panel.set(servo, 137)
    sim = board.sim
    assert eventually(lambda: sim.pin(13).level == 1)
    assert eventually(lambda: abs(sim.pin(5).duty - 0.25) < 0.01)
    assert eventually(lambda: round(sim.pin(9).servo_angle) == 137)
    assert (led.is_active, dimmer.value, servo.angle) == (True, 0.25, 137)
    panel.refresh()
    assert panel.readout(servo) == "virtual board: D9 servo 137°"
    assert panel.readout(led) == "virtual board: D13 output HIGH"
    assert panel.readout(dimmer) == "virtual board: D5 pwm 25%"
    panel.set(led, False)
    assert eventually(lambda: sim.pin(13).level == 0)


def test_controls_follow_changes_made_in_code(board):
    led, servo = board.led(13), board.servo(9)
    panel = BoardPanel(board)
    led.on()
    servo.angle = 30
    assert eventually(lambda: len(board.sim.trace()) >= 3)
    writes = len(board.sim.trace())
    panel.refresh()
    assert panel.control(led).value is True
    assert panel.control(servo).value == 30
    # Following the device moved the controls; it must not have written the pins again.
    time.sleep(0.1)
    assert len(board.sim.trace()) == writes


def test_readouts_follow_the_simulated_world(board):
    light, temperature, button = board.light_sensor("A0"), board.temperature_sensor("A1"), board.button(2)
    panel = BoardPanel(board)
    board.sim.world.temperature_c = 31.0
    board.sim.world.light = 0.0
    board.sim.world.press("button")

    def shown_celsius() -> float:
        panel.refresh()
        return float(re.match(r"([-\d.]+) °C", panel.readout(temperature)).group(1))

    # 10 mV per degree on a 10-bit ADC at 5 V: the reading is good to about half a degree.
    assert eventually(lambda: abs(shown_celsius() - 31.0) < 1.0 and "pressed" in panel.readout(button))
    bar = panel.control(light).children[0]
    assert eventually(lambda: (panel.refresh(), bar.value < 0.1)[1])
    board.sim.world.light = 1.0
    assert eventually(lambda: (panel.refresh(), bar.value > 0.9)[1])
    with pytest.raises(WidgetError, match="is an input"):
        panel.set(light, 0.5)


def test_rows_come_and_go_with_devices(board):
    panel = BoardPanel(board)
    assert panel.widget.children[1].children == ()
    led = board.led(13)
    panel.refresh()
    assert isinstance(panel.control(led), widgets.ToggleButton)
    led.close()
    panel.refresh()
    assert panel.widget.children[1].children == ()
    with pytest.raises(WidgetError, match="not on this panel"):
        panel.control(led)


def test_connection_line_names_the_virtual_board_and_its_rate(board):
    board.sampling_interval = 0.010
    panel = BoardPanel(board)
    assert "(virtual)" in panel.connection
    assert board.port in panel.connection
    assert "every 10 ms (100 Hz)" in panel.connection
    board.close()
    panel.refresh()
    assert "board closed" in panel.connection


def test_the_panel_refreshes_itself_on_the_event_loop(board):
    led = board.led(13)

    async def scenario() -> bool:
        panel = BoardPanel(board, refresh_hz=20)
        led.on()  # a cell changes the LED; the panel's own task must notice
        for _ in range(50):
            await asyncio.sleep(0.02)
            if panel.control(led).value:
                panel.close()
                return True
        return False

    assert asyncio.run(scenario())


def test_a_new_panel_for_the_board_closes_the_old_one(board):
    led = board.led(13)
    first = BoardPanel(board)
    second = BoardPanel(board)
    assert repr(first) == "<BoardPanel closed>"
    assert first.widget.comm is None
    led.on()
    first.refresh()  # a closed panel does nothing, not even raise
    second.refresh()
    assert second.control(led).value is True
    second.close()
    second.close()


def test_every_kind_of_device_in_the_starter_kit_has_its_row(board):
    rgb, buzzer, motion = board.rgb_led(3, 5, 6), board.buzzer(8), board.motion_sensor(7)
    panel = BoardPanel(board)
    assert isinstance(panel.control(rgb), widgets.ColorPicker)
    panel.set(rgb, "#ff8000")
    panel.set(buzzer, True)
    sim = board.sim
    assert eventually(lambda: (sim.pin(3).duty, round(sim.pin(5).duty, 2), sim.pin(6).duty) == (1.0, 0.5, 0.0))
    assert eventually(lambda: sim.pin(8).level == 1)
    assert rgb.color == pytest.approx((1.0, 128 / 255, 0.0))
    board.sim.world.motion = True
    assert eventually(lambda: (panel.refresh(), panel.readout(motion).endswith("· motion"))[1])
    board.sim.world.motion = False
    assert eventually(lambda: (panel.refresh(), panel.readout(motion).endswith("no motion"))[1])
    rgb.color = (0.0, 0.0, 1.0)
    panel.refresh()
    assert panel.control(rgb).value == "#0000ff"
    assert panel.readout(rgb) == "virtual board: D3 pwm 0%, D5 pwm 0%, D6 pwm 100%"


def test_a_pulled_cable_stops_the_panel_and_says_why(board):
    led = board.led(13)

    async def scenario() -> str:
        panel = BoardPanel(board, refresh_hz=20)
        board.sim.unplug()
        for _ in range(100):
            await asyncio.sleep(0.02)
            if panel.connection.startswith("<b>stopped</b>"):
                break
        led_row_kept = isinstance(panel.control(led), widgets.ToggleButton)
        return panel.connection if led_row_kept else ""

    assert "ConnectionLostError" in asyncio.run(scenario())


def test_the_panel_leaves_a_callbacks_error_for_the_student(board):
    from labkit.hardware import CallbackWarning

    light = board.light_sensor("A0")
    panel = BoardPanel(board)
    calls = []

    def broken(value):  # the student's bug
        calls.append(value)
        raise ZeroDivisionError("the student's bug")

    with pytest.warns(CallbackWarning, match="ZeroDivisionError"):
        light.when_changed = broken
        board.sim.world.light = 0.0
        assert eventually(lambda: calls)
        board._callbacks.flush()
    panel.refresh()  # the panel's refresh reads the sensor...
    assert "stopped" not in panel.connection and panel.readout(light).startswith("0.0")
    with pytest.raises(ZeroDivisionError, match="the student's bug"):
        light.value  # noqa: B018 - ...and the student's own next call still gets their error
