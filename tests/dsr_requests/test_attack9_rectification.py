"""Attack 9: rectification (GDPR Art. 16) corrects what VELUX holds on the person, never the
records that prove what happened: the consent ledger and the state derived from it (a
consent is given or withdrawn, with its evidence, never "corrected" into existence) and the
corrections of another request."""

import pytest

from consent.models import ConsentEvent, ConsentState
from consent.services import consent_give
from dsr_requests.models import RectificationItem
from dsr_requests.rectification import RectificationInvalid, rectification_items_propose
from dsr_requests.workflow import Kind, State
from tests.dsr_requests.factories import RightsRequestFactory
from tests.subjects.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    subject = DataSubjectFactory(email="lotte@example.be")
    consent_give(subject=subject, purpose="email_marketing", channel="web")
    earlier = RightsRequestFactory(subject=subject, kind=Kind.RECTIFICATION, state=State.VERIFIED)
    rectification_items_propose(rights_request=earlier, items=[("identity", "city", "Gent")])
    return subject


@pytest.mark.parametrize(
    ("category", "field", "value"),
    [
        ("consent_ledger", "action", "withdrawn"),
        ("consent_states", "status", "withdrawn"),
        ("rights_request_corrections", "proposed_value", "Brussel"),
    ],
)
def test_records_of_consent_and_of_other_requests_are_not_rectifiable(
    person, category, field, value
):
    assert ConsentEvent.objects.filter(subject=person).count() == 1
    assert ConsentState.objects.filter(subject=person).count() == 1
    rights_request = RightsRequestFactory(
        subject=person, kind=Kind.RECTIFICATION, state=State.VERIFIED
    )

    with pytest.raises(RectificationInvalid) as refused:
        rectification_items_propose(rights_request=rights_request, items=[(category, field, value)])

    assert f"{category}.{field}" in refused.value.fields
    assert not RectificationItem.objects.filter(rights_request=rights_request).exists()


def test_the_identity_is_still_rectifiable(person):
    rights_request = RightsRequestFactory(
        subject=person, kind=Kind.RECTIFICATION, state=State.VERIFIED
    )

    (item,) = rectification_items_propose(
        rights_request=rights_request, items=[("identity", "last_name", "Peeters")]
    )

    assert (item.category, item.field, item.proposed_value) == ("identity", "last_name", "Peeters")
