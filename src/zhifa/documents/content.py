"""Structured content of a legal document, independent of the output format.

Each document kind is described once (layouts.py) as a `Document` made of the blocks below;
the DOCX writer (writer_docx.py) and the PDF writer (writer_pdf.py) turn the same `Document`
into a file. The layout follows the usual format of administrative enforcement documents:
agency name centred on top, the bold title under it, the 文号 right-aligned, the addressee,
the body in a 仿宋-like font, then the signature and seal block with the date in Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Para:
    """A body paragraph. `label` is printed before the text (e.g. "当事人："), bold where possible."""

    text: str
    label: str = ""
    indent: bool = True  # first-line indent of two characters
    align: str = "justify"  # justify | left | center | right
    bold: bool = False
    small: bool = False


@dataclass
class Heading:
    """A bold heading inside the body (e.g. "一、违法事实")."""

    text: str


@dataclass
class Cell:
    text: str
    span: int = 1  # columns covered
    label: bool = False  # a label cell: bold, centred
    min_lines: int = 1  # height in text lines, for handwritten entries and opinions
    align: str = "left"


@dataclass
class FormTable:
    """A bordered form (审批表, 送达回证): rows of cells; `widths` are relative column widths."""

    rows: list[list[Cell]]
    widths: list[float]


@dataclass
class DataTable:
    """A bordered list with a header row (e.g. the inventory of seized goods)."""

    headers: list[str]
    rows: list[list[str]]
    widths: list[float]


@dataclass
class Signature:
    """The signature block at the bottom right: agency name, "（印章）", date in Chinese."""

    agency: str
    date: str  # already formatted: 二〇二六年十一月二十二日
    seal: bool = True


@dataclass
class SignLines:
    """Lines to sign by hand at the left (e.g. "被询问人（签名）：", "执法人员（签名）：")."""

    lines: list[str]


@dataclass
class Spacer:
    lines: float = 1.0


@dataclass
class Document:
    kind: str
    agency: str  # 执法机关名称, centred on top
    title: str  # 文书名称, bold
    doc_no: str = ""  # 文号, right-aligned under the title; empty: none printed
    addressee: str = ""  # 主送：当事人名称 followed by "：", flush left
    blocks: list = field(default_factory=list)
    footer: str = ""  # small print at the end (copies, how to sign the receipt...)

    def text(self) -> str:
        """All the words of the document, in order: for tests and search."""
        out = [self.agency, self.title, self.doc_no, self.addressee]
        for b in self.blocks:
            if isinstance(b, Para):
                out.append(b.label + b.text)
            elif isinstance(b, Heading):
                out.append(b.text)
            elif isinstance(b, FormTable):
                out.extend(c.text for row in b.rows for c in row)
            elif isinstance(b, DataTable):
                out.extend(b.headers)
                out.extend(c for row in b.rows for c in row)
            elif isinstance(b, Signature):
                out.extend([b.agency, b.date])
            elif isinstance(b, SignLines):
                out.extend(b.lines)
        out.append(self.footer)
        return "\n".join(x for x in out if x)
