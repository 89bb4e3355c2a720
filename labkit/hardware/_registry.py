"""The boards open in this process, by port: one per port, all closed at exit.

Re-running a notebook cell that connects to a port closes the board the last
run left open there, instead of failing because the port is busy.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import TYPE_CHECKING

from labkit.errors import BoardNotFoundError, HardwareError

if TYPE_CHECKING:
    from labkit.hardware.board import Board

__all__ = ["default_board", "forget", "open_boards", "port_key", "remember", "take"]

_lock = threading.Lock()
_boards: dict[str, Board] = {}


def port_key(port: str) -> str:
    """The same key for every name of one port (``/dev/arduino`` -> ``/dev/ttyACM0``)."""
    return os.path.realpath(port)


def take(port: str) -> Board | None:
    """Remove and return the board open on ``port``, if any."""
    with _lock:
        return _boards.pop(port_key(port), None)


def remember(board: Board) -> None:
    """Record ``board`` as the one open on its port."""
    with _lock:
        _boards[port_key(board.port)] = board


def forget(board: Board) -> None:
    """Drop ``board`` from the registry (when it closes)."""
    with _lock:
        key = port_key(board.port)
        if _boards.get(key) is board:
            del _boards[key]


def open_boards() -> list[Board]:
    """Every board open in this process, oldest first."""
    with _lock:
        return list(_boards.values())


def default_board() -> Board:
    """The board a device made without ``board=`` goes on: the one open board."""
    boards = open_boards()
    if len(boards) == 1:
        return boards[0]
    if not boards:
        raise BoardNotFoundError("no board is connected: first run board = Board.connect()")
    ports = ", ".join(b.port for b in boards)
    raise HardwareError(f"{len(boards)} boards are connected ({ports}): say which with board=...")


@atexit.register
def _close_all() -> None:
    for board in reversed(open_boards()):
        board.close()
