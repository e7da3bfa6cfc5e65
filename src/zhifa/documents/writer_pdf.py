"""PDF writer: a `content.Document` to PDF bytes with reportlab, the Chinese font embedded.

The font is the vendored WenQuanYi Micro Hei (fonts/README.txt): reportlab embeds the subset of
the glyphs used, with a ToUnicode map, so the text can be searched and extracted; nothing is read
from the system or the network. The font has no bold face: bold lines are drawn with the
"fill then stroke" text render mode. Page: A4 with the margins of GB/T 9704.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Table,
    TableStyle,
)
from reportlab.platypus import Spacer as RLSpacer

from zhifa.documents.content import (
    Cell,
    DataTable,
    Document,
    FormTable,
    Heading,
    Para,
    Signature,
    SignLines,
    Spacer,
)

FONT_NAME = "ZhifaWQYMicroHei"
FONT_PATH = Path(__file__).resolve().parent / "fonts" / "wqy-microhei.ttf"

BODY = 14  # 四号
LEADING = 25
SMALL = 10.5  # 五号
TABLE = 12  # 小四
MARGINS = {"topMargin": 37 * mm, "bottomMargin": 35 * mm, "leftMargin": 28 * mm, "rightMargin": 26 * mm}
ALIGN = {"justify": TA_JUSTIFY, "left": TA_LEFT, "center": TA_CENTER, "right": TA_RIGHT}


def register_font() -> str:
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        if not FONT_PATH.exists():
            raise FileNotFoundError(f"缺少文书字体文件：{FONT_PATH}")
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH)))
    return FONT_NAME


def _style(name: str, size: float = BODY, leading: float | None = None, **kw) -> ParagraphStyle:
    return ParagraphStyle(
        name,
        fontName=FONT_NAME,
        fontSize=size,
        leading=leading or size * 1.6,
        wordWrap="CJK",
        **kw,
    )


class BoldParagraph(Paragraph):
    """A paragraph drawn with text render mode 2 (fill, then stroke): a bold look from a regular face."""

    def draw(self):
        c = self.canv
        c.saveState()
        c.setLineWidth(self.style.fontSize * 0.035)
        c.setStrokeColor(self.style.textColor)
        c._code.append("2 Tr")
        super().draw()
        c._code.append("0 Tr")
        c.restoreState()


class MinHeight(Flowable):
    """Wraps a flowable so that it takes at least `height` points (space for handwriting)."""

    def __init__(self, inner: Flowable, height: float):
        super().__init__()
        self.inner = inner
        self.min_height = height

    def wrap(self, aw, ah):
        w, h = self.inner.wrap(aw, ah)
        self._inner_h = h
        return w, max(h, self.min_height)

    def draw(self):
        self.inner.drawOn(self.canv, 0, self._height_offset())

    def _height_offset(self):
        return max(self.min_height - self._inner_h, 0)


def _markup(text: str) -> str:
    # Runs of spaces are room left for handwriting (签名、日期): keep them, as the DOCX does.
    spaced = re.sub(r" {2,}", lambda m: "&nbsp;" * len(m.group()), escape(text or ""))
    return spaced.replace("\n", "<br/>")


class _Writer:
    def __init__(self, doc: Document, width: float):
        self.doc = doc
        self.width = width
        self.body = _style("body", BODY, LEADING, alignment=TA_JUSTIFY)
        self.cell = _style("cell", TABLE, TABLE * 1.5, alignment=TA_LEFT)

    def para(self, b: Para) -> Flowable:
        size = SMALL if b.small else BODY
        style = _style(
            "p",
            size,
            LEADING if not b.small else SMALL * 1.6,
            alignment=ALIGN.get(b.align, TA_JUSTIFY),
            firstLineIndent=2 * size if b.indent else 0,
        )
        cls = BoldParagraph if b.bold else Paragraph
        return cls(_markup(b.label + b.text), style)

    def cell_flowable(self, c: Cell, style: ParagraphStyle) -> Flowable:
        if c.label:
            p = BoldParagraph(_markup(c.text), _style("lab", TABLE, TABLE * 1.4, alignment=TA_CENTER))
        else:
            p = Paragraph(
                _markup(c.text), _style("c", TABLE, TABLE * 1.5, alignment=ALIGN.get(c.align, TA_LEFT))
            )
        if c.min_lines > 1:
            return MinHeight(p, c.min_lines * TABLE * 1.5)
        return p

    def form(self, b: FormTable) -> Flowable:
        total = sum(b.widths)
        widths = [self.width * w / total for w in b.widths]
        n = len(widths)
        data, spans = [], []
        for r, row in enumerate(b.rows):
            line, col = [], 0
            for c in row:
                line.append(self.cell_flowable(c, self.cell))
                if c.span > 1:
                    spans.append(("SPAN", (col, r), (col + c.span - 1, r)))
                    line.extend("" for _ in range(c.span - 1))
                col += c.span
            line.extend("" for _ in range(n - len(line)))
            data.append(line)
        t = Table(data, colWidths=widths)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.8, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 4),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                    *spans,
                ]
            )
        )
        return t

    def data_table(self, b: DataTable) -> Flowable:
        total = sum(b.widths)
        widths = [self.width * w / total for w in b.widths]
        head = [
            BoldParagraph(_markup(h), _style("th", TABLE, TABLE * 1.4, alignment=TA_CENTER))
            for h in b.headers
        ]
        rows = [
            [Paragraph(_markup(x), _style("td", TABLE, TABLE * 1.4, alignment=TA_CENTER)) for x in row]
            for row in b.rows
        ]
        t = Table([head, *rows], colWidths=widths, repeatRows=1, minRowHeights=[TABLE * 2] * (1 + len(rows)))
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.8, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        return t

    def signature(self, b: Signature) -> Flowable:
        style = _style("sig", BODY, LEADING, alignment=TA_CENTER)
        agency = b.agency + ("（印章）" if b.seal else "")
        block = Table(
            [["", Paragraph(_markup(agency), style)], ["", Paragraph(_markup(b.date), style)]],
            colWidths=[self.width - 78 * mm, 78 * mm],
        )
        block.setStyle(
            TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)])
        )
        return KeepTogether([RLSpacer(1, LEADING), block])

    def flowables(self) -> list[Flowable]:
        d = self.doc
        out: list[Flowable] = [
            Paragraph(_markup(d.agency), _style("agency", 18, 28, alignment=TA_CENTER)),
            BoldParagraph(_markup(d.title), _style("title", 22, 34, alignment=TA_CENTER, spaceBefore=2)),
        ]
        if d.doc_no:
            out.append(Paragraph(_markup(d.doc_no), _style("docno", BODY, LEADING, alignment=TA_RIGHT)))
        out.append(RLSpacer(1, 8))
        if d.addressee:
            out.append(Paragraph(_markup(d.addressee), _style("to", BODY, LEADING, alignment=TA_LEFT)))
        for b in d.blocks:
            if isinstance(b, Para):
                out.append(self.para(b))
            elif isinstance(b, Heading):
                out.append(BoldParagraph(_markup(b.text), _style("h", BODY, LEADING, spaceBefore=4)))
            elif isinstance(b, FormTable):
                out.append(self.form(b))
            elif isinstance(b, DataTable):
                out.append(self.data_table(b))
            elif isinstance(b, Signature):
                out.append(self.signature(b))
            elif isinstance(b, SignLines):
                out.append(RLSpacer(1, 6))
                out.extend(
                    Paragraph(_markup(line), _style("sl", BODY, LEADING * 1.3, alignment=TA_LEFT))
                    for line in b.lines
                )
            elif isinstance(b, Spacer):
                out.append(RLSpacer(1, LEADING * b.lines))
            else:  # pragma: no cover - a new block type without a writer
                raise TypeError(f"unknown block {type(b).__name__}")
        if d.footer:
            out.append(RLSpacer(1, 10))
            out.append(Paragraph(_markup(d.footer), _style("foot", SMALL, SMALL * 1.6, alignment=TA_LEFT)))
        return out


def _page_number(canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont(FONT_NAME, SMALL)
    canvas.drawCentredString(A4[0] / 2, 20 * mm, f"— {canvas.getPageNumber()} —")
    canvas.restoreState()


def write_pdf(doc: Document) -> bytes:
    """The PDF of `doc` (A4, embedded subset of the vendored font). Deterministic for one input."""
    register_font()
    buf = io.BytesIO()
    template = SimpleDocTemplate(
        buf,
        pagesize=A4,
        title=doc.title,
        author=doc.agency,
        subject=doc.doc_no,
        creator="zhifa",
        invariant=True,
        **MARGINS,
    )
    writer = _Writer(doc, template.width)
    template.build(writer.flowables(), onFirstPage=_page_number, onLaterPages=_page_number)
    return buf.getvalue()
