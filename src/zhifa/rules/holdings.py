"""Whether township T holds item I on day D (一张清单明权责): the one implementation.

Pure: plain dataclasses in, an `Authority` out, nothing from Django. The catalogue loads a
township's published versions, items and entrustments into `HoldingFacts`
(`zhifa.catalogue.actions.holdings.holding_facts`); case opening, the catalogue pages and API, the
routing cache and the dispatcher's handler choice all ask `holding` / `held_codes` here.

The rule. On day D, T holds I when
- I is in T's catalogue version in force on D (the published version with the latest effective
  date ≤ D, the highest number among versions taking effect the same day),
- I is not revoked (收回) on D (revoked_on ≤ D), and
- for an entrusted item (委托), a written entrustment of I to T covers D:
  valid_from ≤ D ≤ valid_to and, after an early end (提前终止), D < ended_on.

Days before T's first published version (`before_first`):
- `STRICT` (default; case opening, catalogue pages, API): nothing is held, reason
  "未持有：该乡镇（街道）在该日期没有生效的执法事项清单".
- `FIRST_VERSION` (routing of reports and the dispatcher's handler choice): importing a county's
  list (`zhifa import-county`, effective "today" by default) records a list that was already in
  force, so a report from before the first version is judged by the first version (the one in
  force on its effective date) with the ordinary revocation and entrustment checks on D itself.
  The `Authority` then carries `before_first=True` and a `note` saying so (appended to the reason
  when not held).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

STATUTORY, EMPOWERED, ENTRUSTED = "statutory", "empowered", "entrusted"

BeforeFirst = Literal["strict", "first_version"]
STRICT: BeforeFirst = "strict"
FIRST_VERSION: BeforeFirst = "first_version"

NO_LIST_REASON = "未持有：该乡镇（街道）在该日期没有生效的执法事项清单"

_DAY = dt.timedelta(days=1)


# ---- inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionFacts:
    """One published catalogue version: its number, effective date and item code → source."""

    number: int
    effective_date: dt.date
    entries: Mapping[str, str]
    label: str = ""  # "某镇执法事项清单第2版", used in reasons

    def __str__(self) -> str:
        return self.label or f"执法事项清单第{self.number}版"


@dataclass(frozen=True)
class ItemFacts:
    code: str
    revoked_on: dt.date | None = None
    revoke_reason: str = ""

    def is_revoked(self, on: dt.date) -> bool:
        return self.revoked_on is not None and self.revoked_on <= on


@dataclass(frozen=True)
class EntrustmentFacts:
    """A written entrustment (委托书) of items to the township for a term."""

    doc_no: str
    department: str  # department code
    valid_from: dt.date
    valid_to: dt.date
    items: frozenset[str] = frozenset()
    ended_on: dt.date | None = None  # 提前终止: covers no day from this one on
    end_reason: str = ""

    @property
    def last_day(self) -> dt.date:
        """The last day covered: the end of the term, or the day before an early end."""
        if self.ended_on is not None:
            return min(self.valid_to, self.ended_on - _DAY)
        return self.valid_to

    def is_ended(self, on: dt.date) -> bool:
        return self.ended_on is not None and self.ended_on <= on

    def covers(self, on: dt.date) -> bool:
        return self.valid_from <= on <= self.last_day

    def as_dict(self) -> dict[str, Any]:
        # Case files copy this dict into the exchange format, which knows these four keys only and
        # checks acts against valid_from…valid_to: after an early end (提前终止) valid_to is therefore
        # the last day covered, not the end of the written term.
        return {
            "doc_no": self.doc_no,
            "department": self.department,
            "valid_from": self.valid_from,
            "valid_to": self.last_day,
        }


@dataclass(frozen=True)
class HoldingFacts:
    """What a township's holdings depend on.

    `versions`: published versions (any order; sorted here by effective date, then number);
    `items`: the items concerned by code (an item missing here "does not exist");
    `entrustments`: the township's entrustments (any order).
    """

    versions: tuple[VersionFacts, ...] = ()
    items: Mapping[str, ItemFacts] = field(default_factory=dict)
    entrustments: tuple[EntrustmentFacts, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "versions", tuple(sorted(self.versions, key=lambda v: (v.effective_date, v.number)))
        )
        # Stable: the caller's order breaks ties of equal start days.
        object.__setattr__(self, "entrustments", tuple(sorted(self.entrustments, key=lambda e: e.valid_from)))


# ---- output ----------------------------------------------------------------------------------


@dataclass
class Authority:
    """Whether a township may exercise an item on a date, and on what ground.

    `held`, `source` ("statutory"/"empowered"/"entrusted" or None), `held_from`/`held_until`
    (dates or None when open), `entrustment` (dict doc_no, department code, valid_from,
    valid_to — the last day covered — or None), `reason` (Chinese text why not held, empty when
    held), `version` (number of the version judged), `before_first`/`note` (the day lies before
    the first published version and the FIRST_VERSION policy applied).
    """

    held: bool
    source: str | None = None
    held_from: dt.date | None = None
    held_until: dt.date | None = None
    entrustment: dict[str, Any] | None = None
    reason: str = ""
    version: int | None = None
    before_first: bool = False
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# ---- the rule --------------------------------------------------------------------------------


def _judged_index(versions: tuple[VersionFacts, ...], day: dt.date, before_first: BeforeFirst) -> int | None:
    """Index of the version judging `day`: the one in force, or (FIRST_VERSION) the first one."""
    idx = None
    for i, v in enumerate(versions):
        if v.effective_date <= day:
            idx = i
    if idx is None and before_first == FIRST_VERSION and versions:
        first_day = versions[0].effective_date
        idx = max(i for i, v in enumerate(versions) if v.effective_date == first_day)
    return idx


def _first_note(version: VersionFacts) -> str:
    return f"该日期早于首个清单版本的生效日期{version.effective_date:%Y-%m-%d}，按{version}认定"


def holding(
    facts: HoldingFacts, item_code: str, day: dt.date, before_first: BeforeFirst = STRICT
) -> Authority:
    """Whether the township of `facts` may exercise `item_code` on `day` (see the module note)."""
    item = facts.items.get(item_code)
    if item is None:
        return Authority(held=False, reason=f"执法事项{item_code}不存在")
    versions = facts.versions
    current_idx = _judged_index(versions, day, before_first)
    if current_idx is None:
        return Authority(held=False, reason=NO_LIST_REASON)
    current = versions[current_idx]
    early = day < current.effective_date
    note = _first_note(current) if early else ""
    auth = _holding_in(facts, item, day, versions, current_idx)
    if early:
        auth.before_first, auth.note = True, note
        if not auth.held:
            auth.reason = f"{auth.reason}（{note}）"
        # No earlier version bounds the holding: only an entrustment's first day does.
        if auth.held:
            auth.held_from = auth.entrustment["valid_from"] if auth.entrustment else None
    return auth


def _holding_in(
    facts: HoldingFacts, item: ItemFacts, day: dt.date, versions: tuple[VersionFacts, ...], current_idx: int
) -> Authority:
    current = versions[current_idx]
    code = item.code
    if code not in current.entries:
        return Authority(held=False, version=current.number, reason=f"未持有：{current}中无此事项")
    source = current.entries[code]
    if item.is_revoked(day):
        return Authority(
            held=False,
            source=source,
            version=current.number,
            reason=f"已收回：该事项已于{item.revoked_on:%Y-%m-%d}收回"
            + (f"（{item.revoke_reason}）" if item.revoke_reason else ""),
        )
    # The run of consecutive versions holding the item around the judged one.
    start = current_idx
    while start > 0 and code in versions[start - 1].entries:
        start -= 1
    end = current_idx
    while end + 1 < len(versions) and code in versions[end + 1].entries:
        end += 1
    held_from: dt.date | None = versions[start].effective_date
    held_until = versions[end + 1].effective_date - _DAY if end + 1 < len(versions) else None
    if item.revoked_on is not None:
        last = item.revoked_on - _DAY
        held_until = last if held_until is None else min(held_until, last)
    ent_info = None
    if source == ENTRUSTED:
        ents = [e for e in facts.entrustments if code in e.items]
        valid = [e for e in ents if e.covers(day)]
        if not valid:
            return Authority(
                held=False,
                source=source,
                version=current.number,
                **_no_entrustment(ents, day),
            )
        e = max(valid, key=lambda x: x.last_day)
        ent_info = e.as_dict()
        held_from = max(held_from, e.valid_from) if held_from is not None else e.valid_from
        held_until = e.last_day if held_until is None else min(held_until, e.last_day)
    return Authority(
        held=True,
        source=source,
        held_from=held_from,
        held_until=held_until,
        entrustment=ent_info,
        version=current.number,
    )


def _no_entrustment(ents: list[EntrustmentFacts], day: dt.date) -> dict[str, Any]:
    """Reason (and the entrustment it names) when no entrustment covers `day`."""
    # An early end (提前终止) inside the term says more than an older expired document.
    ended = [e for e in ents if e.is_ended(day) and e.valid_from <= day <= e.valid_to]
    expired = [e for e in ents if e.valid_to < day]
    future = [e for e in ents if e.valid_from > day]
    if ended:
        e = ended[-1]
        reason = f"委托已提前终止：委托书{e.doc_no}自{e.ended_on:%Y-%m-%d}起终止" + (
            f"（{e.end_reason}）" if e.end_reason else ""
        )
    elif expired:
        e = expired[-1]
        reason = f"委托已过期：委托书{e.doc_no}有效期至{e.valid_to:%Y-%m-%d}"
    elif future:
        e = future[0]
        reason = f"委托尚未生效：委托书{e.doc_no}自{e.valid_from:%Y-%m-%d}起有效"
    else:
        return {"entrustment": None, "reason": "无有效委托：该委托事项没有委托书"}
    return {"entrustment": e.as_dict(), "reason": reason}


def held_codes(facts: HoldingFacts, day: dt.date, before_first: BeforeFirst = STRICT) -> set[str]:
    """Codes of the items held on `day`: exactly those for which `holding(...)` is held."""
    idx = _judged_index(facts.versions, day, before_first)
    if idx is None:
        return set()
    covered: set[str] | None = None
    out: set[str] = set()
    for code, source in facts.versions[idx].entries.items():
        item = facts.items.get(code)
        if item is None or item.is_revoked(day):
            continue
        if source == ENTRUSTED:
            if covered is None:
                covered = {c for e in facts.entrustments if e.covers(day) for c in e.items}
            if code not in covered:
                continue
        out.add(code)
    return out


def breakpoints(facts: HoldingFacts) -> list[dt.date]:
    """The days on which the answer of `holding`/`held_codes` may change, sorted.

    Between two consecutive breakpoints (and before the first) every answer is the same, under
    either `before_first` policy: versions' effective dates, revocation dates, and for each
    entrustment its first day, the day after its term and its early end.
    """
    days = {v.effective_date for v in facts.versions}
    days.update(i.revoked_on for i in facts.items.values() if i.revoked_on is not None)
    for e in facts.entrustments:
        days.add(e.valid_from)
        days.add(e.valid_to + _DAY)
        if e.ended_on is not None:
            days.add(e.ended_on)
    return sorted(days)


def within(day: dt.date, start: dt.date | None, end: dt.date | None) -> bool:
    """start ≤ day ≤ end, an open bound (None) admitting every day: a holding or entrustment
    period as the case-file exchange states it (authority.held_from…held_until,
    entrustment.valid_from…valid_to)."""
    return (start is None or start <= day) and (end is None or day <= end)
