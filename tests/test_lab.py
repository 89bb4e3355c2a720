"""`labkit lab` gives a student their own copy of the course and serves it in JupyterLab."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat

from labkit.lab import CURRICULUM, prepare_workspace


def _tagged(path: Path, tag: str) -> dict[str, str]:
    notebook = nbformat.read(str(path), as_version=4)
    return {c.id: c.source for c in notebook.cells if tag in c.metadata.get("tags", [])}


def test_the_workspace_holds_student_versions_and_keeps_their_work(tmp_path: Path) -> None:
    written = prepare_workspace(tmp_path)
    weeks = sorted(p.name for p in CURRICULUM.glob("[0-9]*.ipynb"))
    assert sorted(p.name for p in written if p.parent == tmp_path) == weeks
    assert (tmp_path / "demos" / "quickstart.ipynb").is_file()
    for week in weeks:
        instructor = _tagged(CURRICULUM / week, "solution")
        student = _tagged(tmp_path / week, "solution")
        assert student.keys() == instructor.keys()
        assert all(student[i] != instructor[i] for i in instructor), f"{week} gives a solution away"
        assert not _tagged(tmp_path / week, "hidden"), f"{week} shows a hidden check"

    mine = tmp_path / weeks[0]
    mine.write_text(mine.read_text().replace("write your code here", "my own attempt"))
    before = mine.read_bytes()
    assert prepare_workspace(tmp_path) == []
    assert mine.read_bytes() == before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_labkit_lab_serves_the_workspace(tmp_path: Path) -> None:
    port, token = _free_port(), "labkit-test-token"
    env = dict(os.environ, LABKIT_WORKSPACE=str(tmp_path / "course"), JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"))
    server = subprocess.Popen(
        [sys.executable, "-m", "labkit", "lab", "--", "--no-browser", f"--port={port}",
         f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/contents?token={token}"
        deadline = time.monotonic() + 90
        listing = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    listing = json.load(response)
                break
            except OSError:
                time.sleep(0.5)
        assert listing is not None, f"JupyterLab did not answer: {server.stderr.read().decode() if server.poll() is not None else 'still starting'}"
        names = {item["name"] for item in listing["content"]}
        assert "00_lab_notebook.ipynb" in names and "demos" in names
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
