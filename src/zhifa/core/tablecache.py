"""Per-process caches of small configuration tables read on hot paths (intake, queues).

Intake used to read the township row and the county's time limits from the database for every
report; both are tiny tables that change a few times a year. A `TableCache` keeps what its
loader returned per key, drops everything when this process saves or deletes a row of one of
its models (signals), and re-reads at most `ttl` seconds after another process changed them.
The cost: a change made on another server applies to intake there within `ttl` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from django.db.models.signals import post_delete, post_save

_caches: list[TableCache] = []


class TableCache:
    def __init__(self, models: list[type], loader: Callable[[Hashable], Any], ttl: float = 30.0):
        self._loader = loader
        self._ttl = ttl
        self._data: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        for model in models:
            uid = f"zhifa_tablecache_{id(self)}_{model._meta.label}"
            post_save.connect(self._on_change, sender=model, dispatch_uid=uid + "_s", weak=False)
            post_delete.connect(self._on_change, sender=model, dispatch_uid=uid + "_d", weak=False)
        _caches.append(self)

    def get(self, key: Hashable) -> Any:
        now = time.monotonic()
        hit = self._data.get(key)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        value = self._loader(key)
        with self._lock:
            self._data[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def _on_change(self, *args, **kwargs) -> None:
        self.clear()


def clear_all() -> None:
    """Drop every table cache of this process (tests call this between tests)."""
    for cache in _caches:
        cache.clear()
