"""`in_array`: a long IN list as one parameter on PostgreSQL, the plain IN elsewhere."""

import pytest

from subjects.models import DataSubject
from tests.subjects.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db


def test_in_array_finds_exactly_the_rows_listed():
    people = DataSubjectFactory.create_batch(4)

    found = DataSubject.objects.filter(pk__in_array=[people[0].pk, people[2].pk, 999_999])

    assert set(found) == {people[0], people[2]}


@pytest.mark.parametrize(
    "email",
    ['"quoted, comma"@example.be', "back\\slash@example.be", "{braces}@example.be", "plain@x.be"],
)
def test_in_array_quotes_text_values_whatever_they_hold(email):
    wanted = DataSubject.objects.create(email=email)
    DataSubjectFactory()

    found = DataSubject.objects.filter(email__in_array=[email, "someone@else.be"])

    assert list(found) == [wanted]


def test_an_empty_list_matches_nothing():
    DataSubjectFactory()

    assert DataSubject.objects.filter(pk__in_array=[]).count() == 0
    assert DataSubject.objects.exclude(pk__in_array=[]).count() == 1
