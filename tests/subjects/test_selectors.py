"""Collecting everything held on one subject through the data map (GDPR Art. 15, 20)."""

import pytest
from django.utils import translation

from subjects.models import BrowsingEvent
from subjects.selectors import subject_data_collect
from tests.subjects.factories import (
    BrowsingEventFactory,
    DataSubjectFactory,
    DeviceIdentifierFactory,
    OrderFactory,
    OrderLineFactory,
    SurveyResponseFactory,
)

pytestmark = pytest.mark.django_db


def test_collect_returns_each_category_held_with_its_rows():
    subject = DataSubjectFactory(email="an@example.com")
    order = OrderFactory(subject=subject, number="BE-1")
    OrderLineFactory(order=order, product_code="GGL MK06")
    BrowsingEventFactory.create_batch(3, subject=subject)

    data = subject_data_collect(subject=subject)

    by_key = {c.key: c for c in data.categories}
    assert set(by_key) == {"identity", "orders", "order_lines", "browsing_history"}
    assert by_key["identity"].rows[0]["email"] == "an@example.com"
    assert by_key["orders"].rows[0]["number"] == "BE-1"
    assert by_key["order_lines"].rows[0]["order__number"] == "BE-1"
    assert by_key["browsing_history"].total == 3


def test_collect_never_includes_another_subjects_rows():
    subject = DataSubjectFactory()
    other = DataSubjectFactory()
    OrderFactory(subject=other, number="BE-OTHER")
    BrowsingEventFactory(subject=other, path="/other-person")

    data = subject_data_collect(subject=subject)

    assert [c.key for c in data.categories] == ["identity"]
    assert data.categories[0].rows[0]["email"] == subject.email


def test_portability_collects_only_what_the_person_provided():
    subject = DataSubjectFactory()
    BrowsingEventFactory(subject=subject)
    SurveyResponseFactory(subject=subject, comment="Vlot geplaatst")

    data = subject_data_collect(subject=subject, provided_only=True)

    by_key = {c.key: c for c in data.categories}
    assert "browsing_history" not in by_key  # observed, not provided
    assert "created_at" not in by_key["identity"].rows[0]
    assert by_key["identity"].rows[0]["email"] == subject.email
    assert by_key["survey_responses"].rows[0]["comment"] == "Vlot geplaatst"


def test_a_limit_cuts_the_rows_shown_but_the_total_counts_all():
    subject = DataSubjectFactory()
    BrowsingEventFactory.create_batch(7, subject=subject)

    data = subject_data_collect(subject=subject, limit_per_category=5)

    browsing = next(c for c in data.categories if c.key == "browsing_history")
    assert len(browsing.rows) == 5
    assert browsing.total == 7


def test_labelled_rows_show_translated_labels_and_choice_names():
    subject = DataSubjectFactory()
    BrowsingEventFactory(subject=subject, event_type=BrowsingEvent.EventType.DOWNLOAD)
    OrderLineFactory(order=OrderFactory(subject=subject, number="BE-7"))

    data = {c.key: c for c in subject_data_collect(subject=subject).categories}

    with translation.override("en"):
        browsing = dict(data["browsing_history"].labelled_rows()[0])
        line = dict(data["order_lines"].labelled_rows()[0])
    assert browsing["event"] == "download"
    assert line["order number"] == "BE-7"


def test_a_browsing_event_never_exports_another_persons_device():
    subject = DataSubjectFactory()
    other_device = DeviceIdentifierFactory(value="cookie-of-someone-else")
    BrowsingEventFactory(subject=subject, device=other_device)

    data = subject_data_collect(subject=subject)

    assert "cookie-of-someone-else" not in repr(data.categories)


def test_categories_are_grouped_under_each_purpose_in_policy_order():
    subject = DataSubjectFactory()
    OrderFactory(subject=subject)
    BrowsingEventFactory(subject=subject)

    grouped = subject_data_collect(subject=subject).by_purpose()

    sections = [purpose.section for purpose, _ in grouped]
    assert sections == sorted(sections)
    keys_by_section = {purpose.section: [c.key for c in data] for purpose, data in grouped}
    assert keys_by_section["2.3"] == ["identity", "orders"]
    assert keys_by_section["2.5"] == ["identity", "browsing_history"]


def test_identity_is_shown_only_under_the_purposes_the_persons_data_serves():
    subject = DataSubjectFactory()
    OrderFactory(subject=subject)

    grouped = subject_data_collect(subject=subject).by_purpose()

    assert [purpose.section for purpose, _ in grouped] == ["2.3"]


def test_a_person_with_only_contact_details_is_shown_under_one_purpose():
    subject = DataSubjectFactory()

    grouped = subject_data_collect(subject=subject).by_purpose()

    assert [(purpose.section, [c.key for c in data]) for purpose, data in grouped] == [
        ("2.1", ["identity"])
    ]
