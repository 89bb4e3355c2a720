"""Board and kit profiles: what a board has, and what a kit wires where.

Profiles are TOML files in ``hardware_profiles/`` (``boards/<name>.toml`` and
``kits/<name>.toml``); set ``LABKIT_PROFILES`` to use a lab's own folder. Both
the hardware layer and the virtual board read them, so the simulation wires
exactly what the kit describes.

>>> from labkit.profiles import load_board, load_kit
>>> uno = load_board("uno")
>>> uno.pin("A0"), uno.pin("D13"), uno.pin(9)
(14, 13, 9)
>>> load_kit("starter").parts["light"].pin
'A0'
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from labkit.errors import PinInvalidError, ProfileError

__all__ = ["BoardProfile", "KitProfile", "Part", "PinSpec", "load_board", "load_kit", "profiles_dir"]

PinSpec = int | str


def profiles_dir() -> Path:
    """The folder holding ``boards/`` and ``kits/``.

    ``LABKIT_PROFILES`` when set; else the checkout's ``hardware_profiles/``;
    else the copy a wheel install puts in ``<prefix>/share/labkit``.
    """
    override = os.environ.get("LABKIT_PROFILES")
    if override:
        return Path(override)
    checkout = Path(__file__).resolve().parent.parent / "hardware_profiles"
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "labkit" / "hardware_profiles"


@dataclass(frozen=True)
class BoardProfile:
    """What one kind of board offers, pin by pin.

    Pins are numbered as Firmata numbers them: digital pins first, then the
    analog inputs (``A0`` is 14 on an Uno).
    """

    name: str
    title: str
    mcu: str
    baud: int
    adc_bits: int
    vref: float
    digital_pins: int
    analog_pins: Mapping[str, int]
    pwm_pins: frozenset[int]
    reserved_pins: frozenset[int]
    usb_ids: tuple[str, ...]
    source: Path | None = None

    @property
    def total_pins(self) -> int:
        """How many pins Firmata numbers (digital and analog-only together)."""
        return max([self.digital_pins, *(p + 1 for p in self.analog_pins.values())])

    @property
    def adc_max(self) -> int:
        """The largest raw reading of the ADC (1023 for 10 bits)."""
        return (1 << self.adc_bits) - 1

    def analog_channel(self, pin: int) -> int | None:
        """The ADC channel of a pin (``A2`` -> 2), or None when it has none."""
        for label, number in self.analog_pins.items():
            if number == pin:
                return int(label[1:])
        return None

    def label(self, pin: int) -> str:
        """How people write a pin: ``"A0"`` for analog inputs, ``"D13"`` otherwise."""
        channel = self.analog_channel(pin)
        return f"A{channel}" if channel is not None else f"D{pin}"

    def is_digital(self, pin: int) -> bool:
        """True when the pin can be a digital input or output."""
        return 0 <= pin < self.digital_pins

    def pin(self, spec: PinSpec) -> int:
        """Resolve ``13``, ``"13"``, ``"D13"`` or ``"A0"`` to a Firmata pin number.

        Raises ``PinInvalidError`` (a ``ValueError``) naming the pins the board has.
        """
        number: int | None = None
        if isinstance(spec, bool):
            number = None
        elif isinstance(spec, int):
            number = spec
        elif isinstance(spec, str):
            text = spec.strip().upper()
            if text in self.analog_pins:
                number = self.analog_pins[text]
            elif text.startswith("D") and text[1:].isdigit():
                number = int(text[1:])
            elif text.isdigit():
                number = int(text)
        if number is None or not 0 <= number < self.total_pins:
            analog = ", ".join(self.analog_pins)
            raise PinInvalidError(
                f"{self.title} has no pin {spec!r}: digital pins are D0-D{self.digital_pins - 1}"
                + (f", analog inputs {analog}" if analog else "")
            )
        return number


@dataclass(frozen=True)
class Part:
    """One part of a kit: its kind (``led``, ``servo``...), its pin(s) and settings."""

    name: str
    kind: str
    pins: tuple[PinSpec, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def pin(self) -> PinSpec:
        """The part's pin (the first one for parts with several, like an RGB LED)."""
        return self.pins[0]


@dataclass(frozen=True)
class KitProfile:
    """Which parts a kit wires to which pins of which board."""

    name: str
    title: str
    board: str
    parts: Mapping[str, Part]
    source: Path | None = None


PART_KINDS = frozenset(
    {
        "led",
        "pwm_led",
        "rgb_led",
        "buzzer",
        "servo",
        "button",
        "analog_sensor",
        "light_sensor",
        "temperature_sensor",
        "potentiometer",
        "motion_sensor",
    }
)


def _read(kind: str, name: str | os.PathLike[str]) -> tuple[dict[str, Any], Path]:
    path = Path(name)
    if path.suffix != ".toml":
        path = profiles_dir() / kind / f"{name}.toml"
    if not path.is_file():
        folder = path.parent
        known = sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []
        raise ProfileError(
            f"no {kind[:-1]} profile {str(name)!r} (looked for {path}); "
            f"known: {', '.join(known) or 'none'}"
        )
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), path
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: not valid TOML: {exc}") from None


def _field(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], path: Path) -> Any:
    if key not in data:
        raise ProfileError(f"{path}: missing field {key!r}")
    value = data[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise ProfileError(f"{path}: field {key!r} must be {names}, not {value!r}")
    return value


def _int_list(data: Mapping[str, Any], key: str, path: Path) -> list[int]:
    values = _field(data, key, list, path)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
        raise ProfileError(f"{path}: field {key!r} must list pin numbers, not {values!r}")
    return values


def load_board(name: str | os.PathLike[str] = "uno") -> BoardProfile:
    """Load ``hardware_profiles/boards/<name>.toml`` (or a ``.toml`` path)."""
    data, path = _read("boards", name)
    title = str(data.get("title", data.get("name", "")))
    name_, mcu = _field(data, "name", str, path), _field(data, "mcu", str, path)
    baud, adc_bits = _field(data, "baud", int, path), _field(data, "adc_bits", int, path)
    vref = float(_field(data, "vref", (int, float), path))
    digital_pins = _field(data, "digital_pins", int, path)
    analog = _field(data, "analog_pins", dict, path)
    for label, number in analog.items():
        if not (label[:1] == "A" and label[1:].isdigit()) or not isinstance(number, int):
            raise ProfileError(f"{path}: field 'analog_pins' entry {label} = {number!r} is not like A0 = 14")
    pwm_pins = _int_list(data, "pwm_pins", path)
    reserved_pins = _int_list(data, "reserved_pins", path)
    usb_ids = _field(data, "usb_ids", list, path)
    for usb_id in usb_ids:
        vid, _, pid = str(usb_id).partition(":")
        try:
            int(vid, 16), int(pid, 16)
        except ValueError:
            raise ProfileError(f"{path}: field 'usb_ids' entry {usb_id!r} is not VID:PID in hex") from None
    board = BoardProfile(
        name=name_,
        title=title,
        mcu=mcu,
        baud=baud,
        adc_bits=adc_bits,
        vref=vref,
        digital_pins=digital_pins,
        analog_pins=dict(analog),
        pwm_pins=frozenset(pwm_pins),
        reserved_pins=frozenset(reserved_pins),
        usb_ids=tuple(str(u).upper() for u in usb_ids),
        source=path,
    )
    bad = sorted(p for p in board.pwm_pins if not board.is_digital(p))
    if bad:
        raise ProfileError(f"{path}: field 'pwm_pins' names pins that are not digital pins: {bad}")
    return board


def load_kit(name: str | os.PathLike[str] = "starter") -> KitProfile:
    """Load ``hardware_profiles/kits/<name>.toml`` and check every part against its board."""
    data, path = _read("kits", name)
    board_name = _field(data, "board", str, path)
    board = load_board(board_name)
    parts: dict[str, Part] = {}
    for part_name, spec in _field(data, "parts", dict, path).items():
        where = f"parts.{part_name}"
        if not isinstance(spec, dict):
            raise ProfileError(f"{path}: field {where!r} must be a table")
        kind = spec.get("kind")
        if kind not in PART_KINDS:
            raise ProfileError(
                f"{path}: field '{where}.kind' is {kind!r}; choose one of {', '.join(sorted(PART_KINDS))}"
            )
        if "pins" in spec:
            pins = spec["pins"]
        elif "pin" in spec:
            pins = [spec["pin"]]
        else:
            raise ProfileError(f"{path}: field '{where}.pin' is missing")
        if not isinstance(pins, list) or not pins:
            raise ProfileError(f"{path}: field '{where}.pins' must be a list of pins")
        for pin in pins:
            try:
                board.pin(pin)
            except PinInvalidError as exc:
                raise ProfileError(f"{path}: field '{where}.pin': {exc}") from None
        settings = {k: v for k, v in spec.items() if k not in ("kind", "pin", "pins")}
        parts[part_name] = Part(part_name, kind, tuple(pins), settings)
    return KitProfile(
        name=_field(data, "name", str, path),
        title=str(data.get("title", data["name"])),
        board=board_name,
        parts=parts,
        source=path,
    )
