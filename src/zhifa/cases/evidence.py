"""Evidence files: recognised by their content (magic bytes), size-limited, stored unaltered
under MEDIA_ROOT with their SHA-256, listed with the events as the full-process record."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from zhifa.cases.actions import StepRefused
from zhifa.cases.models import Case, CaseEvent, Evidence

MB = 1024 * 1024
# Per kind; settings.ZHIFA_EVIDENCE_MAX_BYTES may override (a dict of the same shape).
MAX_BYTES = {"photo": 20 * MB, "pdf": 50 * MB, "audio": 200 * MB, "video": 2048 * MB}
KIND_ZH = dict(Evidence.KIND_CHOICES)
EXTENSIONS = {
    "photo": {".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".heif"},
    "pdf": {".pdf"},
    "audio": {".mp3", ".wav", ".amr", ".m4a", ".aac", ".ogg"},
    "video": {".mp4", ".mov", ".avi", ".3gp", ".webm", ".mkv", ".m4v"},
}


def detect(head: bytes) -> tuple[str, str] | None:
    """(kind, MIME type) from the first bytes of a file, or None when not a known evidence type."""
    if head.startswith(b"\xff\xd8\xff"):
        return "photo", "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "photo", "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "photo", "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "photo", "image/webp"
    if head.startswith(b"%PDF-"):
        return "pdf", "application/pdf"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio", "audio/wav"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video", "video/x-msvideo"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio", "audio/mpeg"
    if head.startswith(b"#!AMR"):
        return "audio", "audio/amr"
    if head.startswith(b"OggS"):
        return "audio", "audio/ogg"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", "video/webm"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis"):
            return "photo", "image/heic"
        if brand in (b"M4A ", b"M4B "):
            return "audio", "audio/mp4"
        if brand.startswith(b"3g"):
            return "video", "video/3gpp"
        if brand == b"qt  ":
            return "video", "video/quicktime"
        return "video", "video/mp4"
    return None


def _limit(kind: str) -> int:
    return {**MAX_BYTES, **getattr(settings, "ZHIFA_EVIDENCE_MAX_BYTES", {})}[kind]


def _size_zh(n: int) -> str:
    return f"{n / MB:.0f}MB" if n >= MB else f"{n}字节"


def do_add_evidence(
    user,
    case: Case | int,
    fileobj: IO[bytes],
    *,
    name: str,
    date: dt.date,
    description: str = "",
    event: CaseEvent | None = None,
) -> Evidence:
    """Check and store one evidence file. The bytes are written exactly as received."""
    if not (user.can("cases.assist") or user.can("cases.decide") or user.can("cases.legal_review")):
        raise StepRefused("您没有上传证据的权限。")
    case_obj = case if isinstance(case, Case) else Case.objects.get(pk=case)
    if case_obj.imported or case_obj.status in (Case.CLOSED, Case.TRANSFERRED):
        raise StepRefused(f"本案{case_obj.get_status_display()}，不能再添加证据。")
    if not user.is_superuser and user.township_id != case_obj.township_id:
        raise StepRefused(f"您不属于{case_obj.township}，不能为本案添加证据。")
    if date > timezone.localdate():
        raise StepRefused(f"取证日期{date}不能晚于今天。")
    head = fileobj.read(16)
    found = detect(head)
    ext = os.path.splitext(name)[1].lower()
    if found is None:
        raise StepRefused(
            f"文件“{name}”不是可接受的证据格式（照片、视频、录音或PDF），文件内容无法识别为其中任何一种。"
        )
    kind, mime = found
    if ext and ext not in EXTENSIONS[kind]:
        raise StepRefused(f"文件“{name}”的扩展名{ext}与文件内容（{KIND_ZH[kind]}，{mime}）不符。")
    limit = _limit(kind)
    root = Path(settings.MEDIA_ROOT)
    rel_dir = Path("evidence") / case_obj.township.code / case_obj.number
    (root / rel_dir).mkdir(parents=True, exist_ok=True)
    tmp = root / rel_dir / f".upload-{os.getpid()}-{timezone.now().timestamp():.6f}"
    digest = hashlib.sha256()
    size = 0
    try:
        with open(tmp, "wb") as out:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > limit:
                    raise StepRefused(f"文件“{name}”超过{KIND_ZH[kind]}的大小上限{_size_zh(limit)}。")
                digest.update(chunk)
                out.write(chunk)
                chunk = fileobj.read(1024 * 1024)
        sha = digest.hexdigest()
        rel = rel_dir / f"{sha}{ext or ''}"
        os.replace(tmp, root / rel)
    finally:
        if tmp.exists():
            tmp.unlink()
    with transaction.atomic():
        return Evidence.objects.create(
            case=case_obj,
            event=event,
            kind=kind,
            mime=mime,
            original_name=os.path.basename(name)[:255],
            path=str(rel),
            size=size,
            sha256=sha,
            date=date,
            description=description[:300],
            uploaded_by=user,
        )


def evidence_path(ev: Evidence) -> Path:
    return Path(settings.MEDIA_ROOT) / ev.path


def verify(ev: Evidence) -> bool:
    """True when the stored file still has the SHA-256 recorded at upload."""
    h = hashlib.sha256()
    try:
        with open(evidence_path(ev), "rb") as f:
            for chunk in iter(lambda: f.read(1024 * 1024), b""):
                h.update(chunk)
    except OSError:
        return False
    return h.hexdigest() == ev.sha256


def full_record(case: Case) -> list[dict[str, Any]]:
    """全过程记录: events and evidence in date order (evidence after the events of its day)."""
    from zhifa.rules.casefile import EVENT_NAMES_ZH

    rows: list[dict[str, Any]] = []
    for e in case.events.select_related("recorded_by").order_by("seq"):
        rows.append(
            {
                "date": e.date,
                "order": (0, e.seq),
                "kind": "event",
                "event": e,
                "label": EVENT_NAMES_ZH.get(e.type, "移送" if e.type == "transferred" else e.type),
            }
        )
    for ev in case.evidence.select_related("uploaded_by", "event").all():
        step = EVENT_NAMES_ZH.get(ev.event.type, ev.event.type) if ev.event else ""
        rows.append(
            {
                "date": ev.date,
                "order": (1, ev.pk),
                "kind": "evidence",
                "evidence": ev,
                "label": "证据",
                "evidence_step": step,
            }
        )
    rows.sort(key=lambda r: (r["date"], r["order"]))
    return rows
