"""Serial ports: which there are, which one is an Arduino, and what answers as Firmata.

A board is recognised by its USB VID:PID, from the ``usb_ids`` of the board
profiles (Arduino's own, and the CH340, FTDI and CP210x bridges of clones).

>>> ports = list_ports()           # doctest: +SKIP
>>> [(p.device, p.usb_id) for p in ports]   # doctest: +SKIP
[('/dev/ttyACM0', '2341:0043')]
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass

from serial.tools import list_ports as pyserial_ports

from labkit.errors import BoardNotFoundError, HardwareError, NotFirmataError
from labkit.hardware._link import FirmataLink, FirmwareInfo
from labkit.profiles import load_board, profiles_dir

__all__ = ["ProbeResult", "SerialPort", "find_board", "list_ports", "probe", "probe_all", "usb_ids"]


@dataclass(frozen=True)
class SerialPort:
    """A serial port the system lists: its path, USB id (``"2341:0043"``) and description."""

    device: str
    usb_id: str | None
    description: str


def list_ports() -> list[SerialPort]:
    """The serial ports pyserial sees, sorted by path."""
    ports = []
    for info in pyserial_ports.comports():
        usb_id = f"{info.vid:04X}:{info.pid:04X}" if info.vid is not None and info.pid is not None else None
        description = info.description if info.description and info.description != "n/a" else ""
        ports.append(SerialPort(info.device, usb_id, description))
    return sorted(ports, key=lambda p: p.device)


def usb_ids() -> dict[str, list[str]]:
    """Every USB id a board profile lists, with the profiles listing it."""
    known: dict[str, list[str]] = {}
    for path in sorted((profiles_dir() / "boards").glob("*.toml")):
        profile = load_board(path)
        for usb_id in profile.usb_ids:
            known.setdefault(usb_id, []).append(profile.name)
    return known


def find_board(ports: list[SerialPort] | None = None) -> tuple[str, str | None]:
    """The first port whose USB id belongs to a board; returns (path, profile name or None).

    The profile is None when the id is a USB bridge several boards use (CH340...).
    Raises ``BoardNotFoundError`` listing the ports seen and what to check.
    """
    ports = list_ports() if ports is None else ports
    known = usb_ids()
    for port in ports:
        if port.usb_id in known:
            names = known[port.usb_id]
            return port.device, names[0] if len(names) == 1 else None
    seen = "; ".join(f"{p.device} ({p.usb_id or 'no USB id'}{', ' + p.description if p.description else ''})" for p in ports)
    raise BoardNotFoundError(
        f"no Arduino found on USB (ports seen: {seen or 'none'}). Check that the USB cable "
        "carries data (some only charge) and the board's power light is on; on Linux, that you "
        "are in the 'dialout' group. Or name the port: Board.connect('/dev/ttyACM0'), or use "
        "the virtual board: Board.connect('sim') (or set LABKIT_BOARD=sim)"
    )


@dataclass(frozen=True)
class ProbeResult:
    """What probing a port found: its firmware, or in a few words why there is none."""

    port: str
    firmware: FirmwareInfo | None
    problem: str | None


def probe(port: str, timeout: float = 3.0, baud: int = 57600) -> ProbeResult:
    """Open ``port``, wait up to ``timeout`` s for a Firmata report, and close it again.

    Opening a real Uno resets it (as the Arduino IDE's serial monitor does).
    """
    try:
        link = FirmataLink(port, baud=baud)
    except BoardNotFoundError:
        return ProbeResult(port, None, "no such port")
    except HardwareError as exc:
        return ProbeResult(port, None, str(exc))
    try:
        return ProbeResult(port, link.handshake(timeout), None)
    except NotFirmataError:
        return ProbeResult(port, None, f"no Firmata answer in {timeout:g} s; it sent {link.describe_seen()}")
    except HardwareError as exc:
        return ProbeResult(port, None, str(exc))
    finally:
        link.close()


def probe_all(ports: list[str], timeout: float = 3.0) -> list[ProbeResult]:
    """``probe`` every port at once (a real Uno takes about 2 s to answer)."""
    if not ports:
        return []
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(ports))) as pool:
        return list(pool.map(lambda port: probe(port, timeout), ports))
