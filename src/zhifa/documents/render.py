"""The one document renderer: a plain context dict to DOCX or PDF bytes. Pure: no Django import.

    from zhifa.documents.render import render
    pdf = render("penalty_decision", ctx, "pdf")

`ctx` is described in context.py (build it by hand or with `context_from_casefile`); `kind` is a
code of kinds.py. Both formats come from the same structured content (layouts.py), so the DOCX a
clerk edits in Word says what the PDF says.
"""

from __future__ import annotations

from zhifa.documents import kinds, layouts
from zhifa.documents.context import ContextError

# The writers (python-docx, reportlab and the CJK font) are imported by the first render, not here:
# this module is imported at every process start (the cases app registers its case-file builder
# with documents.services, which imports it), and they cost about 0.2 s that a process that
# renders nothing (`zhifa route`) should not pay.

FORMATS = ("docx", "pdf")
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}

__all__ = ["CONTENT_TYPES", "FORMATS", "ContextError", "render", "render_both", "text"]


def render(kind: str, ctx: dict, fmt: str = "pdf") -> bytes:
    """Document `kind` for `ctx` as `fmt` ("docx" or "pdf"); ContextError if a required field is missing."""
    if fmt not in FORMATS:
        raise ValueError(f"不支持的文书格式“{fmt}”，可用：docx、pdf")
    doc = layouts.build(kind, ctx)
    if fmt == "docx":
        from zhifa.documents.writer_docx import write_docx

        return write_docx(doc)
    from zhifa.documents.writer_pdf import write_pdf

    return write_pdf(doc)


def render_both(kind: str, ctx: dict) -> tuple[bytes, bytes]:
    """(DOCX, PDF) of one document, built from one structured content."""
    from zhifa.documents.writer_docx import write_docx
    from zhifa.documents.writer_pdf import write_pdf

    doc = layouts.build(kind, ctx)
    return write_docx(doc), write_pdf(doc)


def text(kind: str, ctx: dict) -> str:
    """The words of the document, for previews and tests."""
    return layouts.build(kind, ctx).text()


def title(kind: str, ctx: dict | None = None) -> str:
    """The printed title (查封 or 扣押 for the seizure decision)."""
    if kind == "seizure_decision" and ctx is not None:
        return "查封决定书" if ctx.get("measure") == "sealing" else "扣押决定书"
    if kind == "penalty_decision" and ctx is not None and ctx.get("procedure") == "simple":
        return "当场行政处罚决定书"
    return kinds.get(kind).title
