"""Small helpers shared by the views of every domain: reading posted values, showing errors."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError


def parse_date(value: str | None) -> dt.date | None:
    """A `YYYY-MM-DD` form value, or None when it is empty or not a date (the caller says which)."""
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def error_messages(exc: ValidationError) -> list[str]:
    """Every message of a ValidationError, field errors included, for the page's error box."""
    if hasattr(exc, "error_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return exc.messages
