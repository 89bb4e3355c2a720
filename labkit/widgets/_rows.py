"""One row of the BoardPanel per device: a control or a readout, kept in step with the device.

Each row has ``widget`` (what the panel shows), ``refresh()`` (bring the widget
up to date with the device and, on a virtual board, with what the board itself
sees on the pin) and ``close()``. A refresh sets a widget's value only when it
changed, so an idle panel sends no messages at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from labkit.hardware import (
    LED,
    PWMLED,
    RGBLED,
    AnalogSensor,
    Button,
    Buzzer,
    DigitalInputDevice,
    MotionSensor,
    Servo,
    TemperatureSensor,
)
from labkit.widgets._devices import device_label

CONTROL_STYLE = {"description_width": "140px"}


def control_layout() -> widgets.Layout:
    """A fresh layout per control: a Layout is a widget of its own, not to share between rows."""
    return widgets.Layout(width="420px")


def set_if_changed(widget: widgets.Widget, name: str, value: object) -> None:
    """Set a trait only when it differs: every set is a message to the browser."""
    if getattr(widget, name) != value:
        setattr(widget, name, value)


class Row:
    """A device's control (or readout) and, on a virtual board, what the board sees."""

    settable = True
    """Whether the control sets the device (False for an input's readout)."""

    def __init__(self, device: Any, control: widgets.Widget) -> None:
        self.device = device
        self.control = control
        self.board_view = widgets.Label(layout=widgets.Layout(min_width="260px"))
        self.widget = widgets.HBox([control, self.board_view], layout=widgets.Layout(align_items="center"))
        self._syncing = False

    def on_user_change(self, write: Callable[[Any], None]) -> None:
        """Send the control's new value to the device, except when a refresh moved it."""

        def changed(change: dict[str, Any]) -> None:
            if not self._syncing:
                write(change["new"])

        self.control.observe(changed, "value")

    def show(self, name: str, value: object) -> None:
        """Move the control to what the device holds, without writing it back."""
        self._syncing = True
        try:
            set_if_changed(self.control, name, value)
        finally:
            self._syncing = False

    def refresh(self) -> None:
        """Bring the row up to date."""
        self.refresh_control()
        sim = self.device.board.sim
        # An input's own readout already is what the board sees.
        if sim is not None and self.settable:
            set_if_changed(self.board_view, "value", self.board_sees(sim))

    def refresh_control(self) -> None:
        """Move the control to the device's state (a cell may have changed it)."""

    def board_sees(self, sim: Any) -> str:
        """What the virtual board reports for the device's pins."""
        states = [sim.pin(pin) for pin in self.device.pins]
        shown = ", ".join(f"{self.label(s.pin)} {s.mode} {_level(s)}" for s in states)
        return f"virtual board: {shown}"

    def label(self, pin: int) -> str:
        """The pin's name on the board, like ``D13`` or ``A0``."""
        return str(self.device.board.profile.label(pin))

    def close(self) -> None:
        """Close this row's widgets."""
        for widget in (self.control, self.board_view, self.widget):
            widget.close()


def _level(state: Any) -> str:
    if state.mode == "servo" and state.servo_angle is not None:
        return f"{state.servo_angle:.0f}°"
    if state.mode == "pwm":
        return f"{state.duty:.0%}"
    return "HIGH" if state.level else "LOW"


class SwitchRow(Row):
    """An LED or buzzer: a toggle button."""

    def __init__(self, device: Any) -> None:
        super().__init__(device, widgets.ToggleButton(description=device_label(device),
                                                      layout=widgets.Layout(width="200px")))
        self.on_user_change(lambda on: setattr(self.device, "value", bool(on)))
        self.refresh_control()

    def refresh_control(self) -> None:
        self.show("value", bool(self.device.value))


class LevelRow(Row):
    """A PWM LED: a slider from 0 (off) to 1 (full)."""

    def __init__(self, device: Any) -> None:
        super().__init__(device, widgets.FloatSlider(
            min=0.0, max=1.0, step=0.01, description=device_label(device),
            style=CONTROL_STYLE, layout=control_layout()))
        self.on_user_change(lambda level: setattr(self.device, "value", float(level)))
        self.refresh_control()

    def refresh_control(self) -> None:
        self.show("value", round(float(self.device.value), 2))


class ColorRow(Row):
    """An RGB LED: a colour picker."""

    def __init__(self, device: Any) -> None:
        super().__init__(device, widgets.ColorPicker(description=device_label(device),
                                                     style=CONTROL_STYLE))
        self.on_user_change(lambda color: setattr(self.device, "color", _rgb(color)))
        self.refresh_control()

    def refresh_control(self) -> None:
        self.show("value", _hex(self.device.color))


def _rgb(color: str) -> tuple[float, float, float]:
    """``"#ff8000"`` -> ``(1.0, 0.5019..., 0.0)``."""
    digits = color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    red, green, blue = (int(digits[k:k + 2], 16) / 255 for k in (0, 2, 4))
    return red, green, blue


def _hex(color: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(255 * c):02x}" for c in color)


class AngleRow(Row):
    """A servo: a slider in whole degrees (arrow keys move it one degree)."""

    def __init__(self, device: Any) -> None:
        angle = device.angle
        super().__init__(device, widgets.IntSlider(
            value=90 if angle is None else angle, min=0, max=180, description=device_label(device),
            style=CONTROL_STYLE, layout=control_layout()))
        self.on_user_change(lambda angle: setattr(self.device, "angle", int(angle)))

    def refresh_control(self) -> None:
        if self.device.angle is not None:
            self.show("value", self.device.angle)


class ReadingRow(Row):
    """An analog sensor: a bar from 0 to 1 and the reading in words."""

    settable = False

    def __init__(self, device: AnalogSensor) -> None:
        self.bar = widgets.FloatProgress(min=0.0, max=1.0, description=device_label(device),
                                         style=CONTROL_STYLE, layout=control_layout())
        self.text = widgets.Label(layout=widgets.Layout(min_width="140px"))
        super().__init__(device, widgets.HBox([self.bar, self.text]))

    def refresh_control(self) -> None:
        value = self.device.value
        set_if_changed(self.bar, "value", round(value, 3))
        if isinstance(self.device, TemperatureSensor):
            text = f"{self.device.temperature:.1f} °C ({self.device.voltage:.2f} V)"
        else:
            text = f"{value:.3f} ({self.device.voltage:.2f} V)"
        set_if_changed(self.text, "value", text)

    def close(self) -> None:
        self.bar.close()
        self.text.close()
        super().close()


# The words for an on/off input's two states, by kind.
STATE_WORDS = {Button: ("pressed", "released"), MotionSensor: ("motion", "no motion")}


class StateRow(Row):
    """A button, motion sensor or other on/off input: its state in words."""

    settable = False

    def __init__(self, device: DigitalInputDevice) -> None:
        self.name = widgets.Label(device_label(device), layout=widgets.Layout(width="140px"))
        self.text = widgets.Label()
        self.words = next((w for kind, w in STATE_WORDS.items() if isinstance(device, kind)),
                          ("active", "inactive"))
        super().__init__(device, widgets.HBox([self.name, self.text]))

    def refresh_control(self) -> None:
        set_if_changed(self.text, "value", self.words[0] if self.device.is_active else self.words[1])

    def close(self) -> None:
        self.name.close()
        self.text.close()
        super().close()


def row_for(device: Any) -> Row | None:
    """The row that shows ``device``: a control for outputs, a readout for inputs.

    None for a kind of device the panel does not know.
    """
    if isinstance(device, (LED, Buzzer)):
        return SwitchRow(device)
    if isinstance(device, PWMLED):
        return LevelRow(device)
    if isinstance(device, RGBLED):
        return ColorRow(device)
    if isinstance(device, Servo):
        return AngleRow(device)
    if isinstance(device, AnalogSensor):
        return ReadingRow(device)
    if isinstance(device, DigitalInputDevice):
        return StateRow(device)
    return None
