"""The virtual board: the device side of Firmata on a pty, and the simulated world around it.

:class:`VirtualBoard` is an Arduino that any Firmata client can open (labkit's
``Board``, plain pyfirmata2, ...): StandardFirmata 2.5 emulated in Python
(``firmware=None``) or the genuine firmware on a simulated AVR
(``firmware="StandardFirmata"``). Its :class:`World` holds what the kit's
sensors see (light, temperature, a knob, buttons, motion) and what its
outputs do (LEDs, PWM, a slewing servo). The pieces, one module each:

- ``labkit.sim.board``: :class:`VirtualBoard`, its device thread and wire pacing;
- ``labkit.sim.world``: :class:`World`, the physics, independent of Firmata;
- ``labkit.sim.firmware``: what StandardFirmata does with each message;
- ``labkit.sim.firmata``: the protocol's constants, parser and encoders;
- ``labkit.sim.transport``: the pseudo-terminal standing in for the USB cable.

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
