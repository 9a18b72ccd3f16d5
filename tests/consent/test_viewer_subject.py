"""The signed-in person's data subject, read once per request with the re-consent question
(`consent.selectors.subject_of_viewer`), shared by the pages and the re-consent banner."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consent.models import PolicyVersion, ReconsentRequest
from consent.selectors import subject_of_viewer
from subjects.models import DataSubject
from tests.dsr_requests.factories import RightsRequestFactory
from tests.subjects.factories import DataSubjectFactory, UserFactory

pytestmark = pytest.mark.django_db

BANNER = "Please confirm your choices"
# A read of a subject by its login: `... FROM "subjects_datasubject" WHERE
# "subjects_datasubject"."user_id" = 7 ...`, or `= %s` as a compiled statement is logged (not
# the map's queries that join subjects).
SUBJECT_BY_LOGIN = re.compile(
    r'FROM "subjects_datasubject" WHERE \(?"subjects_datasubject"\."user_id" = (\d|%s)'
)

# The question "is a re-consent request of theirs open?" (not the map's rows of them).
OPEN_RECONSENT = re.compile(r'FROM "consent_reconsentrequest".*"answered_at" IS NULL', re.S)


def _reconsent_open(subject) -> ReconsentRequest:
    version = PolicyVersion.objects.create(
        number="2027-01",
        effective_on=timezone.localdate(),
        summary="Nieuwe ontvangers.",
        url="https://www.velux.be/nl-be/privacybeleid-2027",
        material=True,
    )
    return ReconsentRequest.objects.create(subject=subject, policy_version=version)


def _reads_of_subject(client, path) -> tuple[int, str]:
    """How often the page read the person's subject, and the page. The re-consent question
    is asked in that same read, never in a query of its own."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    reads = [q["sql"] for q in captured if SUBJECT_BY_LOGIN.search(q["sql"])]
    asks = [q["sql"] for q in captured if OPEN_RECONSENT.search(q["sql"])]
    assert asks == reads, path
    return len(reads), response.content.decode()


def test_each_page_of_the_person_reads_their_subject_once_and_asks_the_open_reconsent(
    client, customer, subject
):
    asked = _reconsent_open(subject)
    rights_request = RightsRequestFactory(subject=subject)
    client.force_login(customer)

    for path in ("/en/my-data/", "/en/requests/", f"/en/requests/{rights_request.reference}/"):
        reads, page = _reads_of_subject(client, path)
        assert reads == 1, path  # the page's own read serves the banner too
        assert BANNER in page, path

    asked.answered_at = timezone.now()
    asked.save()
    reads, page = _reads_of_subject(client, "/en/my-data/")
    assert reads == 1
    assert BANNER not in page
    assert rights_request.reference in client.get("/en/requests/").content.decode()


def test_the_subject_is_the_viewers_own_and_read_once_per_viewer(django_assert_num_queries):
    lotte = DataSubjectFactory(email="lotte@example.be", user=UserFactory(email="lotte@example.be"))
    DataSubjectFactory(email="jan@example.be", user=UserFactory(email="jan@example.be"))
    _reconsent_open(lotte)
    viewer = lotte.user.__class__.objects.get(pk=lotte.user.pk)  # as a request loads it

    with django_assert_num_queries(1):
        found = subject_of_viewer(viewer)
        assert subject_of_viewer(viewer) is found
    assert found.pk == lotte.pk
    assert found.reconsent_open is True

    nobodys = UserFactory(email="nobody@example.be")
    with django_assert_num_queries(1):
        assert subject_of_viewer(nobodys) is None
        assert subject_of_viewer(nobodys) is None  # "no one" is remembered too

    from django.contrib.auth.models import AnonymousUser

    with django_assert_num_queries(0):
        assert subject_of_viewer(AnonymousUser()) is None
        assert subject_of_viewer(None) is None


def test_the_compiled_read_gives_the_subject_as_the_orm_does():
    """Read by a statement compiled once for a stand-in login: every field as the ORM gives
    it (dates, times, the login), a saved instance, no open question for Jan."""
    jan = DataSubjectFactory(email="jan@example.be", user=UserFactory(email="jan@example.be"))
    DataSubjectFactory(email="lotte@example.be", user=UserFactory(email="lotte@example.be"))

    found = subject_of_viewer(jan.user.__class__.objects.get(pk=jan.user.pk))

    expected = DataSubject.objects.get(pk=jan.pk)
    for field in DataSubject._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert found.reconsent_open is False
    assert found._state.adding is False
    found.first_name = "Jan-Willem"
    found.save(update_fields=["first_name"])  # an UPDATE of that row, never an INSERT
    assert DataSubject.objects.filter(first_name="Jan-Willem").count() == 1


def test_a_login_linked_to_no_one_sees_no_data_and_no_banner(client, subject):
    _reconsent_open(subject)  # someone else's question
    stranger = UserFactory(email="stranger@example.be")
    client.force_login(stranger)

    page = client.get("/en/my-data/").content.decode()

    assert "We hold no personal data linked to your account" in page
    assert BANNER not in page
    assert subject.email not in page
