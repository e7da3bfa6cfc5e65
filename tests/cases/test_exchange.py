"""Case-file exchange: import then export reproduces the dev set; imports are all-or-nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from zhifa.cases.models import Case, CaseEvent
from zhifa.cases.services import ImportError_, export_casefiles, import_casefiles, to_casefile, with_related

SHARED = Path(__file__).resolve().parents[3] / "shared"
if not SHARED.exists():
    SHARED = Path("/work/shared")
DEV = SHARED / "benchmark" / "casefiles" / "cases-dev.jsonl"
EXPECTED = SHARED / "benchmark" / "casefiles" / "expected-dev.jsonl"


@pytest.fixture
def six(county):
    from zhifa.org.models import Township

    for code, name in [("T03", "柳泉镇"), ("T04", "石岭乡"), ("T05", "五里镇"), ("T06", "六合街道")]:
        Township.objects.create(county=county, code=code, name=name, kind="镇")
    return county


@pytest.mark.django_db
def test_round_trip_dev_set_is_identical(six):
    text = DEV.read_text(encoding="utf-8")
    cases = import_casefiles(text)
    assert len(cases) == 61
    out = export_casefiles(with_related(Case.objects.order_by("id")))
    # Byte for byte: same key order, same separators, same numbers.
    assert out == text
    assert [json.loads(line) for line in out.splitlines()] == [json.loads(line) for line in text.splitlines()]


@pytest.mark.django_db
def test_imported_findings_match_expected(six):
    import_casefiles(DEV.read_text(encoding="utf-8"))
    expected = {
        o["case_id"]: o["findings"]
        for o in map(json.loads, EXPECTED.read_text(encoding="utf-8").splitlines())
    }
    for case in Case.objects.all():
        got = sorted(f["rule"] for f in case.findings if f["kind"] == "finding")
        assert got == expected[case.number], case.number


@pytest.mark.django_db
def test_import_is_all_or_nothing_with_line_numbers(six):
    lines = DEV.read_text(encoding="utf-8").splitlines()
    bad = json.loads(lines[2])
    bad["events"][0]["type"] = "teleported"
    lines[2] = json.dumps(bad, ensure_ascii=False)
    other = json.loads(lines[4])
    other["township"] = "T99"
    lines[4] = json.dumps(other, ensure_ascii=False)
    with pytest.raises(ImportError_) as exc:
        import_casefiles("\n".join(lines) + "\n")
    assert any(e.startswith("第3行 events[0].type") for e in exc.value.errors)
    assert Case.objects.count() == 0
    # The format is fine once the type is repaired; the unknown township is then reported by line.
    lines[2] = DEV.read_text(encoding="utf-8").splitlines()[2]
    with pytest.raises(ImportError_) as exc:
        import_casefiles("\n".join(lines) + "\n")
    assert exc.value.errors == ["第5行 township：乡镇（街道）代码“T99”在本系统中不存在"]
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0


@pytest.mark.django_db
def test_duplicate_import_refused(six):
    first = DEV.read_text(encoding="utf-8").splitlines()[0] + "\n"
    import_casefiles(first)
    with pytest.raises(ImportError_) as exc:
        import_casefiles(first)
    assert "已存在" in exc.value.errors[0]
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_commands_round_trip(six, tmp_path):
    out = tmp_path / "out.jsonl"
    call_command("import_cases", str(DEV))
    call_command("cases", "export", str(out))
    assert out.read_text(encoding="utf-8") == DEV.read_text(encoding="utf-8")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"schema": "zhifa.casefile/1"}\n', encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("import_cases", str(broken))
    assert "第1行 case_id：缺少必填字段" in str(exc.value)


@pytest.mark.django_db
def test_to_casefile_passes_the_validator(six):
    from zhifa.rules.casefile import validate_case

    import_casefiles(DEV.read_text(encoding="utf-8").splitlines()[5] + "\n")
    case = Case.objects.get()
    assert validate_case(to_casefile(case)) == []


@pytest.mark.django_db
def test_web_import_and_export(six, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    sup = make_user("supervisor", username="sup")
    c = Client()
    c.force_login(sup)
    text = DEV.read_text(encoding="utf-8")
    bad = text.replace('"schema": "zhifa.casefile/1"', '"schema": "zhifa.casefile/9"', 1)
    r = c.post("/cases/exchange/", {"file": SimpleUploadedFile("dev.jsonl", bad.encode())})
    assert "dev.jsonl：第1行 schema" in r.content.decode() and Case.objects.count() == 0
    r = c.post("/cases/exchange/", {"file": SimpleUploadedFile("dev.jsonl", text.encode())})
    assert r.status_code == 302 and Case.objects.count() == 61
    got = c.get("/cases/exchange/?download=1").content.decode()
    assert got == text
    # A township officer sees only the own township's files; an officer may not import or export.
    boss = make_user("decider", township="T01", username="boss1")
    b = Client()
    b.force_login(boss)
    lines = b.get("/cases/exchange/?download=1").content.decode().splitlines()
    assert lines and all('"township": "T01"' in line for line in lines)
    assert b.post("/cases/exchange/", {"file": SimpleUploadedFile("x.jsonl", b"{}")}).status_code == 403
    officer = make_user("officer", township="T01", username="off1")
    o = Client()
    o.force_login(officer)
    assert o.get("/cases/exchange/").status_code == 403
