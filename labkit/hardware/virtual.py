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

from labkit.errors import ProfileError

if TYPE_CHECKING:
    from labkit.sim import VirtualBoard

__all__ = ["VirtualBoard", "start_virtual_board"]


def start_virtual_board(profile: str, kit: str | None, seed: int) -> VirtualBoard:
    """Start a virtual ``profile`` board wired as ``kit``; the caller closes it."""
    from labkit.sim import VirtualBoard

    if kit is None:
        raise ProfileError(f"the virtual board simulates a kit's parts: name one (kit='starter') for a {profile}")
    return VirtualBoard(profile=profile, kit=kit, seed=seed)
