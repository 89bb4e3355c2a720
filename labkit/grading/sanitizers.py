"""The nbval sanitizer patterns labkit adds, so numbers that vary in the last digits compare equal.

nbval applies each ``(regex, replacement)`` with ``re.sub`` to the expected
and to the actual output of a check before comparing them. labkit's patterns,
in order:

=====================  ==========================================  ===================
pattern                what it does                                example
=====================  ==========================================  ===================
float noise            drops digits after a run of 5+ zeros         ``0.30000000000000004`` -> ``0.3``
float nines (x 9)      rounds up a run of 5+ nines after a digit   ``0.2999999999999998`` -> ``0.3``
integer nines (x 9)    the same when the nines start the decimals  ``2.9999999999999996`` -> ``3.0``
memory address         hides addresses in reprs                     ``<Foo at 0x7f3a2c>`` -> ``<Foo at 0xADDRESS>``
=====================  ==========================================  ===================

So ``0.1 + 0.2`` and ``0.3`` print alike, but ``3.14159`` and ``3.14160`` do
not: a check about a measured or computed value should print it rounded
(``print(f"{area:.2f}")``), which is the reliable way. An assignment adds its
own patterns in its notebook metadata; they run after labkit's::

    {"labkit": {"sanitize": [{"regex": "took \\\\d+ ms", "replace": "took N ms"}]}}

>>> import re
>>> text = "0.30000000000000004 2.9999999999999996 0.2999999999999998"
>>> for regex, replace in SANITIZERS:
...     text = re.sub(regex, replace, text)
>>> text
'0.3 3.0 0.3'
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = ["SANITIZERS", "write_sanitizer_file"]

_DIGIT_UP = [(str(d), str(d + 1)) for d in range(9)]

SANITIZERS: tuple[tuple[str, str], ...] = (
    (r"(\d\.\d+?)0{5,}\d{1,3}\b", r"\g<1>"),
    *((rf"(\d\.\d*?){d}9{{5,}}\d{{0,3}}\b", rf"\g<1>{up}") for d, up in _DIGIT_UP),
    *((rf"(?<![\d.])(\d*?){d}\.9{{5,}}\d{{0,3}}\b", rf"\g<1>{up}.0") for d, up in _DIGIT_UP),
    (r"\b0x[0-9a-fA-F]{6,}\b", "0xADDRESS"),
)


def write_sanitizer_file(path: Path, extra: Iterable[tuple[str, str]] = ()) -> Path:
    """Write labkit's patterns, then ``extra``, in nbval's ``--nbval-sanitize-with`` format.

    >>> import tempfile, pathlib
    >>> f = write_sanitizer_file(pathlib.Path(tempfile.mkdtemp()) / "s.cfg")
    >>> f.read_text().startswith("[regex1]")
    True
    """
    blocks = [
        f"[regex{n}]\nregex: {regex}\nreplace: {replace}\n"
        for n, (regex, replace) in enumerate((*SANITIZERS, *extra), start=1)
    ]
    path.write_text("\n".join(blocks))
    return path
