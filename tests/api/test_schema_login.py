"""The OpenAPI schema and the docs page are for logged-in users only."""

from __future__ import annotations


def test_anonymous_gets_no_schema_and_no_docs(client, county):
    schema = client.get("/api/schema/")
    assert schema.status_code in (401, 403)
    assert b"/api/dispatch/reports/" not in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/login/")
    script = client.get("/api/docs/?script=")
    assert script.status_code == 302


def test_logged_in_user_reads_schema_and_docs(client, make_user):
    client.force_login(make_user("county_dispatcher", username="cd"))
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/dispatch/reports/" in schema.content
    docs = client.get("/api/docs/")
    html = docs.content.decode()
    assert docs.status_code == 200 and "swagger" in html.lower()
    # The page's start-up script is a file from this site (the CSP forbids inline scripts), and
    # Swagger UI itself is served locally, not from a CDN.
    assert "cdn." not in html and "http://" not in html.replace("http://testserver", "")
    scripts = [s for s in html.split("<script")[1:]]
    assert scripts and all("src=" in s.split(">")[0] for s in scripts)
    js = client.get("/api/docs/?script=")
    assert js.status_code == 200 and "SwaggerUIBundle" in js.content.decode()


def test_docs_document_the_stale_write_conflict(client, make_user):
    client.force_login(make_user("county_dispatcher", username="cd"))
    schema = client.get("/api/schema/?format=json").json()
    op = schema["paths"]["/api/dispatch/reports/{id}/actions/"]["post"]
    assert "409" in op["responses"]
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "expected_state" in schema["components"]["schemas"][ref]["properties"]
