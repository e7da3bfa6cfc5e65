"""`zhifa render-doc CASEFILE.jsonl --case ID --kind KIND -o OUT.pdf`: render one legal document
from an exchange-format file (zhifa.casefile/1), without storing or numbering anything.

The format of the output follows its extension (.pdf or .docx) unless --format is given. The
agency, county and legal basis come from this installation's organisation and catalogue when the
township and item codes are known here, else from --township-name/--county-name/--legal-basis;
--extra FILE.json adds any other context key (see zhifa.documents.context).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from zhifa.documents import kinds
from zhifa.documents.context import ContextError, context_from_casefile
from zhifa.documents.render import FORMATS, render
from zhifa.rules.casefile import CaseFileError, load

MAX_ERRORS_SHOWN = 50


def resolve_kind(value: str) -> str:
    for k in kinds.KINDS:
        if value in (k.code, k.title):
            return k.code
    known = "、".join(f"{k.code}（{k.title}）" for k in kinds.KINDS)
    raise CommandError(f"未知的文书种类“{value}”，可用：{known}")


def local_extra(case: dict) -> dict:
    """Township, county and catalogue data of this installation, when it knows the codes."""
    from zhifa.catalogue.models import Item
    from zhifa.org.models import Township

    try:
        township = Township.objects.select_related("county").filter(code=case["township"]).first()
        if township is None:
            return {}
        extra = {
            "township_name": township.name,
            "township_kind": township.kind,
            "county_name": township.county.name,
        }
        item = Item.objects.filter(county=township.county, code=case["item"]).first()
        if item is not None:
            extra["legal_basis"] = item.legal_basis
            if item.violation:
                extra["violation"] = item.violation
        return extra
    except DatabaseError:  # no database yet (render-doc works from the file alone)
        return {}


class Command(BaseCommand):
    help = "从案卷交换文件（zhifa.casefile/1）生成一份法律文书（PDF或DOCX），不编号、不入库"

    def add_arguments(self, parser):
        parser.add_argument("casefile", help="案卷文件（zhifa.casefile/1，每行一个案卷）")
        parser.add_argument("--case", help="案件编号（case_id）；文件只有一个案卷时可省略")
        parser.add_argument(
            "--kind", required=True, help="文书种类代码或名称，如 penalty_decision 或 行政处罚决定书"
        )
        parser.add_argument("-o", "--output", required=True, help="输出文件（.pdf 或 .docx）")
        parser.add_argument("--format", choices=FORMATS, help="输出格式；缺省按输出文件扩展名")
        parser.add_argument("--doc-no", default=None, help="文号；缺省用案卷决定书文号（仅决定书）或留空")
        parser.add_argument("--township-name", help="乡镇（街道）名称，如 东城街道")
        parser.add_argument("--township-kind", choices=["街道", "镇", "乡"], help="乡镇类型")
        parser.add_argument("--county-name", help="县（区）名称：推定行政复议机关和管辖法院")
        parser.add_argument("--legal-basis", help="执法事项的法律依据")
        parser.add_argument("--extra", help="补充内容 JSON 文件（对象，键见 zhifa.documents.context）")

    def handle(self, *args, **options):
        kind = resolve_kind(options["kind"])
        out = Path(options["output"])
        fmt = options["format"] or out.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise CommandError(
                f"无法从输出文件名“{out.name}”判断格式：请使用 .pdf 或 .docx 扩展名，或指定 --format"
            )
        path = Path(options["casefile"])
        if not path.is_file():
            raise CommandError(f"找不到案卷文件：{path}")
        try:
            cases = load(path)
        except CaseFileError as exc:
            for e in exc.errors[:MAX_ERRORS_SHOWN]:
                self.stderr.write(f"{path}：{e}")
            raise CommandError(f"案卷文件校验未通过：共{len(exc.errors)}处错误，未生成文书。") from None
        case = self._pick(cases, options["case"], path)
        extra = {**local_extra(case), **self._extra_file(options["extra"])}
        for opt, key in (
            ("township_name", "township_name"),
            ("township_kind", "township_kind"),
            ("county_name", "county_name"),
            ("legal_basis", "legal_basis"),
        ):
            if options[opt]:
                extra[key] = options[opt]
        decision = case.get("decision") or {}
        doc_no = options["doc_no"]
        if doc_no is None and kind in ("penalty_decision", "no_penalty_decision", "demolition_notice"):
            doc_no = decision.get("doc_no") or ""
        extra["doc_no"] = doc_no or ""
        ctx = context_from_casefile(case, extra, _calendar())
        try:
            data = render(kind, ctx, fmt)
        except ContextError as err:
            raise CommandError(f"{err}。可用 --township-name、--county-name 或 --extra 补充。") from None
        except ValueError as err:
            raise CommandError(str(err)) from None
        _write_atomically(out, data)
        self.stdout.write(f"已生成《{kinds.get(kind).title}》（案件{case['case_id']}）：{out}")

    def _pick(self, cases: list[dict], case_id: str | None, path: Path) -> dict:
        if case_id is None:
            if len(cases) == 1:
                return cases[0]
            raise CommandError(f"{path}中有{len(cases)}个案卷，请用 --case 指定案件编号")
        for c in cases:
            if c["case_id"] == case_id:
                return c
        raise CommandError(f"{path}中没有案件编号为“{case_id}”的案卷")

    def _extra_file(self, name: str | None) -> dict:
        if not name:
            return {}
        try:
            data = json.loads(Path(name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CommandError(f"找不到补充内容文件：{name}") from None
        except json.JSONDecodeError as err:
            raise CommandError(
                f"补充内容文件{name}第{err.lineno}行第{err.colno}列：不是有效的JSON（{err.msg}）"
            ) from None
        if not isinstance(data, dict):
            raise CommandError(f"补充内容文件{name}应为JSON对象")
        return data


def _calendar():
    """The installation's working-day calendar, if its database is there (for the payment due date)."""
    from zhifa.core.calendar import work_calendar

    try:
        return work_calendar()
    except DatabaseError:
        return None


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
