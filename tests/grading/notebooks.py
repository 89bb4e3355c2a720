"""Small instructor notebooks and student submissions, generated for the grading tests."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import nbclient
import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def code(source: str, *tags: str, **labkit: Any) -> NotebookNode:
    """A code cell with tags and ``labkit`` metadata."""
    cell = new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    if labkit:
        cell.metadata["labkit"] = labkit
    return cell


def make_assignment(folder: Path, name: str, cells: list[NotebookNode], **metadata: Any) -> Path:
    """Write an instructor notebook the way an instructor does: run it in a kernel, save it."""
    folder.mkdir(parents=True, exist_ok=True)
    notebook = new_notebook(cells=[new_markdown_cell(f"# {name}"), *cells])
    if metadata:
        notebook.metadata["labkit"] = metadata
    # As in `make lab`: the instructor's kernel runs on the virtual board.
    saved = os.environ.get("LABKIT_BOARD")
    os.environ["LABKIT_BOARD"] = "sim"
    try:
        nbclient.NotebookClient(notebook, timeout=60, resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        if saved is None:
            del os.environ["LABKIT_BOARD"]
        else:
            os.environ["LABKIT_BOARD"] = saved
    path = folder / f"{name}.ipynb"
    nbformat.write(notebook, str(path))
    return path


def answer(assignment: Path, target: Path, sources: dict[int, str | None] | None = None, *,
           drop_checks: bool = False, edit_checks: str | None = None) -> Path:
    """A student's submission: the assignment with its n-th solution cell (from 1) replaced by
    ``sources[n]`` (deleted when None); checks optionally deleted or rewritten."""
    notebook = nbformat.read(str(assignment), as_version=4)
    kept = []
    number = 0
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if "solution" in tags:
            number += 1
            if sources and number in sources:
                if sources[number] is None:
                    continue
                cell.source = sources[number]
        if "check" in tags or "hidden" in tags:
            if drop_checks:
                continue
            if edit_checks is not None:
                cell.source = edit_checks
        kept.append(cell)
    notebook.cells = kept
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(target))
    return target


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def write_json(path: Path, data: Any) -> Path:
    return write_text(path, json.dumps(data))
