"""`labkit slice`: summary, --json as in DESIGN.md, --png, --gcode; one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import shared_mesh


def labkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "labkit", *args], capture_output=True, text=True, timeout=300)


def test_slice_writes_summary_json_png_and_gcode(tmp_path: Path) -> None:
    out = tmp_path / "cube"
    result = labkit(
        "slice", str(shared_mesh("20mm-xyz-cube.stl")), "--layer-height", "0.25",
        "--json", f"{out}.json", "--png", f"{out}.png", "--gcode", f"{out}.gcode",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines() if line.strip() and not line.startswith(" "))
    assert lines["triangles"] == "260" and lines["layers"].startswith("80 x 0.25 mm")
    summary = json.loads(Path(f"{out}.json").read_text())
    assert list(summary) == [
        "model", "triangles", "layer_height", "slice_seconds", "filament_mm", "print_time_s", "layers",
    ]  # fmt: skip
    assert summary["model"] == "20mm-xyz-cube.stl" and summary["triangles"] == 260
    assert summary["layer_height"] == 0.25 and len(summary["layers"]) == 80
    assert list(summary["layers"][40]) == ["z", "loops", "area_mm2", "perimeter_mm"]
    assert summary["layers"][40]["loops"] >= 1 and 300 < summary["layers"][40]["area_mm2"] <= 400
    assert summary["filament_mm"] > 1000 and summary["print_time_s"] > 60
    assert Path(f"{out}.png").read_bytes()[:4] == b"\x89PNG"
    assert Path(f"{out}.gcode").read_text().count(";LAYER:") == 80


def test_open_mesh_warnings_are_listed_in_the_summary(tmp_path: Path) -> None:
    result = labkit("slice", str(shared_mesh("bunny_trimesh_decimated.ply")), "--units", "m", "--layer-height", "1")
    assert result.returncode == 0, result.stderr
    assert "not watertight" in result.stdout and "Warning" not in result.stderr


@pytest.mark.parametrize(
    "args,message",
    [
        (["missing.stl"], "missing.stl: no such file"),
        (["{cube}", "--layer-height", "0"], "layer height must be a positive number"),
        (["{cube}", "--layer-height", "50"], "taller than the part"),
        (["{empty}"], "is empty"),
    ],
)
def test_mistakes_are_one_line_on_stderr(tmp_path: Path, args: list[str], message: str) -> None:
    empty = tmp_path / "empty.stl"
    empty.write_bytes(b"")
    cube = str(shared_mesh("20mm-xyz-cube.stl"))
    result = labkit("slice", *[a.format(cube=cube, empty=empty) for a in args])
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("labkit: error: ")
    assert message in result.stderr


def test_the_slice_command_module_loads_without_the_heavy_libraries() -> None:
    code = "import sys, labkit.geometry.cli; print(sorted({'numba', 'trimesh', 'matplotlib'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr


def test_the_slice_command_skips_numbas_blas_probe_and_reports_what_the_library_plans(tmp_path: Path) -> None:
    cube = str(shared_mesh("20mm-xyz-cube.stl"))
    code = (
        "import sys, json; from labkit.cli import main; "
        f"main(['slice', {cube!r}, '--json', {str(tmp_path / 'cli.json')!r}]); "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('scipy.linalg'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []
    from labkit.geometry import plan_toolpaths, slice_mesh

    in_process = plan_toolpaths(slice_mesh(cube, 0.2))
    summary = json.loads((tmp_path / "cli.json").read_text())
    assert summary["filament_mm"] == round(in_process.filament_mm, 3)
    assert summary["print_time_s"] == round(in_process.print_time_s, 1)
