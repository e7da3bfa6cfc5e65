"""Writing one benchmark's section of BENCHMARKS.md, shared by every bench/*_bench.py."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def write_section(heading: str, text: str, path: Path | None = None) -> None:
    """Replace the `## {heading}` section of BENCHMARKS.md with `text` (or append it)."""
    path = path or ROOT / "BENCHMARKS.md"
    doc = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start = doc.find(f"\n## {heading}\n")
    if start < 0:
        doc = doc.rstrip("\n") + "\n\n" + text
    else:
        nxt = doc.find("\n## ", start + 1)
        doc = doc[: start + 1] + text + (doc[nxt:] if nxt >= 0 else "")
    if not doc.endswith("\n"):
        doc += "\n"
    path.write_text(doc, encoding="utf-8")
    print(f"updated {path}")
