"""Sessions are stored by login, staff sessions are short, expired ones are deleted daily."""

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.utils import timezone

from tests.subjects.factories import UserFactory
from velux_privacy.models import LoginSession
from velux_privacy.tasks import sessions_clear_expired_task

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def _login(client, *, staff: bool, remember: bool = True):
    user = UserFactory(email="an@example.be", is_staff=staff)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    response = client.post(
        "/en/accounts/login/",
        {"login": user.email, "password": PASSWORD, "remember": "on" if remember else ""},
    )
    assert response.status_code == 302
    client.get("/en/")  # a request after sign-in, as the browser makes
    return user


def test_a_signed_in_session_is_stored_with_its_login(client):
    user = _login(client, staff=False)

    session = LoginSession.objects.get(session_key=client.session.session_key)

    assert session.user == user


def test_a_customer_who_asks_to_be_remembered_stays_signed_in_for_two_weeks(client):
    _login(client, staff=False, remember=True)

    session = LoginSession.objects.get(session_key=client.session.session_key)

    assert session.expire_date > timezone.now() + dt.timedelta(days=13)
    assert client.session.get_expire_at_browser_close() is False


def test_a_staff_session_ends_with_the_browser_and_within_the_staff_limit(client):
    _login(client, staff=True, remember=True)

    session = LoginSession.objects.get(session_key=client.session.session_key)

    limit = dt.timedelta(seconds=settings.STAFF_SESSION_SECONDS)
    assert session.expire_date <= timezone.now() + limit
    assert client.session.get_expire_at_browser_close() is True
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == ""


def test_a_staff_session_past_its_limit_is_signed_out(client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    _login(client, staff=True)

    time_machine.shift(dt.timedelta(seconds=settings.STAFF_SESSION_SECONDS + 60))
    response = client.get("/admin/")

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_expired_sessions_are_deleted_and_live_ones_kept():
    user = UserFactory()
    now = timezone.now()
    LoginSession.objects.create(
        session_key="a" * 32, session_data="", expire_date=now - dt.timedelta(minutes=1), user=user
    )
    LoginSession.objects.create(
        session_key="b" * 32, session_data="", expire_date=now + dt.timedelta(hours=1)
    )

    deleted = sessions_clear_expired_task()

    assert deleted == 1
    assert list(LoginSession.objects.values_list("session_key", flat=True)) == ["b" * 32]


def test_the_nightly_schedule_clears_expired_sessions():
    entry = settings.CELERY_BEAT_SCHEDULE["sessions-clear-expired"]

    assert entry["task"] == "velux_privacy.tasks.sessions_clear_expired_task"
