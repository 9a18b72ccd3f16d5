import re

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache

from tests.subjects.factories import DataSubjectFactory, UserFactory

PASSWORD = "correct horse battery staple"

# The informal register, which the portal never uses (it says "u", "vous", "Sie").
INFORMAL = {
    "nl": re.compile(r"\b(je|jij|jou|jouw|jullie)\b", re.IGNORECASE),
    "de": re.compile(r"\b(du|dich|dir|dein|deine|deinen|deinem|deiner|deines)\b", re.IGNORECASE),
    "fr": re.compile(r"\b(tu|toi|ton|tes)\b", re.IGNORECASE),
}


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """allauth's rate limits live in the cache: a fresh local one per test, never the Redis
    database that REDIS_URL names (changing CACHES makes Django open its caches anew)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "centre-tests",
        }
    }
    cache.clear()
    yield
    cache.clear()


def verified_login(email: str, **fields):
    user = UserFactory(email=email, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def customer(db):
    """A signed-up customer whose verified login is linked to their data subject."""
    user = verified_login("lotte.peeters@example.be", first_name="Lotte", last_name="Peeters")
    subject = DataSubjectFactory(email=user.email, user=user)
    return subject
