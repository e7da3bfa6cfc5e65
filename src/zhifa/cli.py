"""The `zhifa` console script: Django's management commands with dashed names.

`zhifa import-county DIR` runs the command module `import_county`; subcommands
(`zhifa audit verify`, `zhifa cases export`) are arguments of one command.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
    # numpy's OpenBLAS starts a thread per core when it is imported, and each spins about 0.1 s
    # of CPU before it sleeps: most of the CPU that numpy costs a command at start. The commands'
    # products are a report's few features by the catalogue's columns, too small for threads to
    # pay (the scores are the same either way). Set before anything imports numpy; a value in the
    # environment wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    args[0] = "zhifa"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
