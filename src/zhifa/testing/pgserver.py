"""Run a command against a throw-away PostgreSQL server started in a temporary directory.

    python -m zhifa.testing.pgserver -- pytest ...

Finds `initdb`/`pg_ctl` on PATH or under /usr/lib/postgresql/*/bin, starts a cluster on a
Unix socket only (no TCP port to collide with), exports DATABASE_URL, runs the command and
always stops and removes the server. As root, PostgreSQL refuses to run, so the server runs
as the `postgres` system user when it exists.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def find_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    raise PostgresUnavailable(f"找不到 PostgreSQL 程序 {name}（请安装 postgresql 软件包）")


def _run_as(user: str | None):
    if user is None:
        return None
    pw = pwd.getpwnam(user)

    def demote():
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)

    return demote


@contextmanager
def temporary_server(extra_conf: dict[str, str] | None = None, keep: Path | None = None):
    """Start a server for the block and stop it after. `keep`: a directory whose cluster is
    reused when there is one (made there otherwise) and left in place afterwards, for a
    benchmark's large data set measured more than once."""
    initdb = find_binary("initdb")
    pg_ctl = find_binary("pg_ctl")
    user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
            user = "postgres"
        except KeyError as exc:
            raise PostgresUnavailable("以 root 运行时需要 postgres 系统用户") from exc
    if keep is not None:
        tmp = Path(keep).absolute()
        tmp.mkdir(parents=True, exist_ok=True)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="zhifa-pg-"))
    data, sock = tmp / "data", tmp / "sock"
    reuse = (data / "PG_VERSION").exists()
    sock.mkdir(exist_ok=True)
    if user:
        pw = pwd.getpwnam(user)
        for p in (tmp, sock):
            os.chown(p, pw.pw_uid, pw.pw_gid)
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    pre = _run_as(user)
    try:
        if not reuse:
            _init(initdb, data, sock, extra_conf, pre, env)
        subprocess.run(
            [pg_ctl, "-D", str(data), "-l", str(tmp / "log"), "-w", "start"],
            check=True,
            stdout=subprocess.DEVNULL,
            preexec_fn=pre,
            env=env,
        )
        url = f"postgres://zhifa@/postgres?host={sock}"
        yield url
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=pre,
                env=env,
            )
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


def _init(initdb: str, data: Path, sock: Path, extra_conf: dict[str, str] | None, pre, env) -> None:
    subprocess.run(
        [initdb, "-D", str(data), "-U", "zhifa", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
        check=True,
        stdout=subprocess.DEVNULL,
        preexec_fn=pre,
        env=env,
    )
    conf = {
        "listen_addresses": "''",
        "unix_socket_directories": f"'{sock}'",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_connections": "200",
        **(extra_conf or {}),
    }
    with open(data / "postgresql.conf", "a") as fh:
        for k, v in conf.items():
            fh.write(f"{k} = {v}\n")


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        print("用法：python -m zhifa.testing.pgserver -- 命令 参数…", file=sys.stderr)
        return 2
    try:
        with temporary_server() as url:
            env = {**os.environ, "DATABASE_URL": url, "ZHIFA_TEST_POSTGRES": "1"}
            return subprocess.call(argv, env=env)
    except PostgresUnavailable as exc:
        print(f"PostgreSQL 不可用：{exc}", file=sys.stderr)
        return 3 if os.environ.get("CI") == "true" else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
