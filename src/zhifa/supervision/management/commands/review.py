"""`zhifa review IN.jsonl [-o OUT]`: automatic review of case files (issue 6 item 1).

Validates the whole file first-to-last (any error: every error in Chinese on stderr, exit status
1, nothing written), reviews each case with the platform's working-day calendar and writes one
finding per line ({"case_id", "rule", "severity", "message"}), sorted by case_id then rule.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zhifa.core.calendar import work_calendar
from zhifa.rules.casefile import CaseFileError, iter_checked, read_text, split_lines
from zhifa.rules.review import review_case
from zhifa.rules.workdays import CalendarGapError

MAX_ERRORS_SHOWN = 200


class Command(BaseCommand):
    help = "自动评查案卷：校验 zhifa.casefile/1 文件，按 LEGAL-RULES 逐案检查，输出问题清单（JSON Lines）"

    def add_arguments(self, parser):
        parser.add_argument("input", help="案卷文件（zhifa.casefile/1，每行一个案卷）")
        parser.add_argument("-o", "--output", help="输出文件；省略时写到标准输出")

    def handle(self, *args, **options):
        path = Path(options["input"])
        if not path.is_file():
            raise CommandError(f"找不到案卷文件：{path}")
        try:
            lines = split_lines(read_text(path))
        except CaseFileError as exc:
            return self._fail(path, exc.errors)
        cal = work_calendar()
        errors: list[str] = []
        findings = []
        cases = 0
        for lineno, case, errs in iter_checked(lines):
            if errs:
                errors.extend(errs)
                continue
            if errors or case is None:
                continue  # the file is rejected anyway: only keep validating
            cases += 1
            try:
                findings.extend(review_case(case, cal))
            except CalendarGapError as exc:
                raise CommandError(
                    f"{path}：第{lineno}行 案件{case.get('case_id')}：{exc}。"
                    "请先在“节假日安排”中录入该年度国务院办公厅的放假通知。"
                ) from None
        if errors:
            return self._fail(path, errors)
        findings.sort(key=lambda f: (f.case_id, f.rule))
        text = "".join(json.dumps(f.as_dict(), ensure_ascii=False) + "\n" for f in findings)
        affected = len({f.case_id for f in findings})
        summary = f"已评查{cases}件案卷，发现{len(findings)}个问题，涉及{affected}件案卷。"
        out = options.get("output")
        if out:
            _write_atomically(Path(out), text)
            self.stdout.write(f"{summary}结果已写入{out}。")
        else:
            self.stdout.write(text, ending="")
            self.stderr.write(summary)

    def _fail(self, path: Path, errors: list[str]):
        for e in errors[:MAX_ERRORS_SHOWN]:
            self.stderr.write(f"{path}：{e}")
        if len(errors) > MAX_ERRORS_SHOWN:
            self.stderr.write(f"……另有{len(errors) - MAX_ERRORS_SHOWN}处错误未列出")
        raise CommandError(f"案卷文件校验未通过：共{len(errors)}处错误，未输出评查结果。")


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: zhifa review IN.jsonl [-o OUT]")
