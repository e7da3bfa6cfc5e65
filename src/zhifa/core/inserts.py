"""A new row's INSERT from SQL compiled once: a model mixin for the rows every intake writes.

`Model.save()` of a new row builds an `InsertQuery` and compiles it on every call: quoting each
column, choosing each placeholder and assembling the statement took about 0.15 ms of CPU per
row (a report has 38 columns), more than running it. For a given model, database and column
list the statement is always the same text; only the values change. `CompiledInsert` keeps
`save()` as it is (signals, the primary key set from RETURNING, `_state`) and replaces only
`_do_insert`: the statement is taken from the ORM's own compiler the first time, and each later
row binds its values as that compiler does (`field.pre_save(obj, add=True)`, then
`get_db_prep_save`). A value that is an expression, a field with its own placeholder, a raw
save or a database that cannot return the new key goes through Django's path unchanged.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import sql


class _Plan:
    """The compiled statement for (model, database, columns, returned columns)."""

    def __init__(self, model, using: str, fields: tuple, returning_fields: tuple) -> None:
        connection = connections[using]
        query = sql.InsertQuery(model)
        # Compiled on a blank instance (its defaults), never on the row being saved.
        query.insert_values(list(fields), [model()], raw=False)
        compiler = query.get_compiler(using=using)
        compiler.returning_fields = list(returning_fields)
        [(self.sql, _params)] = compiler.as_sql()
        self.returning_params = tuple(compiler.returning_params)
        cols = [f.get_col(model._meta.db_table) for f in returning_fields]
        self.usable = (
            bool(returning_fields)
            and connection.features.can_return_columns_from_insert
            and not any(hasattr(f, "get_placeholder") for f in fields)
            and self.sql.count("%s") == len(fields) + len(self.returning_params)
            and not compiler.get_converters(cols)
        )
        self.fields = fields

    def run(self, obj, using: str) -> list[tuple[Any, ...]] | None:
        """The returned columns' row, or None where this row needs Django's own path (then
        nothing was written)."""
        connection = connections[using]
        values = []
        for f in self.fields:
            value = f.pre_save(obj, add=True)
            if hasattr(value, "resolve_expression"):
                return None
            values.append(f.get_db_prep_save(value, connection=connection))
        with connection.cursor() as cursor:
            cursor.execute(self.sql, (*values, *self.returning_params))
            return [connection.ops.fetch_returned_insert_columns(cursor, self.returning_params)]


_plans: dict[tuple, _Plan] = {}


class CompiledInsert:
    """Model mixin: `save()` of a new row runs a statement compiled once (see the module)."""

    def _do_insert(self, manager, using, fields, returning_fields, raw):
        if not raw and fields:
            key = (type(self), using, tuple(fields), tuple(returning_fields or ()))
            plan = _plans.get(key)
            if plan is None:
                plan = _plans[key] = _Plan(type(self), using, key[2], key[3])
            if plan.usable:
                rows = plan.run(self, using)
                if rows is not None:
                    return rows
        return super()._do_insert(manager, using, fields, returning_fields, raw)
