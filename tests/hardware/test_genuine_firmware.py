"""labkit against the genuine StandardFirmata (2.4, from avrgirl) running on a simulated AVR."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labkit.errors import ToolMissingError
from labkit.hardware import Board
from labkit.sim import VirtualBoard
from tests.hardware.helpers import eventually
from tests.support import absent


@pytest.fixture(scope="module")
def genuine() -> Iterator[VirtualBoard]:
    """A virtual Uno running the real firmware .hex (simavr), or skip (fail under CI=true)."""
    try:
        from labkit.sim.avr._setup import standard_firmata

        standard_firmata("uno")
        vb = VirtualBoard(firmware="StandardFirmata", seed=0)
    except ToolMissingError as exc:
        absent(str(exc))
        raise
    with vb:
        yield vb


@pytest.mark.slow
@pytest.mark.firmware
def test_devices_work_on_the_genuine_firmware(genuine: VirtualBoard) -> None:
    with Board.connect(genuine.port) as board:
        assert board.firmware.version == (2, 4)
        button = board.button(2)  # pull-up the 2.4 way: no "Unknown pin mode"
        # The simulated AVR shows a new pull-up on its next tick, so the very first
        # report may still read LOW (a real pin settles in microseconds).
        assert eventually(lambda: not button.is_pressed)
        assert board.messages == []
        genuine.world.press("button")
        assert button.wait_for_press(timeout=2)
        genuine.world.release("button")
        assert button.wait_for_release(timeout=2)
        board.led(13).on()
        assert genuine.pin(13).level == 1
        genuine.world.knob = 0.75
        knob = board.potentiometer("A2")
        assert knob.value == pytest.approx(0.75, abs=0.02)
