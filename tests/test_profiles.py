"""Board and kit profiles load, and broken ones name the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit import LabkitError
from labkit.errors import PinInvalidError, ProfileError
from labkit.profiles import load_board, load_kit


@pytest.mark.parametrize(
    ("name", "total", "a0", "pwm"),
    [("uno", 20, 14, 9), ("nano", 22, 14, 9), ("mega2560", 70, 54, 44), ("leonardo", 30, 18, 13)],
)
def test_every_board_profile_loads(name: str, total: int, a0: int, pwm: int) -> None:
    board = load_board(name)
    assert board.total_pins == total
    assert board.pin("A0") == a0
    assert pwm in board.pwm_pins
    assert board.adc_max == 1023


def test_pin_spellings_resolve_alike() -> None:
    uno = load_board("uno")
    assert uno.pin(13) == uno.pin("13") == uno.pin("D13") == uno.pin("d13") == 13
    assert uno.label(15) == "A1" and uno.label(7) == "D7"


@pytest.mark.parametrize("spec", ["A6", "D20", 20, -1, "pin13", True])
def test_unknown_pins_name_the_choices(spec: object) -> None:
    with pytest.raises(PinInvalidError, match="A0, A1") as info:
        load_board("uno").pin(spec)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError) and isinstance(info.value, LabkitError)


def test_starter_kit_wires_what_the_design_says() -> None:
    kit = load_kit("starter")
    wiring = {name: part.pins for name, part in kit.parts.items()}
    assert wiring["led"] == (13,) and wiring["button"] == (2,) and wiring["servo"] == (9,)
    assert wiring["light"] == ("A0",) and wiring["temperature"] == ("A1",)
    assert wiring["knob"] == ("A2",) and wiring["buzzer"] == (8,) and wiring["rgb"] == (3, 5, 6)
    assert kit.parts["button"].settings["pull_up"] is True


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(ProfileError, match="known: leonardo, mega2560, nano, uno"):
        load_board("due")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = 'x'\n", "missing field 'mcu'"),
        ("name = 'x'\nmcu = 'm'\nbaud = '57600'\n", "field 'baud' must be int"),
        ("name = [\n", "not valid TOML"),
    ],
)
def test_broken_board_file_names_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(text)
    with pytest.raises(ProfileError, match=message) as info:
        load_board(path)
    assert str(path) in str(info.value)


def test_broken_kit_part_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "kit.toml"
    path.write_text("name = 'k'\nboard = 'uno'\n[parts.eye]\nkind = 'light_sensor'\npin = 'A7'\n")
    with pytest.raises(ProfileError, match=r"parts.eye.pin.*no pin 'A7'"):
        load_kit(path)
    path.write_text("name = 'k'\nboard = 'uno'\n[parts.eye]\nkind = 'laser'\npin = 3\n")
    with pytest.raises(ProfileError, match=r"parts.eye.kind.*choose one of"):
        load_kit(path)
