"""A process that renders nothing does not import the document writers (python-docx, reportlab,
the CJK font), the document services and renderer, nor the cases services at start-up, and the
cases app has registered its case-file builder (test_services.py generates documents through it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = [
    "zhifa.documents.writer_docx",
    "zhifa.documents.writer_pdf",
    "reportlab",
    "docx",
    "zhifa.cases.services",
    "zhifa.documents.services",
    "zhifa.documents.render",
]


def test_django_start_up_imports_no_writer_and_registers_the_builder(tmp_path):
    code = (
        "import json, sys, django; django.setup()\n"
        f"loaded = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "from zhifa.documents import builders\n"
        "print(json.dumps([loaded, builders.casefile_builder() is not None]))\n"
    )
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="zhifa.settings", ZHIFA_VAR_DIR=str(tmp_path))
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    loaded, registered = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == []
    assert registered
