"""The API's OpenAPI schema and its Swagger UI, served without any outside CDN."""

import pytest

from tests.subjects.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_api_docs_load_swagger_ui_from_this_site(client):
    client.force_login(UserFactory(is_staff=True))

    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    assert page.status_code == 200
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page.content
    assert b"cdn" not in page.content.lower()
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_api_schema_is_published_for_integrators(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "velux-privacy API"
