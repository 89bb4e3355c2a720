"""Things the board reads: Button, MotionSensor, and analog sensors (light, temperature, knob).

Values stay fresh by themselves: the board reports every change of a digital
input and every sample of an analog one, and labkit's reader thread updates
``.value`` as they arrive. Callbacks (``when_*``) run on a separate thread.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from labkit.errors import BadCallbackError, HardwareError, ValueRangeError
from labkit.hardware._device import Device, Event, in_range
from labkit.profiles import PinSpec

if TYPE_CHECKING:
    import numpy as np

    from labkit.hardware.board import Board

__all__ = [
    "AnalogSensor",
    "Button",
    "DigitalInputDevice",
    "LightSensor",
    "MotionSensor",
    "Potentiometer",
    "TemperatureSensor",
]

# How long a first reading may take: a report comes within one sampling interval.
FIRST_READING_S = 2.0

Sample = tuple[float, float]


Listener = Callable[[float, float], object]


class _InputDevice(Device):
    """An input with ``record()`` and listeners: every reading, timestamped."""

    def __init__(self, board: Board | None) -> None:
        super().__init__(board)
        self._recording: list[Sample] | None = None
        self._listeners: tuple[Listener, ...] = ()

    def add_listener(self, fn: Listener) -> None:
        """Call ``fn(t, value)`` with every reading, beside the ``when_*`` callbacks.

        ``t`` is the reading's time (``time.monotonic()`` seconds, from the
        sampling interval), ``value`` what ``.value`` gives (0/1 for a digital
        input). ``fn`` runs on labkit's reader thread, so it must be quick (append
        to a buffer); an exception in it is reported like a callback's.
        """
        if not callable(fn):
            raise BadCallbackError(f"a listener must be a function fn(t, value), not {fn!r}")
        self._listeners = (*self._listeners, fn)

    def remove_listener(self, fn: Listener) -> None:
        """Stop calling ``fn``; a function that was never added is ignored."""
        self._listeners = tuple(listener for listener in self._listeners if listener != fn)

    def _tell_listeners(self, t: float, value: float) -> None:
        for fn in self._listeners:
            try:
                fn(t, value)
            except Exception as exc:  # noqa: BLE001 - brought back to the user
                self._board._callbacks.report(exc, f"the listener {fn!r} of {self!r}")

    def _has_reading(self) -> bool:
        raise NotImplementedError

    def _first_reading(self) -> None:
        timeout = FIRST_READING_S + 2 * self._board.sampling_interval
        if not self._wait_for(self._has_reading, timeout):
            raise HardwareError(
                f"{self._board.profile.label(self._pins[0])} sent no reading within {timeout:g} s: "
                "is the board running StandardFirmata?"
            )

    def _listen(self, pin: PinSpec, mode: str) -> None:
        """Hold ``pin``, start its reports and wait for the first (so callbacks miss nothing)."""

        def setup() -> None:
            if mode == "analog":
                self._board._start_analog(self._pins[0], self)  # type: ignore[arg-type]
            else:
                self._board._start_digital(self._pins[0], mode, self)  # type: ignore[arg-type]
            self._first_reading()

        self._attach([(pin, mode)], setup)

    def _current_sample(self, t: float) -> list[Sample]:
        """What a recording starts with (a digital input's level at the start)."""
        return []

    def _fields(self, values: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def record(self, seconds: float) -> np.ndarray:
        """Record for ``seconds`` (blocking); returns a NumPy structured array of samples.

        Field ``t`` is seconds since the recording started (from the board's
        sampling interval, not from when the bytes happened to arrive); the
        other fields are the readings (see the class). Plot with
        ``plt.plot(data["t"], data["value"])``.
        """
        import numpy as np

        if not in_range(seconds, 0, float("inf")):
            raise ValueRangeError(f"seconds must be 0 or more, not {seconds!r}")
        self._check()
        self._first_reading()
        samples: list[Sample] = []
        with self._changed:
            start = time.monotonic()
            samples.extend(self._current_sample(start))
            self._recording = samples
        try:
            self._board.wait(seconds)
            self._check()
        finally:
            self._recording = None
        end = start + seconds
        kept = [(t - start, v) for t, v in samples if start <= t <= end]
        times = np.array([t for t, _ in kept], dtype=np.float64)
        values = np.array([v for _, v in kept], dtype=np.float64)
        fields = {"t": times, **self._fields(values)}
        data = np.empty(len(kept), dtype=[(name, np.float64) for name in fields])
        for name, column in fields.items():
            data[name] = column
        return data


class DigitalInputDevice(_InputDevice):
    """An on/off input on a digital pin; ``Button`` and ``MotionSensor`` build on it.

    ``pull_up=True`` switches on the pin's internal pull-up resistor, so the pin
    reads HIGH when nothing drives it and the device is active when it reads LOW
    (a button wired to GND). ``bounce_time`` (seconds) ignores the chatter of a
    mechanical contact after each change.

    >>> from labkit import Board
    >>> with Board.connect("sim") as board:
    ...     sensor = board.motion_sensor(7)
    ...     sensor.is_active
    False
    """

    when_activated = Event("activated", "the device")
    when_deactivated = Event("deactivated", "the device")

    def __init__(
        self, pin: PinSpec, *, board: Board | None = None, pull_up: bool = False, bounce_time: float | None = None
    ) -> None:
        super().__init__(board)
        if bounce_time is not None and not in_range(bounce_time, 0, 10):
            raise ValueRangeError(f"bounce_time must be from 0 to 10 seconds (or None), not {bounce_time!r}")
        self._pull_up = bool(pull_up)
        self._bounce = bounce_time or 0.0
        self._level: bool | None = None
        self._active: bool | None = None
        self._quiet_until = 0.0
        self._settle: threading.Timer | None = None
        self._state_lock = threading.Lock()
        self._listen(pin, "input_pullup" if self._pull_up else "input")

    # -- from the reader thread ------------------------------------------------------------
    def _on_level(self, level: bool, t: float) -> None:
        with self._state_lock:
            if level == self._level:
                return
            self._level = level
            if self._active is None:
                self._active = level != self._pull_up
                self._notify()
                return
            if t < self._quiet_until:
                self._settle_later(self._quiet_until - t)
                return
            self._accept(t)

    def _accept(self, t: float) -> None:
        active = self._level != self._pull_up
        if active == self._active:
            return
        self._active = active
        if self._bounce:
            self._quiet_until = t + self._bounce
            self._settle_later(self._bounce)
        if self._recording is not None:
            self._recording.append((t, float(active)))
        if self._listeners:
            self._tell_listeners(t, float(active))
        self._notify()
        self._fire("activated" if active else "deactivated", self)

    def _settle_later(self, delay: float) -> None:
        # After the quiet time, take whatever level the contact settled on.
        if self._settle is None or not self._settle.is_alive():
            self._settle = threading.Timer(delay, self._settled)
            self._settle.daemon = True
            self._settle.start()

    def _settled(self) -> None:
        with self._state_lock:
            if not self._closed:
                self._accept(max(time.monotonic(), self._quiet_until))

    # -- for the user ----------------------------------------------------------------------
    def _has_reading(self) -> bool:
        return self._active is not None

    def _current_sample(self, t: float) -> list[Sample]:
        return [(t, float(bool(self._active)))]

    def _fields(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {"value": values}

    @property
    def value(self) -> bool:
        """True while the device is active (pressed, sensing motion)."""
        self._check()
        self._first_reading()
        return bool(self._active)

    @property
    def is_active(self) -> bool:
        """True while the device is active (the same as ``value``)."""
        return self.value

    def wait_for_active(self, timeout: float | None = None) -> bool:
        """Block until active; False if ``timeout`` seconds pass first."""
        return self._wait_for(lambda: self._active is True, timeout)

    def wait_for_inactive(self, timeout: float | None = None) -> bool:
        """Block until inactive; False if ``timeout`` seconds pass first."""
        return self._wait_for(lambda: self._active is False, timeout)

    def _condition(self) -> str:
        return f"is_active={self._active}" if self._active is not None else "no reading yet"

    def close(self) -> None:
        """Stop listening to the pin and free it; calling it again does nothing."""
        if self._settle is not None:
            self._settle.cancel()
        super().close()


class Button(DigitalInputDevice):
    """A push button: ``is_pressed``, ``when_pressed``, ``wait_for_press()``.

    Wiring: one leg to the pin, the other to GND; the internal pull-up
    (``pull_up=True``, the default) keeps the pin HIGH until the button is pressed.

    >>> from labkit import Board
    >>> with Board.connect("sim") as board:
    ...     button = board.button(2)
    ...     presses = []
    ...     button.when_pressed = lambda: presses.append("pressed")
    ...     board.sim.world.press("button")
    ...     button.wait_for_press(timeout=1)
    ...     board.wait(0.1)                    # callbacks run on their own thread
    ...     presses
    True
    ['pressed']
    """

    kit_settings = ("pull_up",)

    when_pressed = Event("activated", "the button")
    when_released = Event("deactivated", "the button")

    def __init__(
        self, pin: PinSpec, *, board: Board | None = None, pull_up: bool = True, bounce_time: float | None = None
    ) -> None:
        super().__init__(pin, board=board, pull_up=pull_up, bounce_time=bounce_time)

    is_pressed = DigitalInputDevice.is_active
    wait_for_press = DigitalInputDevice.wait_for_active
    wait_for_release = DigitalInputDevice.wait_for_inactive

    def _condition(self) -> str:
        return f"is_pressed={self._active}" if self._active is not None else "no reading yet"


class MotionSensor(DigitalInputDevice):
    """A PIR motion sensor: ``motion_detected``, ``when_motion``, ``wait_for_motion()``.

    Wiring: VCC to 5V, GND to GND, OUT to the pin (HIGH while it sees movement).

    >>> from labkit import Board
    >>> with Board.connect("sim") as board:
    ...     pir = board.motion_sensor(7)
    ...     board.sim.world.motion = True
    ...     pir.wait_for_motion(timeout=1)
    True
    """

    kit_settings = ("pull_up",)

    when_motion = Event("activated", "the sensor")
    when_no_motion = Event("deactivated", "the sensor")

    def __init__(
        self, pin: PinSpec, *, board: Board | None = None, pull_up: bool = False, bounce_time: float | None = None
    ) -> None:
        super().__init__(pin, board=board, pull_up=pull_up, bounce_time=bounce_time)

    motion_detected = DigitalInputDevice.is_active
    wait_for_motion = DigitalInputDevice.wait_for_active
    wait_for_no_motion = DigitalInputDevice.wait_for_inactive

    def _condition(self) -> str:
        return f"motion_detected={self._active}" if self._active is not None else "no reading yet"


class AnalogSensor(_InputDevice):
    """A voltage on an analog input: ``value`` 0..1, ``voltage``, ``raw`` ADC counts.

    ``smoothing`` averages the last n samples; ``is_active`` is ``value >
    threshold``, with ``when_activated``/``when_deactivated`` on the crossings.
    ``when_changed`` gets the newest value (a slow callback skips samples; use
    ``record()`` to get every one). ``record()`` fields: ``t``, ``value``,
    ``raw``, ``voltage``.

    Wiring: the sensor's output to the pin (A0-A5 on an Uno), 0 to 5 V.

    >>> from labkit import Board
    >>> with Board.connect("sim") as board:
    ...     knob = board.analog_sensor("A2")
    ...     data = knob.record(0.2)
    ...     0 <= knob.value <= 1, data.dtype.names
    (True, ('t', 'value', 'raw', 'voltage'))
    """

    when_changed = Event("changed", "the new value")
    when_activated = Event("activated", "the sensor")
    when_deactivated = Event("deactivated", "the sensor")

    def __init__(
        self, pin: PinSpec, *, board: Board | None = None, smoothing: int = 1, threshold: float = 0.5
    ) -> None:
        super().__init__(board)
        if isinstance(smoothing, bool) or not isinstance(smoothing, int) or not 1 <= smoothing <= 1000:
            raise ValueRangeError(f"smoothing (samples averaged) must be a whole number from 1 to 1000, not {smoothing!r}")
        self._threshold = self._checked_threshold(threshold)
        self._window: deque[int] = deque(maxlen=smoothing)
        self._raw: int | None = None
        self._value: float | None = None
        self._above = False
        self._change_queued = False
        self._adc_max = self._board.profile.adc_max
        self._listen(pin, "analog")

    @staticmethod
    def _checked_threshold(threshold: float) -> float:
        if not in_range(threshold, 0, 1):
            raise ValueRangeError(f"threshold must be from 0 to 1, not {threshold!r}")
        return float(threshold)

    # -- from the reader thread ------------------------------------------------------------
    def _on_sample(self, raw: int, t: float) -> None:
        window = self._window
        window.append(raw)
        value = sum(window) / (len(window) * self._adc_max)
        if self._recording is not None:
            self._recording.append((t, raw))
        previous, self._raw, self._value = self._value, raw, value
        if self._listeners:
            self._tell_listeners(t, value)
        if previous is None:
            self._above = value > self._threshold
            self._notify()
            return
        if value != previous:
            self._notify()
            if "changed" in self._handlers and not self._change_queued:
                self._change_queued = True
                self._board._callbacks.submit(self._run_changed, (), f"the when_changed callback of {self!r}")
        above = value > self._threshold
        if above != self._above:
            self._above = above
            self._fire("activated" if above else "deactivated", self)

    def _run_changed(self) -> None:
        self._change_queued = False
        handler = self._handlers.get("changed")
        if handler is not None:
            fn, count = handler
            fn(*((self._value,) if count else ()))

    # -- for the user ----------------------------------------------------------------------
    def _has_reading(self) -> bool:
        return self._value is not None

    def _fields(self, values: np.ndarray) -> dict[str, np.ndarray]:
        value = values / self._adc_max
        return {"value": value, "raw": values, "voltage": value * self._board.profile.vref}

    @property
    def value(self) -> float:
        """The reading from 0 (0 V) to 1 (the reference voltage), smoothed."""
        self._check()
        self._first_reading()
        return float(self._value)  # type: ignore[arg-type]

    @property
    def raw(self) -> int:
        """The newest ADC count (0..1023 on a 10-bit board), not smoothed."""
        self._check()
        self._first_reading()
        return int(self._raw)  # type: ignore[arg-type]

    @property
    def voltage(self) -> float:
        """The reading in volts."""
        return self.value * self._board.profile.vref

    @property
    def threshold(self) -> float:
        """The value above which the sensor counts as active."""
        return self._threshold

    @threshold.setter
    def threshold(self, threshold: float) -> None:
        self._threshold = self._checked_threshold(threshold)

    @property
    def is_active(self) -> bool:
        """True while ``value > threshold``."""
        return self.value > self._threshold

    def wait_for_active(self, timeout: float | None = None) -> bool:
        """Block until ``value > threshold``; False if ``timeout`` seconds pass first."""
        return self._wait_for(lambda: self._value is not None and self._value > self._threshold, timeout)

    def wait_for_inactive(self, timeout: float | None = None) -> bool:
        """Block until ``value <= threshold``; False if ``timeout`` seconds pass first."""
        return self._wait_for(lambda: self._value is not None and self._value <= self._threshold, timeout)

    def _condition(self) -> str:
        return f"value={self._value:.3f}" if self._value is not None else "no reading yet"


class LightSensor(AnalogSensor):
    """A light-dependent resistor (LDR) in a divider: brighter reads higher.

    Wiring: LDR from 5V to the pin, a 10 kOhm resistor from the pin to GND.

    >>> from labkit import Board
    >>> with Board.connect("sim") as board:
    ...     light = board.light_sensor("A0")
    ...     board.sim.world.light = 0.9
    ...     light.wait_for_light(timeout=1)
    True
    """

    when_light = Event("activated", "the sensor")
    when_dark = Event("deactivated", "the sensor")

    light_detected = AnalogSensor.is_active
    wait_for_light = AnalogSensor.wait_for_active
    wait_for_dark = AnalogSensor.wait_for_inactive


# Output volts at 0 degrees C, for 10 mV per degree sensors.
TEMPERATURE_MODELS = {"TMP36": 0.5, "LM35": 0.0}


class TemperatureSensor(AnalogSensor):
    """An analog temperature sensor (TMP36: 10 mV per degree, 0.5 V at 0 C).

    ``temperature`` is in degrees Celsius; ``record()`` adds a ``temperature`` field.

    Wiring (flat side facing you): left leg 5V, middle leg to the pin, right leg GND.

    >>> from labkit import Board
    >>> with Board.connect("sim") as board:
    ...     board.sim.world.temperature_c = 25.0
    ...     sensor = board.temperature_sensor("A1")
    ...     round(sensor.temperature)
    25
    """

    kit_settings = ("model",)

    def __init__(
        self,
        pin: PinSpec,
        *,
        board: Board | None = None,
        model: str = "TMP36",
        smoothing: int = 1,
        threshold: float = 0.5,
    ) -> None:
        if model not in TEMPERATURE_MODELS:
            raise ValueRangeError(f"unknown sensor model {model!r}: labkit knows {', '.join(TEMPERATURE_MODELS)}")
        self._offset = TEMPERATURE_MODELS[model]
        super().__init__(pin, board=board, smoothing=smoothing, threshold=threshold)

    @property
    def temperature(self) -> float:
        """The temperature in degrees Celsius."""
        return (self.voltage - self._offset) * 100.0

    def _fields(self, values: np.ndarray) -> dict[str, Any]:
        fields = super()._fields(values)
        return {**fields, "temperature": (fields["voltage"] - self._offset) * 100.0}

    def _condition(self) -> str:
        if self._value is None:
            return "no reading yet"
        return f"temperature={(self._value * self._board.profile.vref - self._offset) * 100:.1f}"


class Potentiometer(AnalogSensor):
    """A knob: ``value`` goes from 0 to 1 as you turn it.

    Wiring: outer legs to 5V and GND, the middle leg (wiper) to the pin.

    >>> from labkit import Board
    >>> with Board.connect("sim") as board:
    ...     board.sim.world.knob = 0.25
    ...     knob = board.potentiometer("A2")
    ...     round(knob.value, 2)
    0.25
    """
