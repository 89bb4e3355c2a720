"""Which pin can do what, from the board profile, checked before any byte is sent.

>>> from labkit.profiles import load_board
>>> uno = load_board("uno")
>>> check_pin(uno, "D5", "pwm", "a PWMLED")
5
>>> check_pin(uno, 4, "pwm", "a PWMLED")
Traceback (most recent call last):
...
labkit.errors.PinModeError: a PWMLED needs a PWM pin, and D4 of the Arduino Uno is not one: use D3, D5, D6, D9-D11
>>> describe_pins(uno, allowed_pins(uno, "output"))
'D2-D13, A0-A5'
"""

from __future__ import annotations

from pyfirmata2 import ANALOG, INPUT, INPUT_PULLUP, OUTPUT, PWM, SERVO

from labkit.errors import PinModeError
from labkit.profiles import BoardProfile, PinSpec

__all__ = ["FIRMATA_MODES", "allowed_pins", "check_pin", "describe_pins"]

# labkit's names for the Firmata pin modes a device can ask for.
FIRMATA_MODES = {
    "output": OUTPUT,
    "pwm": PWM,
    "servo": SERVO,
    "input": INPUT,
    "input_pullup": INPUT_PULLUP,
    "analog": ANALOG,
}

_NEEDS = {
    "output": "a digital pin",
    "input": "a digital pin",
    "input_pullup": "a digital pin",
    "servo": "a digital pin",
    "pwm": "a PWM pin",
    "analog": "an analog input pin",
}


def allowed_pins(profile: BoardProfile, mode: str) -> list[int]:
    """The pins of ``profile`` that can work in ``mode`` (a key of ``FIRMATA_MODES``)."""
    if mode == "analog":
        return sorted(profile.analog_pins.values())
    if mode == "pwm":
        candidates = sorted(profile.pwm_pins)
    else:
        candidates = [p for p in range(profile.total_pins) if profile.is_digital(p)]
    return [p for p in candidates if p not in profile.reserved_pins]


def describe_pins(profile: BoardProfile, pins: list[int]) -> str:
    """Pins as people write them, runs folded: ``'D2-D13, A0-A5'``."""
    runs: list[list[int]] = []
    for pin in sorted(pins):
        last = runs[-1][-1] if runs else None
        same_kind = last is not None and (profile.analog_channel(last) is None) == (
            profile.analog_channel(pin) is None
        )
        if last is not None and pin == last + 1 and same_kind:
            runs[-1].append(pin)
        else:
            runs.append([pin])
    items: list[str] = []
    for run in runs:
        if len(run) >= 3:
            items.append(f"{profile.label(run[0])}-{profile.label(run[-1])}")
        else:
            items.extend(profile.label(pin) for pin in run)
    return ", ".join(items)


def check_pin(profile: BoardProfile, spec: PinSpec, mode: str, device: str) -> int:
    """Resolve ``spec`` and check it can work in ``mode``; returns the Firmata pin number.

    Raises ``PinInvalidError`` for a pin the board does not have and
    ``PinModeError`` for one that cannot do ``mode``; both name the allowed pins.
    """
    pin = profile.pin(spec)
    allowed = allowed_pins(profile, mode)
    if pin in allowed:
        return pin
    label = profile.label(pin)
    choices = describe_pins(profile, allowed)
    if pin in profile.reserved_pins:
        raise PinModeError(
            f"{label} of the {profile.title} carries the USB serial link that Firmata talks "
            f"over, so {device} cannot use it: use {choices}"
        )
    raise PinModeError(
        f"{device} needs {_NEEDS[mode]}, and {label} of the {profile.title} is not one: use {choices}"
    )
