"""A bounded schemathesis pass over the whole OpenAPI schema (issue 12).

Every operation of /api/schema/ is called with generated input (valid and invalid) through the
WSGI application, authenticated with a DRF token of a demo account that may use that part of the
API, on the demo county. A response fails the test when it is a 5xx, or when its status code,
content type or body is not what the schema documents.

Bounded and repeatable: a fixed seed, derandomized Hypothesis, a few examples per operation.
The demo county is loaded once per module (and xdist worker) inside a transaction that is rolled
back at the end; each operation's examples then run inside that operation's own test transaction
(pytest-django's `db`), so what one example stores is seen by the next ones of the same
operation, and nothing survives the operation.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from types import SimpleNamespace

import hypothesis
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

SEED = 20261012
MAX_EXAMPLES = 20
STATEFUL_EXAMPLES = 30


def _served_schema() -> dict:
    """The schema exactly as /api/schema/?format=json renders it (compared in a test below)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(raw, renderer_context={}))


CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": True},
        },
    }
)
schema = schemathesis.openapi.from_dict(_served_schema(), config=CONFIG)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Who calls which part of the API: an account whose role may use it, so that requests get past
# the permission checks and reach the code that parses and stores.
CALLER = [
    ("/api/dispatch/", "t01_dispatch"),
    ("/api/cases/", "t01_officer1"),
    ("/api/documents/", "t01_officer1"),
    ("/api/catalogue/", "admin"),
    ("/api/grid/", "admin"),
    ("/api/org/", "admin"),
]


def _caller(path: str) -> str:
    return next(user for prefix, user in CALLER if path.startswith(prefix))


# Requests made, by method and status: ZHIFA_FUZZ_STATS=1 prints them when the module ends.
STATS: Counter = Counter()


def _wsgi_app():
    """Django's WSGI handler without the request signals that close the database connection:
    the test's transaction (and the demo county in it) must outlive each request, as under
    django.test.Client."""
    handler = WSGIHandler()

    def app(environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)

        def counting_start_response(status, headers, *args):
            STATS[(environ["REQUEST_METHOD"], status.split()[0])] += 1
            return start_response(status, headers, *args)

        try:
            response = handler(environ, counting_start_response)
            body = b"".join(response)
            response.close()
            return [body]
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    return app


schema.app = _wsgi_app()


def _model_of(path: str):
    """The model whose objects a path's `{id}` names, from the view the path resolves to."""
    from django.urls import resolve

    view = resolve(re.sub(r"\{[a-z_]+\}", "1", path)).func
    cls = getattr(view, "cls", None)
    if cls is None:
        return None
    if cls.queryset is not None:
        return cls.queryset.model
    return cls.serializer_class.Meta.model


def _existing(path: str, name: str) -> list[str]:
    from zhifa.dispatch.models import WhistleCall
    from zhifa.org.models import Township

    if name == "code":
        return sorted(Township.objects.values_list("code", flat=True))
    model = WhistleCall if name == "call_id" else _model_of(path)
    return [str(pk) for pk in model.objects.order_by("pk").values_list("pk", flat=True)] if model else []


# (path, parameter) → ids (or codes) of the demo county's objects, taken once when it is loaded:
# a strategy must not change while Hypothesis runs (a DELETE removes an object; its id then 404s).
EXISTING: dict[tuple[str, str], list[str]] = {}


def _take_existing() -> None:
    EXISTING.clear()
    for op in schema.get_all_operations():
        operation = op.ok()
        for name in ("id", "code", "call_id"):
            if "{" + name + "}" in operation.path:
                EXISTING[(operation.path, name)] = _existing(operation.path, name)


@schema.hook
def flatmap_path_parameters(ctx, path_parameters):
    """Random ids nearly always miss (a 404 and nothing more): in about half of the cases the
    path names an object of the demo county, so reading, acting on and deleting it are fuzzed."""
    if not path_parameters:
        return st.just(path_parameters)
    options = {
        name: values for name in path_parameters if (values := EXISTING.get((ctx.operation.path, name)))
    }
    if not options:
        return st.just(path_parameters)
    real = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in options.items()})
    return st.one_of(st.just(path_parameters), real.map(lambda found: {**path_parameters, **found}))


# Points inside the demo county's grid map, taken with the ids: a generated longitude and
# latitude nearly always lie outside the county (a 400), so half of the intake bodies are moved
# to a real place and go on to be located, checked for duplicates and stored.
POINTS: list[tuple[float, float]] = []
INTAKE = "/api/dispatch/reports/"


def _take_points() -> None:
    from shapely.geometry import shape

    from zhifa.grid.models import GridUnit

    POINTS.clear()
    for geometry in GridUnit.objects.order_by("pk").values_list("geometry", flat=True)[:40]:
        p = shape(json.loads(geometry) if isinstance(geometry, str) else geometry).representative_point()
        POINTS.append((round(p.x, 6), round(p.y, 6)))


@schema.hook
def flatmap_body(ctx, body):
    if ctx.operation.path != INTAKE or ctx.operation.method.upper() != "POST" or not isinstance(body, dict):
        return st.just(body)
    if not POINTS or not isinstance(body.get("text"), str):
        return st.just(body)
    placed = st.sampled_from(POINTS).map(lambda p: {**body, "lon": p[0], "lat": p[1], "crs": "wgs84"})
    return st.one_of(st.just(body), placed)


@pytest.fixture(scope="module")
def demo_county(django_db_setup, django_db_blocker, tmp_path_factory):
    from rest_framework.authtoken.models import Token

    from zhifa.demo.loader import load
    from zhifa.org.models import User

    media = tmp_path_factory.mktemp("fuzz-media")
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
        ),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            load(log=lambda _msg: None)
            _take_existing()
            _take_points()
            tokens = {
                name: Token.objects.get_or_create(user=User.objects.get(username=name))[0].key
                for name in {user for _prefix, user in CALLER}
            }
            yield SimpleNamespace(media=media, tokens=tokens)
            if os.environ.get("ZHIFA_FUZZ_STATS"):
                print(f"\nschema fuzz: {sum(STATS.values())} requests", dict(sorted(STATS.items())))
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def api(demo_county, db, settings):
    settings.MEDIA_ROOT = demo_county.media
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    return demo_county


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        # One test transaction spans all examples of an operation, on purpose (see the top).
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_api_answers_as_its_schema_says(case, api):
    token = api.tokens[_caller(case.operation.path)]
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


TOKENS: dict[str, str] = {}


class Workflows(schema.as_state_machine()):
    """Sequences of calls along the links schemathesis infers (a list's ids into the detail,
    action and delete operations, a created object into the next call)."""

    def get_call_kwargs(self, case):
        return {"headers": {"Authorization": f"Token {TOKENS[_caller(case.operation.path)]}"}}

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        case.validate_response(response, checks=CHECKS)


def test_api_workflows_answer_as_the_schema_says(api):
    TOKENS.update(api.tokens)
    Workflows.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=6,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )


def test_the_fuzzed_schema_is_the_served_one(client, api):
    served = client.get("/api/schema/?format=json", headers={"Authorization": f"Token {api.tokens['admin']}"})
    assert served.status_code == 200
    assert served.json() == _served_schema()
