"""What a `zhifa` command process sets up at start (issue 10: `zhifa route` on one line)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

BLAS_THREADS = (
    "import json, numpy, threadpoolctl\n"
    "info = threadpoolctl.threadpool_info()\n"
    "print(json.dumps([i['num_threads'] for i in info if i['user_api'] == 'blas']))"
)


def _zhifa_shell(tmp_path, code: str, **env_extra: str) -> str:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="zhifa.settings", ZHIFA_VAR_DIR=str(tmp_path))
    env.pop("DATABASE_URL", None)
    env.pop("OPENBLAS_NUM_THREADS", None)
    env.update(env_extra)
    cmd = [sys.executable, "-m", "zhifa", "shell", "-c", code]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def test_commands_run_numpy_single_threaded(tmp_path):
    # OpenBLAS would start (and spin) a thread per core when numpy is imported.
    assert json.loads(_zhifa_shell(tmp_path, BLAS_THREADS)) == [1]


def test_a_thread_count_in_the_environment_wins(tmp_path):
    code = "import os; print(os.environ['OPENBLAS_NUM_THREADS'])"
    assert _zhifa_shell(tmp_path, code, OPENBLAS_NUM_THREADS="3") == "3"


def test_routing_imports_no_http_client_for_the_voter(tmp_path):
    # The voter's HTTP request is imported when a voter is configured and asked, not at start.
    code = "import sys, zhifa.dispatch.routing; print('urllib.request' in sys.modules)"
    assert _zhifa_shell(tmp_path, code) == "False"
