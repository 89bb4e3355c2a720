"""How widgets read devices: through the hardware layer's public API only.

>>> from labkit import Board
>>> with Board.connect("sim") as board:
...     device_label(board.light_sensor("A0"))
'LightSensor A0'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labkit.errors import WidgetError

Listener = Callable[[float, float], None]


def device_label(device: Any) -> str:
    """A short name for legends and columns: the class and the pin, like ``LightSensor A0``."""
    return f"{type(device).__name__} {device.board.profile.label(device.pin)}"


def check_readable(device: Any) -> None:
    """Raise ``WidgetError`` unless ``device`` reports readings (sensors, buttons...)."""
    if not callable(getattr(device, "add_listener", None)):
        raise WidgetError(
            f"{device!r} gives no readings to plot: a Scope shows sensors, buttons, "
            "potentiometers and other devices with readings"
        )


def listen(device: Any, listener: Listener) -> Callable[[], None]:
    """Call ``listener(t, value)`` on every reading of ``device``; returns what stops it.

    ``t`` is the reading's ``time.monotonic()`` stamp. The listener runs on the
    hardware layer's thread and sits beside the student's own ``when_changed``,
    never in its place.
    """
    check_readable(device)
    device.add_listener(listener)
    return lambda: device.remove_listener(listener)
