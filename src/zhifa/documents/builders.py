"""How a stored case becomes its case file (`zhifa.cases.services.to_casefile`), plugged in by the
cases app when Django is ready: cases calls documents, so documents may not import cases.

Apart from `zhifa.documents.services`, so that registering at start-up imports neither the
services nor their renderer and its contexts (every command starts Django; few make a document).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_casefile_of: Callable[..., dict[str, Any]] | None = None


def register_casefile_builder(build: Callable[..., dict[str, Any]]) -> None:
    global _casefile_of
    _casefile_of = build


def casefile_builder() -> Callable[..., dict[str, Any]] | None:
    return _casefile_of
