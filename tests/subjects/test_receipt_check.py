"""`receipt_check EMAIL` tells an auditor whether and when a person was erased."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from subjects.services import ErasureCause, subject_erase
from tests.subjects.factories import (
    BrowsingEventFactory,
    DataSubjectFactory,
    OrderFactory,
    OrderLineFactory,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def _check(*arguments: str) -> str:
    out = io.StringIO()
    call_command("receipt_check", *arguments, stdout=out)
    return out.getvalue()


def test_an_erased_person_is_found_by_their_address_in_any_case():
    subject = DataSubjectFactory(email="an.peeters@example.be")
    BrowsingEventFactory(subject=subject)
    subject_erase(subject=subject, cause=ErasureCause("rights_request", "VP-2026-000042"), now=NOW)

    output = _check("An.Peeters@Example.BE")

    assert output.startswith("2026-11-25T10:00:00+00:00  erased  (")
    assert "VP-2026-000042" in output


def test_a_person_erased_in_part_is_shown_so_with_what_was_kept():
    subject = DataSubjectFactory(email="an@example.be")
    BrowsingEventFactory(subject=subject)
    OrderLineFactory(order=OrderFactory(subject=subject, status="open"))
    subject_erase(subject=subject, cause=ErasureCause("rights_request", "VP-1"), now=NOW)

    [line] = _check("an@example.be", "--json").splitlines()

    receipt = json.loads(line)
    assert receipt["subject_deleted"] is False
    assert receipt["rows_kept"] == 2  # the open order and its line
    assert "erased in part, 2 rows kept" in _check("an@example.be")


def test_someone_never_erased_is_not_found():
    subject = DataSubjectFactory(email="an@example.be")
    BrowsingEventFactory(subject=subject)
    subject_erase(subject=subject, cause=ErasureCause("inactivity", "run-1"), now=NOW)

    assert _check("someone.else@example.be") == "No erasure is recorded for this address.\n"
