"""Scope against a real virtual board at 100 Hz: recording, drawing, pause/stop, export."""

from __future__ import annotations

import asyncio
import io
import sys
import threading
import time

import ipywidgets as widgets
import numpy as np
import pytest
from PIL import Image

from labkit.errors import WidgetError
from labkit.widgets import Scope


@pytest.fixture
def sensors(board):
    """Three analog inputs of the starter kit, sampled every 10 ms (100 Hz)."""
    board.sampling_interval = 0.010
    return board.light_sensor("A0"), board.temperature_sensor("A1"), board.potentiometer("A2")


def wait_for(condition, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def button(scope: Scope, description: str) -> widgets.Widget:
    """The Scope's button (or toggle) labelled ``description``, to click as a user would."""
    controls = scope.widget.children[1].children
    return next(c for c in controls if getattr(c, "description", None) == description)


def decoded(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_every_reading_of_every_channel_is_recorded(sensors):
    scope = Scope(*sensors, window=500)
    time.sleep(1.0)
    scope.stop()
    # 100 Hz for a second, plus the starting value; the virtual board keeps time exactly,
    # the two busy cores may delay the start a little.
    for count in scope.samples:
        assert 70 <= count <= 110
    table = scope.to_numpy()
    assert table.shape[1] == 4
    assert np.all(np.diff(table[:, 0]) > 0)
    steps = np.diff(table[table[:, 0] > 0.1, 0])
    assert np.median(steps) < 0.011


def test_the_picture_follows_the_world(board, sensors):
    knob = sensors[2]
    scope = Scope(knob)
    board.sim.world.knob = 0.1
    wait_for(lambda: knob.value < 0.15)
    time.sleep(0.1)
    assert scope.step()
    low = scope.png
    board.sim.world.knob = 0.9
    wait_for(lambda: knob.value > 0.85)
    time.sleep(0.1)
    assert scope.step()
    assert scope.redraws == 2
    assert np.abs(decoded(scope.png) - decoded(low)).max(axis=2).astype(bool).sum() > 100
    values = scope.to_numpy()[:, 1]
    assert values.min() < 0.15 and values.max() > 0.85


def test_the_window_keeps_the_last_readings(sensors):
    scope = Scope(sensors[0], window=40)
    wait_for(lambda: scope.samples[0] > 100)
    scope.stop()
    assert len(scope.to_numpy()) == 40
    assert scope.to_numpy()[-1, 0] > 40 * 0.010


def test_pause_freezes_recording_and_picture_and_resume_continues(sensors):
    scope = Scope(*sensors)
    wait_for(lambda: min(scope.samples) > 5)
    scope.pause()
    frozen = scope.samples
    time.sleep(0.3)
    assert scope.samples == frozen
    assert not scope.step()
    scope.resume()
    wait_for(lambda: min(scope.samples) > max(frozen) + 5)
    assert scope.step()


def test_the_buttons_pause_and_stop(sensors):
    scope = Scope(*sensors)
    pause, stop = button(scope, "Pause"), button(scope, "Stop")
    pause.value = True  # what a click on Pause does
    assert scope.paused
    pause.value = False
    assert not scope.paused
    stop.click()
    assert scope.stopped and pause.disabled and stop.disabled
    stopped = scope.samples
    time.sleep(0.2)
    assert scope.samples == stopped
    assert scope.status.startswith("stopped")
    with pytest.raises(WidgetError, match="was stopped"):
        scope.resume()


def test_export_to_csv_numpy_and_pandas(sensors, tmp_path, monkeypatch):
    scope = Scope(*sensors, names=["light", "temperature", "knob"])
    wait_for(lambda: min(scope.samples) > 20)
    scope.stop()
    table = scope.to_numpy()
    path = scope.to_csv(tmp_path / "run.csv")
    assert path.read_text().splitlines()[0] == "time_s,light,temperature,knob"
    np.testing.assert_allclose(np.loadtxt(path, delimiter=",", skiprows=1), table, rtol=1e-5)
    frame = scope.to_pandas()
    assert list(frame.columns) == ["time_s", "light", "temperature", "knob"]
    np.testing.assert_array_equal(frame.to_numpy(), table)
    monkeypatch.chdir(tmp_path)
    button(scope, "Save CSV").click()
    assert (tmp_path / "scope.csv").read_text() == path.read_text()
    assert f"saved scope.csv ({len(table)} rows)" in scope.widget.children[1].children[-1].value
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        scope.to_pandas()


def test_a_button_is_drawn_as_steps_from_its_starting_level(board):
    button = board.button(2)
    scope = Scope(button)
    board.sim.world.press("button")
    wait_for(lambda: button.is_pressed)
    board.sim.world.release("button")
    wait_for(lambda: not button.is_pressed)
    scope.stop()
    assert scope.to_numpy()[:, 1].tolist() == [0.0, 1.0, 0.0]


def test_redrawing_is_one_task_on_the_event_loop_never_the_hardware_thread(sensors):
    threads = set()

    async def run() -> tuple[int, int]:
        scope = Scope(*sensors, redraw_hz=20)
        scope._image.observe(lambda _: threads.add(threading.current_thread()), "value")
        await asyncio.sleep(1.0)
        drawn = scope.redraws
        scope.stop()
        await asyncio.sleep(0.3)
        return drawn, scope.redraws

    drawn, after_stop = asyncio.run(run())
    assert 12 <= drawn <= 21
    assert after_stop == drawn
    assert threads == {threading.main_thread()}


def test_close_removes_the_widget_and_stops(sensors):
    scope = Scope(*sensors)
    scope.close()
    scope.close()
    assert scope.stopped
    assert scope.widget.comm is None
    recorded = scope.samples
    time.sleep(0.2)
    assert scope.samples == recorded


def test_with_block_closes(sensors):
    with Scope(sensors[0]) as scope:
        pass
    assert scope.stopped and scope.widget.comm is None


@pytest.mark.parametrize(
    ("arguments", "options", "message"),
    [
        (0, {}, "1 to 8 devices, not 0"),
        (9, {}, "1 to 8 devices, not 9"),
        (1, {"window": 1}, "window is how many readings"),
        (1, {"window": 2.5}, "window is how many readings"),
        (1, {"redraw_hz": 0}, "redraw_hz must be above 0"),
        (1, {"redraw_hz": 100}, "at most 30"),
        (2, {"names": ["only one"]}, "1 names for 2 devices"),
    ],
)
def test_bad_arguments_are_explained(sensors, arguments, options, message):
    with pytest.raises(WidgetError, match=message):
        Scope(*([sensors[0]] * arguments), **options)


def test_a_device_without_readings_is_refused(board):
    led = board.led(13)
    with pytest.raises(WidgetError, match="no readings to plot"):
        Scope(led)


def test_a_device_without_readings_is_named_among_others(board, sensors):
    led = board.led(13)
    with pytest.raises(WidgetError, match=r"<LED on pin D13.*> gives no readings to plot"):
        Scope(sensors[0], led)


def test_closing_the_board_stops_the_scope(board, sensors):
    scope = Scope(*sensors)
    assert scope.step()
    board.close()
    assert not scope.step()
    assert scope.stopped
    assert "devices were closed" in scope.status
    assert len(scope.to_numpy()) > 0


def test_a_new_scope_on_a_device_closes_the_old_one(sensors):
    light, temperature, knob = sensors
    first = Scope(light, temperature)
    other = Scope(knob)
    second = Scope(light)  # the cell with the first Scope, edited and run again
    assert first.stopped and first.widget.comm is None
    assert not other.stopped and not second.stopped
    recorded = first.samples
    wait_for(lambda: second.samples[0] > 5)
    assert first.samples == recorded
