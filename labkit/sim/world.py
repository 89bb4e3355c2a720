"""The simulated world around a virtual board: what its kit's parts sense and show.

A :class:`World` is built from a kit profile and knows nothing of Firmata: a
board (the Python emulation or the simulated AVR) asks it what voltage an
analog pin sees and what level a digital input reads, and tells it what the
outputs drive. Everything is a pure function of the quantities you set, the
seed and the time, so the same seed and the same commands give the same
readings.

The ADC reads code = floor(V * 2**bits / Vref) plus a seeded error of
``noise_lsb`` steps that depends on the pin and the voltage but not on time
(a notebook reads the same numbers on every run), and, if you ask for it,
``jitter_lsb`` of noise that changes from sample to sample.

The physics, part by part (kinds as in ``hardware_profiles/kits``):

- ``light_sensor``: an LDR on top of ``fixed_ohms`` to GND, so brighter reads
  higher. ``light`` is the illuminance as a fraction of ``full_lux`` (1000 lux,
  a bright desk); the LDR follows R = ``ldr_ohms_10lux`` * (lux / 10) ** -``ldr_gamma``
  (a GL5528: 10 kOhm at 10 lux, gamma 0.7), capped at ``dark_ohms`` (1 MOhm).
- ``temperature_sensor`` (TMP36): 0.5 V + 10 mV per degree C, -40..125 C.
- ``potentiometer``: ``knob`` times the supply (Vref).
- ``analog_sensor``: ``world.analog[name]`` times the supply.
- ``button``: with ``pull_up`` it is wired to GND (pressed reads 0, released
  reads 1 only while a pull-up is on, else the pin floats); without it, to
  the supply with a pull-down (pressed reads 1). ``bounce_ms`` > 0 makes the
  contact chatter for that long after each press and release.
- ``motion_sensor`` (PIR): its output is HIGH while ``motion`` is true.
- ``servo``: moves toward the angle its pulse width commands (``min_pulse_us``
  is 0 degrees, ``max_pulse_us`` 180) at ``slew_deg_per_s``; it starts at 90.
- ``led``, ``pwm_led``, ``rgb_led``, ``buzzer``: record what they are driven with.

An analog pin with no part floats: it reads a seeded level with 50 Hz hum. A
digital input with no part reads 1 with a pull-up and a seeded level without.

>>> from labkit.sim import World
>>> world = World("starter", seed=1)
>>> world.temperature_c = 25.0
>>> round(world.analog_voltage("A1"), 3)
0.75
>>> world.press("button"); world.digital_level(2, pull_up=True)
0
>>> world.release("button"); world.digital_level(2, pull_up=True)
1
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from labkit.errors import PinError, SimulationError, ValueRangeError
from labkit.profiles import BoardProfile, KitProfile, Part, PinSpec, load_board, load_kit

__all__ = ["World"]

# Bounce: how many contact flips a press makes, at most (always an even number).
_MAX_CHATTER_PAIRS = 4
_HUM_HZ = 50.0
_HUM_VOLTS = 0.3
_OUTPUT_MODES = ("output", "pwm", "servo", "off")
_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class _ButtonEvent:
    t: float
    pressed: bool
    chatter: tuple[float, ...]  # times after t at which the contact flips


@dataclass(frozen=True)
class _ServoMotion:
    t: float  # when the last command came
    start: float  # angle then
    target: float  # where the last pulse tells it to go
    slew: float  # degrees per second

    def angle_at(self, t: float) -> float:
        reach = self.slew * max(t - self.t, 0.0)
        if abs(self.target - self.start) <= reach:
            return self.target
        return self.start + math.copysign(reach, self.target - self.start)


class World:
    """The quantities a kit's sensors see and what its outputs are driven with.

    Parameters
    ----------
    kit : str or KitProfile or None
        The kit whose parts are simulated (``"starter"``); nothing else is. None: no parts.
    seed : int
        Seeds the ADC noise, button bounce and floating pins.
    board : BoardProfile, optional
        The board the kit sits on; the kit's own board by default.
    clock : callable, optional
        Returns the time in seconds; the board shares its clock. Starts at 0.
    noise_lsb : float
        The ADC's error, in steps of the ADC (standard deviation; 0 for none): a
        seeded function of the pin and the voltage, so the same world always
        reads the same, whenever the host samples it.
    jitter_lsb : float
        Noise that changes from sample to sample (standard deviation in ADC
        steps; 0 by default): a seeded sequence per pin, for practising
        smoothing. It makes a reading depend on which sample the host gets.

    >>> world = World("starter", seed=0, noise_lsb=0)
    >>> world.knob = 0.5
    >>> world.adc_read("A2")
    512
    """

    def __init__(
        self,
        kit: str | KitProfile | None = "starter",
        *,
        seed: int = 0,
        board: BoardProfile | None = None,
        clock: Callable[[], float] | None = None,
        noise_lsb: float = 0.5,
        jitter_lsb: float = 0.0,
    ) -> None:
        if kit is None:
            self.board = board or load_board("uno")
            self.kit = KitProfile("none", "no parts", self.board.name, {})
        else:
            self.kit = kit if isinstance(kit, KitProfile) else load_kit(kit)
            self.board = board or load_board(self.kit.board)
        self.seed = int(seed)
        if clock is None:
            start = time.monotonic()

            def clock() -> float:
                return time.monotonic() - start

        self.now: Callable[[], float] = clock
        self.noise_lsb = float(noise_lsb)
        self.jitter_lsb = float(jitter_lsb)
        self._lock = threading.RLock()
        self._listeners: list[Callable[[], None]] = []
        self._parts_at: dict[int, Part] = {}
        for part in self.kit.parts.values():
            for spec in part.pins:
                self._parts_at[self.board.pin(spec)] = part
        self._light = 0.5
        self._temperature_c = 22.0
        self._knob = 0.5
        self._motion = False
        self.analog: dict[str, float] = {p.name: 0.5 for p in self._parts("analog_sensor")}
        self._pressed = {p.name: False for p in self._parts("button")}
        self._button_events: dict[str, list[_ButtonEvent]] = {name: [] for name in self._pressed}
        buttons = self._parts("button")
        self._bounce_ms = float(buttons[0].settings.get("bounce_ms", 0.0)) if buttons else 0.0
        self._servos: dict[int, _ServoMotion] = {
            self.board.pin(p.pin): _ServoMotion(0.0, 90.0, 90.0, float(p.settings.get("slew_deg_per_s", 300.0)))
            for p in self._parts("servo")
        }
        self._driven: dict[int, tuple[str, float]] = {}
        self._jitter = {
            pin: np.random.default_rng([self.seed, pin]) for pin in range(self.board.total_pins)
        }

    # -- the quantities -------------------------------------------------------------------------

    @property
    def light(self) -> float:
        """Illuminance on the light sensor, 0 (dark) to 1 (``full_lux``).

        >>> world = World("starter", noise_lsb=0); world.light = 0.2; world.adc_read("A0")
        911
        """
        return self._light

    @light.setter
    def light(self, value: float) -> None:
        self._require("light_sensor", "light")
        self._light = self._fraction("light", value)
        self._changed()

    @property
    def temperature_c(self) -> float:
        """Temperature at the TMP36 in degrees C (-40..125).

        >>> world = World("starter"); world.temperature_c = 100; world.analog_voltage("A1")
        1.5
        """
        return self._temperature_c

    @temperature_c.setter
    def temperature_c(self, value: float) -> None:
        self._require("temperature_sensor", "temperature_c")
        value = float(value)
        if not -40.0 <= value <= 125.0:
            raise ValueRangeError(f"temperature_c must be within -40..125 (the TMP36's range), not {value}")
        self._temperature_c = value
        self._changed()

    @property
    def knob(self) -> float:
        """Potentiometer position, 0 (one end) to 1 (the other)."""
        return self._knob

    @knob.setter
    def knob(self, value: float) -> None:
        self._require("potentiometer", "knob")
        self._knob = self._fraction("knob", value)
        self._changed()

    @property
    def motion(self) -> bool:
        """True while the PIR sees movement.

        >>> world = World("starter"); world.motion = True; world.digital_level(7)
        1
        """
        return self._motion

    @motion.setter
    def motion(self, value: bool) -> None:
        self._require("motion_sensor", "motion")
        self._motion = bool(value)
        self._changed()

    @property
    def buttons(self) -> Mapping[str, bool]:
        """Which buttons are held down, by kit part name (read-only; use press/release)."""
        return MappingProxyType(self._pressed)

    @property
    def bounce_ms(self) -> float:
        """How long a button's contact chatters after each press or release (0: clean).

        >>> world = World("starter", seed=3); world.bounce_ms = 5; world.press()
        >>> world.next_event(world.now()) is not None       # a flip is coming
        True
        """
        return self._bounce_ms

    @bounce_ms.setter
    def bounce_ms(self, value: float) -> None:
        value = float(value)
        if not 0.0 <= value <= 100.0:
            raise ValueRangeError(f"bounce_ms must be within 0..100, not {value}")
        self._bounce_ms = value

    def press(self, name: str = "button") -> None:
        """Hold the button ``name`` down (it bounces for ``bounce_ms``).

        >>> world = World("starter"); world.press("button"); world.buttons["button"]
        True
        """
        self._set_button(name, True)

    def release(self, name: str = "button") -> None:
        """Let the button ``name`` go."""
        self._set_button(name, False)

    # -- what the board sees --------------------------------------------------------------------

    def analog_voltage(self, pin: PinSpec, t: float | None = None, *, noisy: bool = False) -> float:
        """The voltage on ``pin`` (``"A0"`` or 14) at time ``t`` (now by default).

        With ``noisy=True`` the ADC's seeded error (``noise_lsb``) and the next
        sample of the pin's jitter (``jitter_lsb``) are added.
        """
        number = self._pin(pin)
        t = self.now() if t is None else t
        part = self._parts_at.get(number)
        vref = self.board.vref
        with self._lock:
            if part is None or part.kind not in (
                "light_sensor",
                "temperature_sensor",
                "potentiometer",
                "analog_sensor",
            ):
                volts = self._floating_volts(number, t)
            elif part.kind == "light_sensor":
                volts = self._ldr_volts(part)
            elif part.kind == "temperature_sensor":
                volts = 0.5 + 0.01 * self._temperature_c
            elif part.kind == "potentiometer":
                volts = self._knob * vref
            else:
                volts = self.analog[part.name] * vref
            if noisy:
                step = vref / (self.board.adc_max + 1)
                if self.noise_lsb > 0:
                    # Two seeded uniforms make a triangular error with the asked spread.
                    key = round(volts * 1e6)
                    spread = self._seeded_unit(number, key, 1) + self._seeded_unit(number, key, 2) - 1.0
                    volts += spread * math.sqrt(6.0) * self.noise_lsb * step
                if self.jitter_lsb > 0:
                    volts += float(self._jitter[number].normal(0.0, self.jitter_lsb)) * step
        return min(max(volts, 0.0), vref)

    def adc_read(self, pin: PinSpec, t: float | None = None) -> int:
        """What ``analogRead`` returns for ``pin``: code = floor(V * 2**bits / Vref), noise included.

        >>> world = World("starter", noise_lsb=0); world.knob = 1.0; world.adc_read("A2")
        1023
        """
        volts = self.analog_voltage(pin, t, noisy=True)
        code = int(volts * (self.board.adc_max + 1) / self.board.vref)
        return min(code, self.board.adc_max)

    def digital_level(self, pin: PinSpec, t: float | None = None, *, pull_up: bool = False) -> int:
        """The level (0 or 1) a digital input on ``pin`` reads; ``pull_up``: its pull-up is on.

        >>> World("starter").digital_level("D2", pull_up=True)     # the button, released
        1
        """
        number = self._pin(pin)
        t = self.now() if t is None else t
        part = self._parts_at.get(number)
        with self._lock:
            if part is not None and part.kind == "button":
                closed = self._contact_closed(part.name, t)
                if part.settings.get("pull_up", True):
                    if closed:
                        return 0
                    return 1 if pull_up else self._floating_level(number)
                return int(closed)
            if part is not None and part.kind == "motion_sensor":
                return int(self._motion)
            if part is not None and part.kind in ("temperature_sensor", "potentiometer", "light_sensor", "analog_sensor"):
                return int(self.analog_voltage(number, t) > 0.6 * self.board.vref)
            driven = self._driven.get(number)
            if driven is not None and driven[0] != "off":
                return int(driven[1] > 0)
            return 1 if pull_up else self._floating_level(number)

    def drive(self, pin: PinSpec, mode: str, value: float, t: float | None = None) -> None:
        """Tell the world what the board drives ``pin`` with.

        ``mode`` is ``"output"`` (value 0 or 1), ``"pwm"`` (duty 0..1), ``"servo"``
        (pulse width in microseconds) or ``"off"`` (not driven: an input).

        >>> world = World("starter"); world.drive(5, "pwm", 0.25); world.driven(5)
        ('pwm', 0.25)
        """
        if mode not in _OUTPUT_MODES:
            raise SimulationError(f"drive() mode must be one of {', '.join(_OUTPUT_MODES)}, not {mode!r}")
        number = self._pin(pin)
        t = self.now() if t is None else t
        with self._lock:
            self._driven[number] = (mode, float(value))
            motion = self._servos.get(number)
            if motion is not None:
                angle = motion.angle_at(t)
                # Without pulses the servo stops where it is.
                target = angle
                if mode == "servo":
                    part = self._parts_at[number]
                    low = float(part.settings.get("min_pulse_us", 544))
                    high = float(part.settings.get("max_pulse_us", 2400))
                    target = min(max((float(value) - low) / (high - low) * 180.0, 0.0), 180.0)
                self._servos[number] = _ServoMotion(t, angle, target, motion.slew)

    def driven(self, pin: PinSpec) -> tuple[str, float]:
        """What ``pin`` is driven with: ``(mode, value)`` as given to :meth:`drive`."""
        return self._driven.get(self._pin(pin), ("off", 0.0))

    def output(self, name: str) -> float | tuple[float, ...]:
        """How much an output part is on, 0..1 (an RGB LED: a tuple; a servo: its angle).

        >>> world = World("starter")
        >>> world.drive(13, "output", 1); world.output("led")
        1.0
        """
        part = self.kit.parts.get(name)
        if part is None:
            raise SimulationError(f"the kit {self.kit.name!r} has no part {name!r}; it has {', '.join(self.kit.parts)}")
        if part.kind == "servo":
            return self.servo_angle(part.pin)
        if part.kind not in ("led", "pwm_led", "rgb_led", "buzzer"):
            raise SimulationError(f"{name!r} is a {part.kind.replace('_', ' ')}, an input: it has no output")
        levels = tuple(self._drive_level(self.board.pin(spec)) for spec in part.pins)
        return levels if part.kind == "rgb_led" else levels[0]

    @property
    def servo_pins(self) -> frozenset[int]:
        """The pins a servo of the kit is wired to."""
        return frozenset(self._servos)

    def servo_angle(self, pin: PinSpec, t: float | None = None) -> float:
        """Where the servo on ``pin`` points now, in degrees (it slews toward its command).

        >>> world = World("starter"); world.drive(9, "servo", 2400, t=0.0)
        >>> world.servo_angle(9, t=0.1), world.servo_angle(9, t=1.0)    # 300 degrees/s
        (120.0, 180.0)
        """
        number = self._pin(pin)
        motion = self._servos.get(number)
        if motion is None:
            raise PinError(f"no servo is wired to pin {self.board.label(number)} in the kit {self.kit.name!r}")
        with self._lock:
            return motion.angle_at(self.now() if t is None else t)

    def next_event(self, t: float) -> float | None:
        """The first time after ``t`` at which a digital input changes by itself (bounce)."""
        upcoming = [
            event.t + flip
            for events in self._button_events.values()
            for event in events[-2:]
            for flip in event.chatter
            if event.t + flip > t
        ]
        return min(upcoming) if upcoming else None

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` (from the caller's thread) whenever a quantity is set."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[], None]) -> None:
        """Stop calling ``listener``."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def __repr__(self) -> str:
        parts = [f"light={self._light:g}", f"temperature_c={self._temperature_c:g}", f"knob={self._knob:g}"]
        parts += [f"motion={self._motion}", f"buttons={dict(self._pressed)}"]
        return f"<World of kit {self.kit.name!r}, seed={self.seed}: {', '.join(parts)}>"

    # -- internals ------------------------------------------------------------------------------

    def _parts(self, kind: str) -> list[Part]:
        return [p for p in self.kit.parts.values() if p.kind == kind]

    def _require(self, kind: str, quantity: str) -> None:
        if not self._parts(kind):
            raise SimulationError(
                f"the kit {self.kit.name!r} has no {kind.replace('_', ' ')}, so {quantity} is not simulated"
            )

    @staticmethod
    def _fraction(name: str, value: Any) -> float:
        value = float(value)
        if not 0.0 <= value <= 1.0:
            raise ValueRangeError(f"{name} must be within 0..1, not {value}")
        return value

    def _pin(self, pin: PinSpec) -> int:
        return self.board.pin(pin)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def _set_button(self, name: str, pressed: bool) -> None:
        if name not in self._pressed:
            known = ", ".join(self._pressed) or "none"
            raise SimulationError(f"the kit {self.kit.name!r} has no button {name!r} (buttons: {known})")
        with self._lock:
            if self._pressed[name] == pressed:
                return
            self._pressed[name] = pressed
            events = self._button_events[name]
            chatter: tuple[float, ...] = ()
            if self._bounce_ms > 0:
                rng = np.random.default_rng([self.seed, len(events), int(pressed), sum(map(ord, name))])
                flips = 2 * int(rng.integers(1, _MAX_CHATTER_PAIRS + 1))
                chatter = tuple(sorted(float(x) for x in rng.uniform(0.0, self._bounce_ms / 1000.0, flips)))
            events.append(_ButtonEvent(self.now(), pressed, chatter))
            del events[:-4]
        self._changed()

    def _contact_closed(self, name: str, t: float) -> bool:
        events = self._button_events[name]
        for event in reversed(events):
            if event.t <= t:
                flips = sum(1 for flip in event.chatter if event.t + flip <= t)
                return event.pressed if flips % 2 == 0 else not event.pressed
        return False

    def _ldr_volts(self, part: Part) -> float:
        settings = part.settings
        fixed = float(settings.get("fixed_ohms", 10_000))
        lux = self._light * float(settings.get("full_lux", 1000.0))
        dark = float(settings.get("dark_ohms", 1e6))
        if lux <= 0:
            ldr = dark
        else:
            ldr = min(dark, float(settings.get("ldr_ohms_10lux", 10_000)) * (lux / 10.0) ** -float(settings.get("ldr_gamma", 0.7)))
        return self.board.vref * fixed / (fixed + ldr)

    def _seeded_unit(self, *keys: int) -> float:
        """A fixed number in [0, 1) for (seed, keys): a SplitMix64 hash, cheap enough per sample."""
        x = self.seed & _MASK64
        for key in keys:
            x = (x ^ (key & _MASK64)) * 0x9E3779B97F4A7C15 & _MASK64
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & _MASK64
            x = (x ^ (x >> 27)) * 0x94D049BB133111EB & _MASK64
            x ^= x >> 31
        return x / 2.0**64

    def _floating_volts(self, pin: int, t: float) -> float:
        base = 1.0 + 3.0 * self._seeded_unit(pin, 0)
        return base + _HUM_VOLTS * math.sin(2 * math.pi * (_HUM_HZ * t + self._seeded_unit(pin, 3)))

    def _floating_level(self, pin: int) -> int:
        return int(self._seeded_unit(pin, 4) >= 0.5)

    def _drive_level(self, pin: int) -> float:
        mode, value = self._driven.get(pin, ("off", 0.0))
        return value if mode in ("output", "pwm") else 0.0
