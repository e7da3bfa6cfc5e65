"""Template helpers of the catalogue pages."""

from django import template

register = template.Library()


@register.filter
def can(user, capability: str) -> bool:
    """`{% if user|can:"catalogue.edit_county" %}`: the role table, as in views."""
    return bool(getattr(user, "is_authenticated", False)) and user.can(capability)
