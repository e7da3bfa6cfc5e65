"""DOCX writer: a `content.Document` to a Word file with python-docx, for staff to edit in Word or WPS.

Chinese text only shows in the intended face when each run names an East Asian font (`w:eastAsia`);
python-docx sets only the Latin name, so `_font` writes `w:rFonts` itself. The fonts named are the
ones every Windows and WPS installation has: 仿宋 for the body (GB/T 9704 uses 仿宋_GB2312, which
many machines lack), 黑体 for the agency line, 宋体 bold for the title. Nothing is embedded.
Page: A4 with the margins of GB/T 9704, page number centred in the footer.
"""

from __future__ import annotations

import io
import re

from docx import Document as new_docx
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

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

BODY_FONT = "仿宋"
TITLE_FONT = "宋体"
AGENCY_FONT = "黑体"
LATIN_FONT = "Times New Roman"
BODY = 14  # 四号; the PDF uses the same sizes
SMALL = 10.5
TABLE = 12
LINE = Pt(25)  # fixed line spacing, as in the PDF
ALIGN = {
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
}


def _font(run, east_asia: str = BODY_FONT, size: float = BODY, bold: bool = False) -> None:
    run.font.name = LATIN_FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)


def _paragraph(container, text: str = "", *, align: str = "justify", size: float = BODY, **kw):
    p = container.add_paragraph()
    p.alignment = ALIGN.get(align, WD_ALIGN_PARAGRAPH.JUSTIFY)
    fmt = p.paragraph_format
    fmt.space_before = Pt(kw.pop("space_before", 0))
    fmt.space_after = Pt(0)
    fmt.line_spacing = kw.pop("line_spacing", LINE if size >= BODY else Pt(size * 1.5))
    if kw.pop("indent", False):
        fmt.first_line_indent = Pt(2 * size)
    if text:
        _add_text(p, text, size=size, **kw)
    return p


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _xml_safe(text: str) -> str:
    return _CONTROL.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))


def _add_text(p, text: str, *, size: float = BODY, bold: bool = False, east_asia: str = BODY_FONT) -> None:
    # One run per line so that "\n" becomes a line break Word shows. Input refuses control
    # characters (zhifa.rules.plaintext), but text stored before that, or imported, may hold one;
    # Word cannot, so it shows as "\ufffd" rather than the whole document failing.
    run = None
    for line in _xml_safe(text).split("\n"):
        if run is not None:
            run.add_break()
        run = p.add_run(line)
        _font(run, east_asia, size, bold)


def _page_number(section) -> None:
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, text in (("text", "— "), ("begin", None), ("instr", "PAGE"), ("end", None), ("text", " —")):
        run = p.add_run()
        _font(run, BODY_FONT, SMALL)
        if kind == "text":
            run.text = text
        elif kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._element.append(instr)
        else:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._element.append(fld)


def _borders(table) -> None:
    """Single black borders on every cell edge (the default template's "Table Grid" may be absent)."""
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "6")
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)
    # Word rejects a file whose tblPr children are out of schema order: tblBorders precedes these.
    later = [
        c for c in tbl_pr if c.tag in {qn(f"w:{n}") for n in ("shd", "tblLayout", "tblCellMar", "tblLook")}
    ]
    if later:
        later[0].addprevious(borders)
    else:
        tbl_pr.append(borders)


def _cell_text(cell, c: Cell) -> None:
    p = cell.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER if c.label else ALIGN.get(c.align, WD_ALIGN_PARAGRAPH.LEFT)
    p.paragraph_format.line_spacing = Pt(TABLE * 1.5)
    if c.text:
        _add_text(p, c.text, size=TABLE, bold=c.label)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


class _Writer:
    def __init__(self, doc: Document):
        self.doc = doc
        self.out = new_docx()
        section = self.out.sections[0]
        section.start_type = WD_SECTION.NEW_PAGE
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        self.width = section.page_width - section.left_margin - section.right_margin
        normal = self.out.styles["Normal"]
        normal.font.name = LATIN_FONT
        normal.font.size = Pt(BODY)
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
        _page_number(section)

    def form(self, b: FormTable) -> None:
        n = len(b.widths)
        total = sum(b.widths)
        table = self.out.add_table(rows=len(b.rows), cols=n)
        _borders(table)
        widths = [int(self.width * w / total) for w in b.widths]
        for r, row in enumerate(b.rows):
            col = 0
            lines = 1
            for c in row:
                cell = table.cell(r, col)
                if c.span > 1:
                    cell = cell.merge(table.cell(r, col + c.span - 1))
                _cell_text(cell, c)
                lines = max(lines, c.min_lines)
                col += c.span
            tr = table.rows[r]
            tr.height = Pt(lines * TABLE * 1.5 + 10)
            tr.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        for i, w in enumerate(widths):
            for cell in table.columns[i].cells:
                cell.width = w

    def data_table(self, b: DataTable) -> None:
        table = self.out.add_table(rows=1 + len(b.rows), cols=len(b.headers))
        _borders(table)
        total = sum(b.widths)
        for i, h in enumerate(b.headers):
            _cell_text(table.cell(0, i), Cell(h, label=True))
        for r, row in enumerate(b.rows, 1):
            for i, text in enumerate(row):
                _cell_text(table.cell(r, i), Cell(text, align="center"))
            table.rows[r].height = Pt(TABLE * 2)
            table.rows[r].height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        for i, w in enumerate(b.widths):
            for cell in table.columns[i].cells:
                cell.width = int(self.width * w / total)

    def signature(self, b: Signature) -> None:
        _paragraph(self.out, "")
        agency = b.agency + ("（印章）" if b.seal else "")
        for line in (agency, b.date):
            p = _paragraph(self.out, line, align="center")
            # The block sits in the right part of the page, centred on itself, like the PDF.
            p.paragraph_format.left_indent = int(self.width) - Mm(78)

    def write(self) -> bytes:
        d = self.doc
        _paragraph(self.out, d.agency, align="center", size=18, east_asia=AGENCY_FONT, line_spacing=Pt(28))
        _paragraph(
            self.out, d.title, align="center", size=22, bold=True, east_asia=TITLE_FONT, line_spacing=Pt(34)
        )
        if d.doc_no:
            _paragraph(self.out, d.doc_no, align="right")
        if d.addressee:
            _paragraph(self.out, d.addressee, align="left", space_before=8)
        for b in d.blocks:
            if isinstance(b, Para):
                size = SMALL if b.small else BODY
                p = _paragraph(self.out, "", align=b.align, size=size, indent=b.indent)
                if b.label:
                    _add_text(p, b.label, size=size, bold=True)
                _add_text(p, b.text, size=size, bold=b.bold)
            elif isinstance(b, Heading):
                _paragraph(self.out, b.text, align="left", bold=True, space_before=4)
            elif isinstance(b, FormTable):
                self.form(b)
            elif isinstance(b, DataTable):
                self.data_table(b)
            elif isinstance(b, Signature):
                self.signature(b)
            elif isinstance(b, SignLines):
                for line in b.lines:
                    _paragraph(self.out, line, align="left", line_spacing=Pt(32))
            elif isinstance(b, Spacer):
                _paragraph(self.out, "", line_spacing=Pt(25 * b.lines))
            else:  # pragma: no cover - a new block type without a writer
                raise TypeError(f"unknown block {type(b).__name__}")
        if d.footer:
            _paragraph(self.out, d.footer, align="left", size=SMALL, space_before=10)
        props = self.out.core_properties
        props.title = _xml_safe(d.title)
        props.author = _xml_safe(d.agency)
        props.subject = _xml_safe(d.doc_no)
        props.comments = "zhifa"
        buf = io.BytesIO()
        self.out.save(buf)
        return buf.getvalue()


def write_docx(doc: Document) -> bytes:
    """The DOCX of `doc`: A4, Chinese fonts named for Word/WPS, tables with borders."""
    return _Writer(doc).write()
