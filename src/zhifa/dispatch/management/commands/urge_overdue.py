"""`zhifa urge-overdue [--once] [--interval SECONDS]`: the urging worker (督办问效).

Runs forever (or once): every pass urges each overdue step, escalates it one level, gives it a
grace period, and marks whistle calls past their deadline as not attended. No broker: several
workers may run at once (rows are locked with SKIP LOCKED). After each pass it touches
`$ZHIFA_VAR_DIR/urge-overdue.heartbeat` and, if `--ping URL` is given, requests that URL, so a
Healthchecks-style monitor notices a dead worker.
"""

from __future__ import annotations

import signal
import time
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from zhifa.core import audit
from zhifa.dispatch import routing
from zhifa.dispatch.actions.worker import urge_overdue
from zhifa.rules.workdays import CalendarGapError


class Command(BaseCommand):
    help = "督办超期事件：超期环节自动督办并升级一级；部门逾期未报到记为未报到（长期运行，--once 只运行一轮）"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="只运行一轮后退出")
        parser.add_argument("--interval", type=float, default=60.0, help="两轮之间的间隔秒数（默认60）")
        parser.add_argument("--ping", default="", help="每轮结束后访问的心跳地址（可选）")

    def handle(self, *args, **options):
        self._stop = False
        if not options["once"]:
            signal.signal(signal.SIGTERM, self._request_stop)
            signal.signal(signal.SIGINT, self._request_stop)
        while True:
            self._pass(options["ping"])
            if options["once"] or self._stop:
                return
            deadline = time.monotonic() + max(options["interval"], 1.0)
            while time.monotonic() < deadline and not self._stop:
                time.sleep(0.5)
                if settings.AUDIT_SEAL == "worker":
                    # The requests only append entries; the worker links them within a second.
                    self._seal()
            if self._stop:
                return
            # A long-running worker must not keep a connection the database has dropped.
            close_old_connections()

    def _request_stop(self, *_):
        self._stop = True

    def _seal(self) -> None:
        try:
            audit.seal_pending()
        except DatabaseError as exc:
            self.stderr.write(f"审计日志封存暂时失败，稍后重试：{exc}")
            close_old_connections()

    def _pass(self, ping: str) -> None:
        # Entries a busy sealer left behind after some commit are linked into the chain here.
        self._seal()
        try:
            with audit.acting_as("督办程序"):
                summary = urge_overdue(timezone.now())
        except CalendarGapError as exc:
            self.stderr.write(f"{exc}。请先在“节假日安排”中录入该年度放假通知。")
            return
        self.stdout.write(
            f"{timezone.localtime():%Y-%m-%d %H:%M:%S} 督办{len(summary.urged)}件，"
            f"升级{len(summary.escalated)}件，部门未报到{summary.absent_calls}次，"
            f"挂账到期提醒{len(summary.held_due)}件，补转办建议{summary.suggested}件，"
            f"补算期限{summary.dues_filled}件"
        )
        trained = routing.refresh_stale_models()
        if trained:
            self.stdout.write(f"已为{'、'.join(trained)}重新训练并保存转办路由模型")
        self._seal()  # this pass's own entries, and what requests appended meanwhile
        beat = settings.VAR_DIR / "urge-overdue.heartbeat"
        beat.parent.mkdir(parents=True, exist_ok=True)
        beat.write_text(timezone.now().isoformat(), encoding="utf-8")
        if ping:
            try:
                urllib.request.urlopen(ping, timeout=10).close()
            except OSError as exc:
                self.stderr.write(f"心跳地址访问失败：{exc}")
