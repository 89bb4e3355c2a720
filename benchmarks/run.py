"""Run labkit's benchmarks beside its peers and rewrite BENCHMARKS.md.

Each ``benchmarks/bench_<area>.py`` defines ``run() -> str``: it measures in
one process run, labkit and its peers side by side, and returns a Markdown
section (medians and ratios). Its section is kept in
``benchmarks/results/<area>.md``, so ``make bench ONLY=geometry`` re-measures
one area and BENCHMARKS.md is rebuilt from every area's latest section.

    python benchmarks/run.py              # every area
    python benchmarks/run.py geometry     # one area
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
OUTPUT = HERE.parent / "BENCHMARKS.md"


def areas() -> dict[str, Path]:
    """Every benchmark module, by area name."""
    return {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}


def run_area(name: str, path: Path) -> str:
    """Import one benchmark module and return its Markdown section."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stamp = f"_Measured {dt.date.today()} on {platform.node() or 'this machine'}: {os.cpu_count()} cores, Python {platform.python_version()}._"
    return f"{module.run().rstrip()}\n\n{stamp}\n"


def main(selected: list[str]) -> int:
    """Run the selected areas (all when none) and rebuild BENCHMARKS.md."""
    known = areas()
    unknown = [s for s in selected if s not in known]
    if unknown:
        print(f"unknown benchmark area(s) {unknown}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    RESULTS.mkdir(exist_ok=True)
    for name in selected or list(known):
        print(f"== {name}", flush=True)
        section = run_area(name, known[name])
        (RESULTS / f"{name}.md").write_text(section)
        print(section, flush=True)
    sections = [(RESULTS / f"{n}.md").read_text() for n in known if (RESULTS / f"{n}.md").is_file()]
    header = (
        "# labkit benchmarks\n\n"
        "Written by `make bench` (`benchmarks/run.py`); do not edit by hand. Each area measures\n"
        "labkit and its peers side by side in one run. The machines are shared and noisy\n"
        "(2 cores), so figures are medians of repeated runs and the ratios matter more than\n"
        "the seconds. `make bench ONLY=<area>` re-measures one area.\n\n"
    )
    OUTPUT.write_text(header + "\n".join(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
