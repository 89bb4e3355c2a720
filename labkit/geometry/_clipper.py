"""Loops to and from pyclipper's integer coordinates (1 unit = 10 nm)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SCALE = 1e5


def to_clipper(rings: Sequence[np.ndarray]) -> list[list[list[int]]]:
    """Closed (n, 2) mm loops as open integer paths, dropping loops of fewer than three points.

    Plain lists: pyclipper reads them several times faster than NumPy arrays.
    """
    return [np.round(r[:-1] * SCALE).astype(np.int64).tolist() for r in rings if len(r) >= 4]


def from_clipper(paths: Sequence, closed: bool) -> list[np.ndarray]:
    """pyclipper paths as (n, 2) mm arrays, repeating the first point when ``closed``."""
    out = []
    for p in paths:
        a = np.asarray(p, np.float64) / SCALE
        out.append(np.vstack([a, a[:1]]) if closed else a)
    return out
