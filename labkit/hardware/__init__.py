"""Firmata boards and the devices on them: LEDs, buttons, sensors, servos.

``Board.connect()`` opens a board (``"sim"`` for the virtual one); its methods
make devices, gpiozero-style:

>>> from labkit.hardware import Board
>>> with Board.connect("sim") as board:
...     board.led(13).blink(on_time=0.05, off_time=0.05, n=2, background=False)
...     board.sim.world.light = 0.8
...     0.0 <= board.light_sensor("A0").value <= 1.0
True
"""

from labkit.hardware._device import Device
from labkit.hardware._events import CallbackWarning
from labkit.hardware._inputs import (
    AnalogSensor,
    Button,
    DigitalInputDevice,
    LightSensor,
    MotionSensor,
    Potentiometer,
    TemperatureSensor,
)
from labkit.hardware._link import FirmwareInfo
from labkit.hardware._outputs import LED, PWMLED, RGBLED, Buzzer, Servo
from labkit.hardware.board import Board

__all__ = [
    "LED",
    "PWMLED",
    "RGBLED",
    "AnalogSensor",
    "Board",
    "Button",
    "Buzzer",
    "CallbackWarning",
    "Device",
    "DigitalInputDevice",
    "FirmwareInfo",
    "LightSensor",
    "MotionSensor",
    "Potentiometer",
    "Servo",
    "TemperatureSensor",
]
