"""Genuine firmware on a simulated ATmega328P (simavr), behind the virtual board's interface.

``VirtualBoard(firmware="StandardFirmata")`` runs the StandardFirmata build
that students upload (fetched once from npm's ``avrgirl-arduino``) on simavr,
with the kit's world wired to the simulated pins; ``firmware="blink.hex"``
runs any sketch. ``labkit.sketch`` compiles and runs students' own sketches.

Needs Debian's ``simavr libsimavr-dev libelf-dev`` (the bridge is compiled on
first use) and, for sketches, ``gcc-avr avr-libc arduino-core-avr``; a
missing one raises :class:`~labkit.errors.ToolMissingError` naming it.
``python -m labkit.sim.avr`` prepares everything ahead (``make test`` does).

>>> from labkit.sim import VirtualBoard
>>> with VirtualBoard(firmware="StandardFirmata") as vb:   # doctest: +SKIP
...     vb.pin(13).mode
'output'
"""

from labkit.sim.avr._backend import FirmwareBackend, firmware_file
from labkit.sim.avr._setup import prepare

__all__ = ["FirmwareBackend", "firmware_file", "prepare"]
