"""The one place the hardware layer meets the virtual board (``Board.connect("sim")``).

Everything else in ``labkit.hardware`` only knows a serial port path; this
module starts a ``labkit.sim.VirtualBoard`` and hands over its pty.

>>> vb = start_virtual_board("uno", "starter", seed=0)
>>> vb.port.startswith("/dev/")
True
>>> vb.close()
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labkit.sim import VirtualBoard

__all__ = ["VirtualBoard", "start_virtual_board"]


def start_virtual_board(profile: str, kit: str | None, seed: int, firmware: str | None = None) -> VirtualBoard:
    """Start a virtual ``profile`` board wired as ``kit`` (None: a bare board); the caller closes it.

    ``firmware`` None emulates StandardFirmata in Python; ``"StandardFirmata"``
    runs the genuine one on a simulated AVR.
    """
    from labkit.sim import VirtualBoard

    return VirtualBoard(profile=profile, kit=kit, seed=seed, firmware=firmware)
