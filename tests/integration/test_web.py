"""The web app factory serves its health check and OpenAPI schema on both engines."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from bokflyt.settings import settings_from_mapping
from bokflyt.web import create_app


def test_health_and_openapi(engine: Engine) -> None:
    """/healthz reaches the database; /openapi.json describes the API."""
    url = engine.url.render_as_string(hide_password=False)
    web = {"secret_key": "s" * 32}
    app = create_app(settings_from_mapping({"database": {"url": url}, "web": web}))
    with TestClient(app) as client:
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        schema = client.get("/openapi.json").json()
        assert "/healthz" in schema["paths"]
