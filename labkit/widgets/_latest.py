"""One live widget per thing shown: re-running a notebook cell replaces, never piles up.

A Scope keeps drawing, and a BoardPanel keeps refreshing, until stopped; a
cell run twice would leave the first one working unseen. So the widget made
last for a device (or a board) closes the one before it.

>>> class Shown:
...     closed = False
...     def close(self):
...         self.closed = True
>>> latest = LatestPerKey()
>>> first, second = Shown(), Shown()
>>> latest.claim(["light"], first)
>>> latest.claim(["light"], second)
>>> first.closed, second.closed
(True, False)
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any, Protocol


class Closable(Protocol):
    def close(self) -> None: ...


class LatestPerKey:
    """The widget made last for each key; ``claim`` closes the one it replaces."""

    def __init__(self) -> None:
        self._by_key: weakref.WeakValueDictionary[Any, Closable] = weakref.WeakValueDictionary()

    def claim(self, keys: Iterable[Any], widget: Closable) -> None:
        """Record ``widget`` for ``keys``, closing whatever was recorded for any of them."""
        keys = list(keys)
        for key in keys:
            previous = self._by_key.get(key)
            if previous is not None and previous is not widget:
                previous.close()
        for key in keys:
            self._by_key[key] = widget
