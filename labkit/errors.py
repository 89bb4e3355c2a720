"""Every error labkit raises, in one tree.

Catch ``LabkitError`` to catch them all. Errors about a value the caller gave
(a pin, a layer height, a mesh file) also derive from ``ValueError``, and
errors about a file that is not there from ``FileNotFoundError``, so the
builtin ``except`` clauses work too::

    LabkitError
    ├── ProfileError (ValueError)          a board or kit profile is broken or unknown
    ├── HardwareError
    │   ├── BoardNotFoundError             no board answered where we looked
    │   ├── NotFirmataError                the port answered, but not as Firmata
    │   ├── ConnectionLostError            the board went away mid-stream
    │   ├── BoardClosedError               the board (or device) was used after close()
    │   ├── PinError (ValueError)
    │   │   ├── PinInvalidError            the board has no such pin
    │   │   ├── PinInUseError              another device holds the pin
    │   │   └── PinModeError               the pin cannot do that (PWM, analog, servo...)
    │   ├── ValueRangeError (ValueError)   a value outside what the device accepts
    │   └── BadCallbackError (TypeError)   a callback that cannot be called as the event calls it
    ├── SimulationError                    the virtual board or simulated AVR failed
    │   └── ToolMissingError               a needed program (simavr, avr-gcc) is absent
    ├── SketchError
    │   └── SketchBuildError               the compiler rejected a sketch
    ├── GeometryError
    │   ├── MeshLoadError (ValueError)     a model file is missing, empty or broken
    │   └── SliceSettingsError (ValueError) a layer height, nozzle... that cannot work
    ├── GradingError
    │   ├── AssignmentError (ValueError)   an instructor notebook is malformed
    │   └── SubmissionError (ValueError)   a student file is not a usable notebook
    └── WidgetError (ValueError)           a widget asked to show what it cannot (9 channels...)

>>> from labkit import LabkitError
>>> from labkit.errors import PinInvalidError
>>> issubclass(PinInvalidError, (LabkitError, ValueError))
True
"""

from __future__ import annotations

__all__ = [
    "AssignmentError",
    "BadCallbackError",
    "BoardClosedError",
    "BoardNotFoundError",
    "ConnectionLostError",
    "GeometryError",
    "GradingError",
    "HardwareError",
    "LabkitError",
    "MeshLoadError",
    "NotFirmataError",
    "PinError",
    "PinInUseError",
    "PinInvalidError",
    "PinModeError",
    "ProfileError",
    "SimulationError",
    "SketchBuildError",
    "SketchError",
    "SliceSettingsError",
    "SubmissionError",
    "ToolMissingError",
    "ValueRangeError",
    "WidgetError",
]


class LabkitError(Exception):
    """The root of every error labkit raises."""


class ProfileError(LabkitError, ValueError):
    """A board or kit profile is unknown or broken; the message names the file and field."""


class HardwareError(LabkitError):
    """Something went wrong talking to a board."""


class BoardNotFoundError(HardwareError):
    """No board was found; the message lists the ports that were seen."""


class NotFirmataError(HardwareError):
    """The port answered, but not as a Firmata board; the message says what was seen."""


class ConnectionLostError(HardwareError):
    """The board stopped answering or the cable was pulled."""


class BoardClosedError(HardwareError):
    """A board or device was used after it was closed."""


class PinError(HardwareError, ValueError):
    """A pin that cannot be used as asked."""


class PinInvalidError(PinError):
    """The board has no such pin; the message lists the pins it has."""


class PinInUseError(PinError):
    """Another device already holds the pin; the message names it."""


class PinModeError(PinError):
    """The pin cannot work in that mode (for example PWM on a pin without it)."""


class ValueRangeError(HardwareError, ValueError):
    """A value outside the range the device accepts."""


class BadCallbackError(HardwareError, TypeError):
    """A callback (``when_pressed = fn``) that is not a function taking no argument or one."""


class SimulationError(LabkitError):
    """The virtual board or the simulated microcontroller failed."""


class ToolMissingError(SimulationError):
    """A program labkit needs (simavr, avr-gcc...) is not installed."""


class SketchError(LabkitError):
    """An Arduino sketch could not be built or run."""


class SketchBuildError(SketchError):
    """The compiler rejected a sketch; the message holds the compiler's own words."""


class GeometryError(LabkitError):
    """A model could not be loaded, sliced or planned."""


class MeshLoadError(GeometryError, ValueError):
    """A model file is missing, empty, truncated or not a mesh."""


class SliceSettingsError(GeometryError, ValueError):
    """A slicing setting that cannot work (layer height <= 0, larger than the part...)."""


class GradingError(LabkitError):
    """An assignment or submission could not be graded."""


class AssignmentError(GradingError, ValueError):
    """An instructor's assignment notebook is malformed."""


class SubmissionError(GradingError, ValueError):
    """A student's submission is not a usable notebook."""


class WidgetError(LabkitError, ValueError):
    """A widget was asked to show something it cannot (too many channels, an empty stack...)."""
