"""Genuine firmware on a simulated ATmega328P (simavr), behind the virtual board's interface.

``VirtualBoard(firmware="StandardFirmata")`` runs a genuine, prebuilt
StandardFirmata (2.4, the build npm's ``avrgirl-arduino`` flashes, fetched
once) on simavr, with the kit's world wired to the simulated pins;
``firmware="blink.hex"`` runs any sketch. How it differs from the Python
emulation is listed in ``tests/firmware/test_conformance.py``. ``labkit.sketch`` compiles and runs students' own sketches.

Needs Debian's ``simavr libsimavr-dev libelf-dev`` (the bridge is compiled on
first use) and, for sketches, ``gcc-avr avr-libc arduino-core-avr``; a
missing one raises :class:`~labkit.errors.ToolMissingError` naming it.
:func:`prepare` does all of it ahead (``make firmware``, part of ``make test``).

>>> from labkit.sim import VirtualBoard
>>> with VirtualBoard(firmware="StandardFirmata") as vb:   # doctest: +SKIP
...     vb.pin(13).mode
'output'
"""

from labkit.sim.avr._backend import FirmwareBackend, firmware_file
from labkit.sim.avr._setup import prepare

__all__ = ["FirmwareBackend", "firmware_file", "prepare"]
