"""Shipped routing knowledge, keyed by what does not change between counties: the legal basis.

Every county writes its own catalogue (its own item codes, names and wording), but the conduct an
item punishes, inspects or coerces is fixed by the statute and article it cites. The product
therefore ships, per legal basis (statute + article, and paragraph where the statute splits
one article into several conducts), a neutral description of the conduct, colloquial phrases and
typical situations as people report them (knowledge/*.jsonl beside this module). When a county's
router is built, each knowledge entry is attached to the county item that cites the same article
and whose conduct is closest; a county item without an entry still routes from its own text.

Entries are plain data: {"basis", "action", "conduct", "phrases", "situations"}; service.jsonl
holds matters that are not enforcement ({"kind", "situations"}).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

KNOWLEDGE_DIR = Path(__file__).with_name("knowledge")

_DIGIT = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNIT = {"十": 10, "百": 100, "千": 1000}
_LAW = re.compile(r"《([^》]+)》")
# "第一百一十九条第一款第三项", "第64条": article, optional paragraph (款) and point (项).
_ARTICLE = re.compile(
    r"第([零〇一二两三四五六七八九十百千\d]+)条(?:第([零〇一二两三四五六七八九十\d]+)款)?(?:第([零〇一二两三四五六七八九十\d]+)项)?"
)
# Below this similarity between an entry's conduct and an item's name and conduct, an entry that
# cites the same article is not attached (the county's item is about another conduct of it).
MIN_CONDUCT_SIMILARITY = 0.08
# An entry whose article no county item cites is attached by conduct alone only when the conduct
# is this close (a county citing an older numbering of the same statute, or a local regulation).
MIN_CONDUCT_ONLY = 0.45


def chinese_number(text: str) -> int:
    """ "一百一十九" → 119, "六十五" → 65, "十" → 10, "64" → 64."""
    if text.isdigit():
        return int(text)
    total, section, digit = 0, 0, 0
    for ch in text:
        if ch in _DIGIT:
            digit = _DIGIT[ch]
        elif ch in _UNIT:
            section += (digit or 1) * _UNIT[ch]
            digit = 0
        else:
            raise ValueError(f"无法识别的数字“{text}”")
    return total + section + digit


@dataclass(frozen=True)
class Citation:
    """One cited provision: statute (without 中华人民共和国), article, paragraph (0: whole article)."""

    law: str
    article: int
    paragraph: int = 0


def citations(legal_basis: str) -> list[Citation]:
    """Every provision a legal-basis text cites, e.g. "《中华人民共和国城乡规划法》第六十五条"."""
    out: list[Citation] = []
    text = legal_basis or ""
    laws = list(_LAW.finditer(text))
    for i, m in enumerate(laws):
        law = m.group(1).replace("中华人民共和国", "").strip()
        end = laws[i + 1].start() if i + 1 < len(laws) else len(text)
        found = False
        for a in _ARTICLE.finditer(text, m.end(), end):
            try:
                art = chinese_number(a.group(1))
                para = chinese_number(a.group(2)) if a.group(2) else 0
            except ValueError:
                continue
            out.append(Citation(law, art, para))
            found = True
        if not found:
            out.append(Citation(law, 0, 0))
    return out


@dataclass(frozen=True)
class Entry:
    basis: str
    action: str
    conduct: str
    phrases: tuple[str, ...] = ()
    situations: tuple[str, ...] = ()

    @property
    def citations(self) -> list[Citation]:
        return citations(self.basis)


@dataclass
class Knowledge:
    entries: list[Entry] = field(default_factory=list)
    service: list[str] = field(default_factory=list)


class KnowledgeError(ValueError):
    pass


def parse(lines: Iterable[str], where: str = "knowledge") -> tuple[list[Entry], list[str]]:
    """Entries and service situations of JSON Lines text; errors name the line."""
    entries: list[Entry] = []
    service: list[str] = []
    errors: list[str] = []
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as e:
            errors.append(f"{where}第{n}行：不是有效的JSON（{e.msg}）")
            continue
        if not isinstance(obj, dict):
            errors.append(f"{where}第{n}行：应为JSON对象")
            continue
        situations = obj.get("situations") or []
        if not isinstance(situations, list) or not all(isinstance(s, str) for s in situations):
            errors.append(f"{where}第{n}行：situations应为文本列表")
            continue
        if "basis" not in obj:
            service.extend(s for s in situations if s.strip())
            continue
        if not citations(str(obj["basis"])):
            errors.append(f"{where}第{n}行：法律依据“{obj['basis']}”中没有《法律名称》")
            continue
        phrases = obj.get("phrases") or []
        if not isinstance(phrases, list) or not all(isinstance(s, str) for s in phrases):
            errors.append(f"{where}第{n}行：phrases应为文本列表")
            continue
        entries.append(
            Entry(
                basis=str(obj["basis"]),
                action=str(obj.get("action") or ""),
                conduct=str(obj.get("conduct") or ""),
                phrases=tuple(p for p in phrases if p.strip()),
                situations=tuple(s for s in situations if s.strip()),
            )
        )
    if errors:
        raise KnowledgeError("；".join(errors))
    return entries, service


@lru_cache(maxsize=4)
def load(directory: str | None = None) -> Knowledge:
    """The shipped knowledge (every *.jsonl of the directory, in name order)."""
    d = Path(directory) if directory else KNOWLEDGE_DIR
    k = Knowledge()
    if not d.is_dir():
        return k
    for p in sorted(d.glob("*.jsonl")):
        entries, service = parse(p.read_text(encoding="utf-8").splitlines(), p.name)
        k.entries.extend(entries)
        k.service.extend(service)
    return k


def _bigrams(text: str) -> set[str]:
    t = re.sub(r"[^\u4e00-\u9fff]", "", text)
    return {t[i : i + 2] for i in range(len(t) - 1)}


def similarity(a: str, b: str) -> float:
    """Overlap of character bigrams (Dice): how alike two descriptions of a conduct are."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


@dataclass(frozen=True)
class ItemText:
    code: str
    name: str
    violation: str
    legal_basis: str
    action_type: str


def attach(items: Sequence[ItemText], knowledge: Knowledge) -> dict[str, list[Entry]]:
    """item code → the knowledge entries that describe its conduct.

    An entry goes to the item citing the same provision (a paragraph-less citation on either side
    matches any paragraph of the article) with the same kind of action, the closest conduct
    winning where several items cite one article (城市市容和环境卫生管理条例第三十四条 covers
    spilling loads, graffiti and poultry alike). An entry no item cites is attached by conduct
    alone when it is very close; otherwise it teaches this county nothing.
    """
    by_law: dict[tuple[str, int], list[tuple[ItemText, Citation]]] = {}
    for it in items:
        for c in citations(it.legal_basis):
            by_law.setdefault((c.law, c.article), []).append((it, c))
    out: dict[str, list[Entry]] = {}
    for e in knowledge.entries:
        best: tuple[float, str] | None = None
        for ec in e.citations:
            for it, ic in by_law.get((ec.law, ec.article), ()):
                if ec.paragraph and ic.paragraph and ec.paragraph != ic.paragraph:
                    continue
                if e.action and it.action_type and e.action != it.action_type:
                    continue
                s = similarity(e.conduct, it.name + it.violation)
                # An exact paragraph match is stronger evidence than a shared article.
                if ec.paragraph and ec.paragraph == ic.paragraph:
                    s += 0.5
                if s >= MIN_CONDUCT_SIMILARITY and (best is None or s > best[0]):
                    best = (s, it.code)
        if best is None:
            for it in items:
                if e.action and it.action_type and e.action != it.action_type:
                    continue
                s = similarity(e.conduct, it.name + it.violation)
                if s >= MIN_CONDUCT_ONLY and (best is None or s > best[0]):
                    best = (s, it.code)
        if best is not None:
            out.setdefault(best[1], []).append(e)
    return out


__all__ = ["Citation", "Entry", "Knowledge", "KnowledgeError", "attach", "citations", "load", "parse"]
