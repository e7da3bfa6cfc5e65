"""Evidence: type by content, size limit, stored unaltered with SHA-256, full-process record."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest

from cases.fixtures import build_team
from zhifa.cases import actions as A
from zhifa.cases.evidence import detect, do_add_evidence, evidence_path, full_record, verify
from zhifa.cases.models import Evidence

D = dt.date
pytestmark = pytest.mark.django_db
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


@pytest.fixture
def case(county):
    team = build_team(county)
    c = A.do_open_case(
        team.o1,
        item_code="Z028",
        procedure="general",
        party={"kind": "individual", "name": "张三"},
        opened_on=D(2026, 9, 1),
    )
    c.team = team
    return c


def test_detect_by_magic_bytes():
    assert detect(JPEG[:16]) == ("photo", "image/jpeg")
    assert detect(PDF[:16]) == ("pdf", "application/pdf")
    assert detect(MP4[:16]) == ("video", "video/mp4")
    assert detect(b"RIFF\x00\x00\x00\x00WAVEfmt ") == ("audio", "audio/wav")
    assert detect(b"MZ\x90\x00 executable") is None


def test_stored_unaltered_with_sha256(case):
    ev = do_add_evidence(case.team.o1, case, io.BytesIO(JPEG), name="现场照片.jpg", date=D(2026, 9, 1))
    assert ev.kind == "photo" and ev.size == len(JPEG)
    assert ev.sha256 == hashlib.sha256(JPEG).hexdigest()
    assert evidence_path(ev).read_bytes() == JPEG
    assert verify(ev)
    evidence_path(ev).write_bytes(JPEG + b"x")  # tampering is detected
    assert not verify(ev)


def test_type_checked_by_content_not_extension(case):
    with pytest.raises(A.StepRefused) as exc:
        do_add_evidence(
            case.team.o1, case, io.BytesIO(b"MZ\x90\x00" * 10), name="photo.jpg", date=D(2026, 9, 1)
        )
    assert "无法识别" in exc.value.messages[0] and "photo.jpg" in exc.value.messages[0]
    with pytest.raises(A.StepRefused) as exc:
        do_add_evidence(case.team.o1, case, io.BytesIO(PDF), name="record.mp4", date=D(2026, 9, 1))
    assert "扩展名.mp4与文件内容" in exc.value.messages[0]
    assert Evidence.objects.count() == 0


def test_size_limit(case, settings):
    settings.ZHIFA_EVIDENCE_MAX_BYTES = {"photo": 1000}
    with pytest.raises(A.StepRefused) as exc:
        do_add_evidence(case.team.o1, case, io.BytesIO(JPEG), name="big.jpg", date=D(2026, 9, 1))
    assert "大小上限" in exc.value.messages[0]
    assert Evidence.objects.count() == 0
    # Nothing is left behind: no file, no partial upload.
    assert [p for p in (settings.MEDIA_ROOT / "evidence").rglob("*") if p.is_file()] == []


def test_full_record_lists_events_and_evidence(case):
    do_add_evidence(
        case.team.o1, case, io.BytesIO(PDF), name="询问笔录.pdf", date=D(2026, 9, 1), description="询问"
    )
    rows = full_record(case)
    assert [r["kind"] for r in rows] == ["event", "evidence"]
    assert rows[0]["label"] == "发现线索"


def test_other_township_cannot_add(case):
    with pytest.raises(A.StepRefused):
        do_add_evidence(case.team.other, case, io.BytesIO(JPEG), name="x.jpg", date=D(2026, 9, 1))


def test_api_upload(case):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    c = Client()
    c.force_login(case.team.o1)
    r = c.post(
        f"/api/cases/cases/{case.pk}/evidence/",
        {"file": SimpleUploadedFile("rec.mp4", MP4), "date": "2026-09-01"},
    )
    assert r.status_code == 201 and r.json()["sha256"] == hashlib.sha256(MP4).hexdigest()
    r = c.post(
        f"/api/cases/cases/{case.pk}/evidence/",
        {"file": SimpleUploadedFile("x.pdf", b"MZ.."), "date": "2026-09-01"},
    )
    assert r.status_code == 400 and "无法识别" in r.json()["error"]
    other = Client()
    other.force_login(case.team.other)
    r = other.post(f"/api/cases/cases/{case.pk}/evidence/", {"file": SimpleUploadedFile("a.mp4", MP4)})
    assert r.status_code == 404
