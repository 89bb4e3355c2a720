"""The authoring format is documented where instructors look (examples run in tests/test_docstring_examples.py)."""

from __future__ import annotations

import labkit.grading


def test_the_authoring_format_is_documented() -> None:
    doc = labkit.grading.__doc__ or ""
    for word in ("``solution``", "``check``", "``hidden``", '"points"', '"hint"', "sanitize", "LABKIT_BOARD=sim", "stub"):
        assert word in doc, word
    assert set(labkit.grading.__all__) <= set(dir(labkit.grading)) | set(labkit.grading._HOMES)
    for name in labkit.grading.__all__:
        assert getattr(labkit.grading, name) is not None
