"""Things the board drives: LED, PWMLED, RGBLED, Buzzer, Servo.

Every example runs on the virtual board (``Board.connect("sim")``), whose
starter kit wires exactly these parts.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from labkit.errors import HardwareError, ValueRangeError
from labkit.hardware._device import Device, in_range
from labkit.profiles import PinSpec

if TYPE_CHECKING:
    from labkit.hardware.board import Board

__all__ = ["LED", "PWMLED", "RGBLED", "Buzzer", "Servo"]

Levels = tuple[float, ...]
# Frames per second of a fade: smooth to the eye, about 150 bytes/s per pin.
FADE_FPS = 50


def _seconds(name: str, value: float) -> float:
    if not in_range(value, 0, float("inf")):
        raise ValueRangeError(f"{name} must be 0 seconds or more, not {value!r}")
    return float(value)


def _repeat(n: int | None) -> Iterator[int]:
    if n is None:
        return itertools.count()
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueRangeError(f"n (how many times) must be a whole number >= 0 or None (forever), not {n!r}")
    return iter(range(n))


def _fade(start: Levels, end: Levels, seconds: float) -> Iterator[tuple[Levels, float]]:
    steps = round(seconds * FADE_FPS)
    for i in range(steps):
        f = i / steps
        yield tuple(a + (b - a) * f for a, b in zip(start, end, strict=True)), seconds / steps


def blink_frames(
    on: Levels, off: Levels, on_time: float, off_time: float, fade_in: float, fade_out: float, n: int | None
) -> Iterator[tuple[Levels, float]]:
    """The (levels, seconds) frames of ``n`` blinks (forever when ``n`` is None)."""
    times = [_seconds(k, v) for k, v in (("on_time", on_time), ("off_time", off_time),
                                          ("fade_in_time", fade_in), ("fade_out_time", fade_out))]
    cycles = _repeat(n)

    def frames() -> Iterator[tuple[Levels, float]]:
        for _ in cycles:
            yield from _fade(off, on, times[2])
            if times[0] or not times[2]:
                yield on, times[0]
            yield from _fade(on, off, times[3])
            yield off, times[1]

    return frames()


class _OutputDevice(Device):
    """Pins set to levels in 0..1 (one per pin), with blinking in the background."""

    def __init__(self, board: Board | None, active_high: bool) -> None:
        super().__init__(board)
        self._active_high = bool(active_high)
        self._levels: Levels = ()
        self._stop = threading.Event()
        self._animation: threading.Thread | None = None

    def _send(self, pin: int, level: float) -> None:
        raise NotImplementedError

    def _write(self, levels: Levels) -> None:
        for i, (pin, level) in enumerate(zip(self._pins, levels, strict=True)):
            if i >= len(self._levels) or self._levels[i] != level:
                self._send(pin, level if self._active_high else 1.0 - level)
        self._levels = levels

    def _set(self, levels: Levels) -> None:
        self._check()
        self._stop_animation()
        self._write(levels)

    def _play(self, frames: Iterator[tuple[Levels, float]], background: bool) -> None:
        self._check()
        self._stop_animation()
        if background:
            self._animation = threading.Thread(
                target=self._run, args=(frames, self._stop, False), name=f"labkit-{type(self).__name__}", daemon=True
            )
            self._animation.start()
        else:
            self._run(frames, self._stop, True)

    def _run(self, frames: Iterator[tuple[Levels, float]], stop: threading.Event, foreground: bool) -> None:
        try:
            for levels, seconds in frames:
                if stop.is_set():
                    return
                self._write(levels)
                if stop.wait(seconds):
                    return
        except HardwareError:
            if foreground:
                raise
            # In the background: a lost board is raised by the user's next call.
        except Exception as exc:  # noqa: BLE001 - brought back to the user
            if foreground:
                raise
            self._board._callbacks.report(exc, f"the animation of {self!r}")

    def _stop_animation(self) -> None:
        thread, self._animation = self._animation, None
        if thread is not None:
            self._stop.set()
            if thread is not threading.current_thread():
                thread.join(timeout=1.0)
            self._stop = threading.Event()

    def on(self) -> None:
        """Switch fully on (stops a blink)."""
        self._set(tuple(1.0 for _ in self._pins))

    def off(self) -> None:
        """Switch off (stops a blink)."""
        self._set(tuple(0.0 for _ in self._pins))

    def toggle(self) -> None:
        """On when off, off when on (a PWM level ``v`` becomes ``1 - v``)."""
        self._check()
        self._set(tuple(1.0 - level for level in self._levels))

    @property
    def is_active(self) -> bool:
        """True while any pin is above 0."""
        return any(level > 0 for level in self._levels)

    def _shutdown(self) -> None:
        self._write(tuple(0.0 for _ in self._pins))

    def close(self) -> None:
        """Stop blinking, switch off and free the pins; calling it again does nothing."""
        self._stop_animation()  # even when the board is gone and nothing can be written
        super().close()


class _DigitalOutput(_OutputDevice):
    """An on/off output on one digital pin."""

    def __init__(self, pin: PinSpec, board: Board | None, active_high: bool, initial_value: bool) -> None:
        super().__init__(board, active_high)

        def setup() -> None:
            self._board._set_mode(self._pins[0], "output")
            self._write((1.0 if initial_value else 0.0,))

        self._attach([(pin, "output")], setup)

    def _send(self, pin: int, level: float) -> None:
        self._board._digital_write(pin, level >= 0.5)

    @property
    def value(self) -> bool:
        """True when on; set it to switch."""
        self._check()
        return self.is_active

    @value.setter
    def value(self, value: bool) -> None:
        self._set((1.0 if value else 0.0,))

    def blink(self, on_time: float = 1.0, off_time: float = 1.0, n: int | None = None, background: bool = True) -> None:
        """Blink ``n`` times (forever when None); in the background unless ``background=False``."""
        self._play(blink_frames((1.0,), (0.0,), on_time, off_time, 0.0, 0.0, n), background)

    def _condition(self) -> str:
        return f"is_active={self.is_active}"


class LED(_DigitalOutput):
    """A light-emitting diode on a digital pin.

    Wiring: the long leg to the pin through a 220 Ohm resistor, the short leg
    to GND (D13 has an LED on the board already).

    >>> from labkit import Board
    >>> with Board.connect("sim") as board:
    ...     led = board.led(13)
    ...     led.on()
    ...     board.sim.pin(13).level
    ...     led.blink(on_time=0.05, off_time=0.05, n=2, background=False)
    ...     led
    1
    <LED on pin D13, is_active=False>
    """

    def __init__(
        self, pin: PinSpec, *, board: Board | None = None, active_high: bool = True, initial_value: bool = False
    ) -> None:
        super().__init__(pin, board, active_high, initial_value)

    @property
    def is_lit(self) -> bool:
        """True while the LED is on."""
        return self.is_active


class Buzzer(_DigitalOutput):
    """An active buzzer (it beeps by itself when powered) on a digital pin.

    StandardFirmata has no ``tone()``, so a buzzer is on or off; for tunes,
    use a sketch (``labkit sketch``). Wiring: + to the pin, - to GND.

    >>> from labkit import Board
    >>> with Board.connect("sim") as board:
    ...     buzzer = board.buzzer(8)
    ...     buzzer.beep(on_time=0.05, off_time=0.05, n=2, background=False)
    ...     buzzer.is_active
    False
    """

    def __init__(
        self, pin: PinSpec, *, board: Board | None = None, active_high: bool = True, initial_value: bool = False
    ) -> None:
        super().__init__(pin, board, active_high, initial_value)

    def beep(self, on_time: float = 1.0, off_time: float = 1.0, n: int | None = None, background: bool = True) -> None:
        """Beep ``n`` times (forever when None); in the background unless ``background=False``."""
        self.blink(on_time, off_time, n, background)


class _PWMOutput(_OutputDevice):
    """Outputs whose level is a PWM duty cycle (0..255 on the wire)."""

    def __init__(self, pins: Sequence[PinSpec], board: Board | None, active_high: bool, initial: object, pwm: bool) -> None:
        super().__init__(board, active_high)
        self._pwm = pwm
        mode = "pwm" if pwm else "output"

        def setup() -> None:
            levels = self._levels_from("initial_value", initial)
            for number in self._pins:
                self._board._set_mode(number, mode)
            self._write(levels)

        self._attach([(p, mode) for p in pins], setup)

    def _send(self, pin: int, level: float) -> None:
        if self._pwm:
            self._board._analog_write(pin, round(level * 255))
        else:
            self._board._digital_write(pin, level >= 0.5)

    def _levels_from(self, name: str, given: object) -> Levels:
        """``given`` (a number, or one per pin) as levels, or a ValueRangeError saying what fits."""
        values: Any = given if len(self._pins) > 1 else [given]
        try:
            levels = tuple(float(v) for v in values)
        except (TypeError, ValueError):
            levels = ()
        what = "a number" if len(self._pins) == 1 else f"{len(self._pins)} numbers (red, green, blue)"
        if len(levels) != len(self._pins) or not all(0.0 <= v <= 1.0 for v in levels):
            raise ValueRangeError(f"{name} must be {what} from 0 to 1, not {given!r}")
        if not self._pwm and any(v not in (0.0, 1.0) for v in levels):
            raise ValueRangeError(f"{name} must be 0 or 1 on pins without PWM, not {given!r}")
        return levels


class PWMLED(_PWMOutput):
    """An LED whose brightness is set by PWM: ``value`` from 0 (off) to 1 (full).

    Wiring: like an LED, on a PWM pin (marked ~: D3, D5, D6, D9, D10, D11 on an Uno).

    >>> from labkit import Board
    >>> with Board.connect("sim") as board:
    ...     led = board.pwm_led(5)
    ...     led.value = 0.5
    ...     round(board.sim.pin(5).duty, 2)
    ...     led.pulse(fade_in_time=0.1, fade_out_time=0.1, n=1, background=False)
    0.5
    """

    def __init__(
        self, pin: PinSpec, *, board: Board | None = None, active_high: bool = True, initial_value: float = 0.0
    ) -> None:
        super().__init__([pin], board, active_high, initial_value, pwm=True)

    @property
    def value(self) -> float:
        """The brightness, 0..1; set it to dim."""
        self._check()
        return self._levels[0]

    @value.setter
    def value(self, value: float) -> None:
        self._set(self._levels_from("PWMLED.value", value))

    @property
    def is_lit(self) -> bool:
        """True while the LED is on at all."""
        return self.is_active

    def blink(
        self,
        on_time: float = 1.0,
        off_time: float = 1.0,
        fade_in_time: float = 0.0,
        fade_out_time: float = 0.0,
        n: int | None = None,
        background: bool = True,
    ) -> None:
        """Blink ``n`` times (forever when None), fading in and out over the given seconds."""
        self._play(blink_frames((1.0,), (0.0,), on_time, off_time, fade_in_time, fade_out_time, n), background)

    def pulse(
        self, fade_in_time: float = 1.0, fade_out_time: float = 1.0, n: int | None = None, background: bool = True
    ) -> None:
        """Fade in and out ``n`` times (forever when None)."""
        self.blink(0.0, 0.0, fade_in_time, fade_out_time, n, background)

    def _condition(self) -> str:
        return f"value={self._levels[0]:.2f}"


class RGBLED(_PWMOutput):
    """A three-colour LED: ``color`` is (red, green, blue), each 0..1.

    Wiring (common cathode): the long leg to GND, each colour leg through a
    220 Ohm resistor to a PWM pin (the starter kit uses D3, D5, D6).

    >>> from labkit import Board
    >>> with Board.connect("sim") as board:
    ...     rgb = board.rgb_led(3, 5, 6)
    ...     rgb.color = (1, 0.5, 0)
    ...     rgb
    <RGBLED on pins D3, D5, D6, color=(1.00, 0.50, 0.00)>
    """

    def __init__(
        self,
        red: PinSpec,
        green: PinSpec,
        blue: PinSpec,
        *,
        board: Board | None = None,
        active_high: bool = True,
        initial_value: Sequence[float] = (0.0, 0.0, 0.0),
        pwm: bool = True,
    ) -> None:
        super().__init__([red, green, blue], board, active_high, initial_value, pwm)

    @property
    def color(self) -> tuple[float, float, float]:
        """(red, green, blue), each 0..1; set it to change colour."""
        self._check()
        red, green, blue = self._levels
        return red, green, blue

    @color.setter
    def color(self, value: Sequence[float]) -> None:
        self._set(self._levels_from("RGBLED.color", value))

    value = color

    def blink(
        self,
        on_time: float = 1.0,
        off_time: float = 1.0,
        fade_in_time: float = 0.0,
        fade_out_time: float = 0.0,
        on_color: Sequence[float] = (1.0, 1.0, 1.0),
        off_color: Sequence[float] = (0.0, 0.0, 0.0),
        n: int | None = None,
        background: bool = True,
    ) -> None:
        """Blink between two colours ``n`` times (forever when None), with optional fades."""
        on, off = self._levels_from("on_color", on_color), self._levels_from("off_color", off_color)
        self._play(blink_frames(on, off, on_time, off_time, fade_in_time, fade_out_time, n), background)

    def pulse(
        self,
        fade_in_time: float = 1.0,
        fade_out_time: float = 1.0,
        on_color: Sequence[float] = (1.0, 1.0, 1.0),
        off_color: Sequence[float] = (0.0, 0.0, 0.0),
        n: int | None = None,
        background: bool = True,
    ) -> None:
        """Fade between two colours ``n`` times (forever when None)."""
        self.blink(0.0, 0.0, fade_in_time, fade_out_time, on_color, off_color, n, background)

    def _condition(self) -> str:
        return "color=(" + ", ".join(f"{v:.2f}" for v in self._levels) + ")"


class Servo(Device):
    """A hobby servo: ``angle`` in degrees, ``detach()`` to let it go limp.

    Wiring: brown/black to GND, red to 5V, orange/yellow (signal) to the pin.
    ``min_pulse_us``/``max_pulse_us`` are the pulse widths of 0 and 180 degrees.

    >>> from labkit import Board
    >>> with Board.connect("sim") as board:
    ...     servo = board.servo(9)
    ...     servo.angle = 90
    ...     servo
    <Servo on pin D9, angle=90>
    """

    kit_settings = ("min_pulse_us", "max_pulse_us")

    def __init__(
        self,
        pin: PinSpec,
        *,
        board: Board | None = None,
        initial_angle: float | None = None,
        min_angle: float = 0,
        max_angle: float = 180,
        min_pulse_us: int = 544,
        max_pulse_us: int = 2400,
    ) -> None:
        super().__init__(board)
        if not (in_range(min_angle, 0, 180) and in_range(max_angle, 0, 180) and min_angle < max_angle):
            raise ValueRangeError(f"need 0 <= min_angle < max_angle <= 180, not {min_angle} and {max_angle}")
        if not (in_range(min_pulse_us, 1, 16383) and in_range(max_pulse_us, 1, 16383) and min_pulse_us < max_pulse_us):
            raise ValueRangeError(
                f"need 0 < min_pulse_us < max_pulse_us <= 16383 microseconds, not {min_pulse_us} and {max_pulse_us}"
            )
        self._min_angle, self._max_angle = min_angle, max_angle
        self._pulses = (int(min_pulse_us), int(max_pulse_us))
        self._angle: int | None = None
        self._initial = None if initial_angle is None else self._checked(initial_angle)
        self._attach([(pin, "servo")], lambda: self._move(self._initial))

    def _checked(self, angle: float) -> int:
        if not in_range(angle, self._min_angle, self._max_angle):
            raise ValueRangeError(
                f"a servo angle must be from {self._min_angle:g} to {self._max_angle:g} degrees, not {angle!r}"
            )
        return round(angle)

    def _move(self, angle: int | None) -> None:
        if angle is None:
            return
        if self._angle is None:
            self._board._servo_config(self._pins[0], *self._pulses)
        self._board._analog_write(self._pins[0], angle)
        self._angle = angle

    @property
    def angle(self) -> int | None:
        """The angle last set, in whole degrees; None while detached. Set it to move."""
        self._check()
        return self._angle

    @angle.setter
    def angle(self, angle: float) -> None:
        self._check()
        self._move(self._checked(angle))

    value = angle

    @property
    def is_active(self) -> bool:
        """True while the servo holds an angle (not detached)."""
        return self._angle is not None

    def min(self) -> None:
        """Move to ``min_angle``."""
        self.angle = self._min_angle

    def mid(self) -> None:
        """Move half-way between ``min_angle`` and ``max_angle``."""
        self.angle = (self._min_angle + self._max_angle) / 2

    def max(self) -> None:
        """Move to ``max_angle``."""
        self.angle = self._max_angle

    def detach(self) -> None:
        """Stop the pulses: the servo goes limp (setting ``angle`` attaches it again)."""
        self._check()
        self._shutdown()

    def _shutdown(self) -> None:
        if self._angle is not None:
            # StandardFirmata detaches a servo when its pin changes mode.
            self._board._set_mode(self._pins[0], "output")
            self._board._digital_write(self._pins[0], False)
            self._angle = None

    def _condition(self) -> str:
        return f"angle={self._angle}"
