"""`zhifa.core.inserts.CompiledInsert`: a new row's INSERT compiled once binds the same statement
and values as the ORM's own compiler, and stores the same row."""

from __future__ import annotations

import datetime as dt

import pytest
from dispatch.helpers import make_report
from django.db import connection
from django.db.models import sql
from django.db.models.functions import Now

from zhifa.core import audit, inserts
from zhifa.dispatch.models import Report, Step, Transition
from zhifa.rules import dispatch_workflow as wf

AT = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)


def _django_sql(obj):
    """What Django's own compiler writes for `obj`'s row as it now stands (raw: no pre_save)."""
    meta = type(obj)._meta
    fields = [f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field]
    query = sql.InsertQuery(type(obj))
    query.insert_values(fields, [obj], raw=True)
    compiler = query.get_compiler(using="default")
    compiler.returning_fields = meta.db_returning_fields
    [(text, params)] = compiler.as_sql()
    return text, list(params)


def _plain(value):
    return getattr(value, "obj", value)  # psycopg's Jsonb wrapper has no equality of its own


@pytest.fixture
def bound(monkeypatch):
    seen = []
    run = inserts._Plan.run

    def spy(plan, obj, using):
        rows = run(plan, obj, using)
        seen.append((obj, plan.sql, rows))
        return rows

    monkeypatch.setattr(inserts._Plan, "run", spy)
    return seen


def test_the_three_intake_rows_are_written_as_the_orm_writes_them(county, bound):
    run = []

    def capture(execute, text, params, many, context):
        if text.startswith('INSERT INTO "dispatch_'):
            run.append((text, [_plain(p) for p in params]))
        return execute(text, params, many, context)

    with connection.execute_wrapper(capture):
        report = make_report(county, "SJTEST000001", AT, text="门口占道", address="东门", priority=wf.URGENT)
        step = Step.objects.create(report=report, state=wf.RECEIVED, unit="东城", started_at=AT, due_at=None)
        log = Transition.objects.create(
            report=report, action="intake", to_status=wf.RECEIVED, actor_name="gw", at=AT, data={"ch": "web"}
        )
    assert [type(o) for o, _, _ in bound] == [Report, Step, Transition]
    for obj, _, rows in bound:
        assert rows[0][0] == obj.pk and not obj._state.adding
    # The statements as run, with their values, are those the ORM builds for the same rows.
    assert len(run) == 3
    for (text, params), obj in zip(run, (report, step, log), strict=True):
        expected_sql, expected_params = _django_sql(obj)
        assert text == expected_sql
        assert params == [_plain(p) for p in expected_params]
    stored = Report.objects.get(pk=report.pk)
    assert (stored.text, stored.address, stored.priority, stored.dup_cell) == (
        "门口占道",
        "东门",
        wf.URGENT,
        wf.duplicate_cell(112.8, 35.8),
    )
    assert stored.created_at == report.created_at is not None
    assert Transition.objects.get(pk=log.pk).data == {"ch": "web"}


def test_an_expression_value_goes_through_the_orm(county, bound):
    report = make_report(county, "SJTEST000002", AT)
    bound.clear()
    with audit.suppressed():  # an audit image cannot hold an expression
        log = Transition.objects.create(report=report, action="intake", actor_name="gw", at=Now())
    assert [(o, rows) for o, _, rows in bound] == [(log, None)]  # compiled, then handed back
    assert log.pk is not None and Transition.objects.get(pk=log.pk).at is not None
