"""bench/grid_bench.py: the import-target line follows the measurement, and a rewrite of the
Grid section keeps its hand-written notes and the other sections."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _bench():
    sys.path.insert(0, str(BENCH))
    try:
        return importlib.import_module("grid_bench")
    finally:
        sys.path.remove(str(BENCH))


def test_import_status_is_computed_from_the_figures():
    gb = _bench()
    assert "**met** — 20.5 s and 310 MB" in gb.import_status(20.5, 310.0)
    assert "**not met**" in gb.import_status(43.3, 310.0)
    assert "**not met**" in gb.import_status(20.5, 697.0)
    assert "**not met**" in gb.import_status(30.0, 100.0)  # the targets are strict bounds


def test_rewriting_the_section_keeps_its_notes_and_the_other_sections(tmp_path):
    gb = _bench()
    md = tmp_path / "BENCHMARKS.md"
    notes = f"{gb.NOTES_MARK}\n\n- 手写说明：PostGIS 未安装。\n- second note"
    md.write_text(
        f"# Benchmarks\n\n## Routing\n\nr\n\n## Grid\n\nold figures\n\n{notes}\n\n## Dispatch intake\n\nd\n",
        encoding="utf-8",
    )
    gb.write_section("## Grid\n\nnew figures\n" + gb.import_status(21.0, 300.0) + "\n", md)
    doc = md.read_text(encoding="utf-8")
    assert "old figures" not in doc and "new figures" in doc and "**met**" in doc
    assert notes in doc
    assert doc.index("new figures") < doc.index(gb.NOTES_MARK) < doc.index("## Dispatch intake")
    assert "## Routing\n\nr\n" in doc and doc.endswith("## Dispatch intake\n\nd\n")
    gb.write_section("## Grid\n\nnewer\n", md)  # a second rewrite keeps them once, not twice
    assert md.read_text(encoding="utf-8").count(gb.NOTES_MARK) == 1
