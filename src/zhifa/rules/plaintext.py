"""What counts as acceptable text from a user or a client: no invisible control characters.

A control character (U+0000–U+001F other than tab and line breaks, U+007F, U+0080–U+009F) has no
business in a report, a reason or a name; stored, it later breaks what the text goes into (a
.docx document refuses it, an XML export or a spreadsheet cell too). Input is refused, never
silently cleaned: what was written is what is stored.
"""

from __future__ import annotations

ALLOWED = {"\t", "\n", "\r"}


def first_control_char(text: str) -> int | None:
    """The 1-based position of the first control character in `text`, or None."""
    for i, ch in enumerate(text, 1):
        code = ord(ch)
        if (code < 0x20 and ch not in ALLOWED) or 0x7F <= code <= 0x9F:
            return i
    return None


def control_char_message(text: str) -> str | None:
    """A Chinese message naming where the first control character is, or None when there is none."""
    at = first_control_char(text)
    if at is None:
        return None
    return f"第{at}个字符是不可见的控制字符（U+{ord(text[at - 1]):04X}），请删除后重新提交"
