"""The bulk audit path: `record_many` of a generator written in chunks, `seal_pending` in chunks
and up to its limit, and `audit.image` giving what `snapshot` gives for a row."""

from __future__ import annotations

import itertools
import json

import pytest
from django.db import connection

from zhifa.core import audit
from zhifa.core.models import AuditEntry, AuditHead
from zhifa.org.models import Township


def _changes(n: int, start: int = 0):
    for i in range(start, start + n):
        yield audit.Change(
            "create",
            "test.Thing",
            str(i),
            f"第{i}号",
            None,
            {"n": i, "name": f"名称{i}", "ratio": i / 7, "tags": ["甲", i], "blob": b"\x00" * (i % 5)},
            county_id=i % 3 or None,
        )


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(audit, "CHUNK", 7)


def test_a_generator_is_written_in_chunks_with_every_column(county, small_chunks):
    before = AuditEntry.objects.count()
    with audit.acting_as("批量测试"):
        assert audit.record_many(_changes(30)) == 30
    rows = list(AuditEntry.objects.filter(model="test.Thing").order_by("id"))
    assert len(rows) == 30 and AuditEntry.objects.count() == before + 30
    assert [r.object_id for r in rows] == [str(i) for i in range(30)]  # in the order given
    r = rows[12]
    assert (r.actor, r.action, r.object_repr, r.before, r.reason) == (
        "批量测试",
        "create",
        "第12号",
        None,
        "",
    )
    assert r.after == {
        "n": 12,
        "name": "名称12",
        "ratio": 12 / 7,
        "tags": ["甲", 12],
        "blob": audit._jsonable(b"\x00\x00"),
    }
    assert rows[13].county_id == 1
    assert rows[12].county_id is None  # neither the change's nor the actor's (a string) county
    assert {r.at for r in rows} == {rows[0].at} and rows[0].at.microsecond == 0
    assert all((r.prev_hash, r.alg, r.key_id) == ("", "sha256", "") for r in rows if r.seq is None)


def test_an_empty_generator_writes_nothing(county):
    before = AuditEntry.objects.count()
    assert audit.record_many(iter(())) == 0
    assert AuditEntry.objects.count() == before


def test_sealing_in_chunks_and_up_to_the_limit_gives_one_chain(county, small_chunks):
    audit.seal_pending(wait=True)
    audit.record_many(_changes(40))
    pending = AuditEntry.objects.filter(seq__isnull=True)
    assert pending.count() == 40
    assert audit.seal_pending(wait=True, limit=25) == 25  # several chunks, stopping at the limit
    assert pending.count() == 15
    head = AuditHead.objects.get(pk=1)
    last = AuditEntry.objects.filter(seq__isnull=False).order_by("seq").last()
    assert (head.count, head.last_hash) == (last.seq, last.hash)
    assert audit.seal_pending(wait=True) == 15
    sealed = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in sealed] == list(range(1, len(sealed) + 1))
    assert [e.id for e in sealed] == sorted(e.id for e in sealed)  # chain order is write order
    for prev, e in itertools.pairwise(sealed):
        assert e.prev_hash == prev.hash
        assert e.hash == audit.entry_hash(audit._hashed_fields(e), prev.hash)
    assert audit.verify().ok


def test_an_entry_edited_after_a_bulk_seal_is_found(county, small_chunks):
    audit.record_many(_changes(20))
    audit.seal_pending(wait=True)
    assert audit.verify().ok
    target = AuditEntry.objects.filter(model="test.Thing", object_id="9").get()
    after = {**target.after, "name": "改过"}
    with connection.cursor() as cur:
        cur.execute("UPDATE core_auditentry SET after = %s WHERE id = %s", [json.dumps(after), target.id])
    result = audit.verify()
    assert not result.ok
    assert any(f"第{target.id}条" in p and "篡改" in p for p in result.problems)


def test_image_is_the_snapshot_of_the_same_values(county):
    from zhifa.grid.models import GridUnit

    t = Township.objects.get(code="T01")
    unit = GridUnit.objects.create(
        county=t.county,
        township=t,
        level="township",
        code="T01",
        name="东城街道",
        geometry='{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}',
        geometry_wkb=b"\x01\x03\x00\x00",
        minx=0.0,
        miny=0.0,
        maxx=1.0,
        maxy=1.0,
    )
    unit.refresh_from_db()
    values = {f.attname: getattr(unit, f.attname) for f in GridUnit._meta.concrete_fields}
    snap = audit.snapshot(unit)
    assert audit.image(GridUnit, values) == snap
    assert snap["geometry"].startswith("sha256:") and snap["geometry_wkb"].startswith("sha256:")
    # A digest given in place of the bytes stands for them unchanged.
    assert audit.image(GridUnit, {**values, "geometry_wkb": snap["geometry_wkb"]}) == snap
