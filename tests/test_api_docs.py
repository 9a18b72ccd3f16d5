"""The API's OpenAPI schema and its Swagger UI, served without any outside CDN."""

import base64

import pytest
from rest_framework.response import Response
from rest_framework.views import APIView

from tests.staff import staff_second_factor
from tests.subjects.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_api_docs_load_swagger_ui_from_this_site(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    staff_second_factor(client, staff)

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


def test_the_api_ignores_basic_authentication_which_bypasses_the_sign_in_rate_limit(rf):
    # Only the allauth sign-in, which limits failed attempts, may check a password.
    class WhoAmI(APIView):  # the project's defaults: IsAuthenticated
        def get(self, request):
            return Response({"login": request.user.pk})

    UserFactory(email="staff@velux.example", is_staff=True)
    credentials = base64.b64encode(b"staff@velux.example:correct horse battery staple")
    request = rf.get("/api/", HTTP_AUTHORIZATION=f"Basic {credentials.decode()}")

    response = WhoAmI.as_view()(request)

    assert response.status_code == 403
