"""The customer pages: language prefixes and the language switcher."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_root_redirects_to_the_dutch_privacy_centre(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/nl/"


def test_the_root_follows_the_browsers_language(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="de-BE,de;q=0.9")

    assert response["Location"] == "/de/"


def test_switching_language_keeps_the_page_and_changes_its_prefix(client):
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/nl/"})

    assert response.status_code == 302
    assert response["Location"] == "/fr/"


def test_the_home_page_lists_the_eight_purposes_with_their_legal_basis(client):
    content = client.get("/en/").content.decode()

    for section in ("2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8"):
        assert f"§{section}</span>" in content
    assert "Consent" in content
