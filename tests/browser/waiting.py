"""Waiting on a page condition under the Content-Security-Policy.

Playwright's `page.wait_for_function` builds its predicate with `new Function` inside the page,
which the CSP (`script-src 'self'`, no 'unsafe-eval') refuses. `page.evaluate` goes through the
DevTools protocol and is not subject to the page's CSP, so poll with it instead."""

from __future__ import annotations

import time


def wait_until(page, expression: str, timeout_s: float = 15.0, every_ms: int = 100) -> None:
    """Return once `expression` (JavaScript, may be a promise) is truthy in `page`; else fail."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"page condition not met within {timeout_s:g}s: {expression}")
        page.wait_for_timeout(every_ms)
