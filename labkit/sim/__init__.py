"""The virtual board: the device side of Firmata on a pty, and the simulated world around it.

>>> from labkit.sim import VirtualBoard
>>> with VirtualBoard(profile="uno", kit="starter", seed=0) as vb:
...     vb.world.temperature_c = 30.0
...     vb.pin("A1").mode
'analog'
"""

from labkit.sim.board import TRACE_DTYPE, VirtualBoard
from labkit.sim.firmware import PinState
from labkit.sim.world import World

__all__ = ["TRACE_DTYPE", "PinState", "VirtualBoard", "World"]
