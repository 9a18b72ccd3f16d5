"""The cookie banner asks again when what it showed changes, the vendors included."""

import pytest

from consent.models import ConsentPurpose
from subjects.models import Recipient

pytestmark = pytest.mark.django_db


def _version(client):
    return client.get("/consent/banner/config/?lang=en").json()["version"]


def test_a_new_vendor_in_a_category_asks_again(client):
    """Defect: the banner's version followed only the categories' texts. A vendor added to
    "analytics" (a new ad network, a US tool) was covered by every choice stored before, under
    a version that claimed the person had seen it."""
    before = _version(client)
    analytics = ConsentPurpose.objects.get(code="analytics_cookies")
    vendor = Recipient.objects.exclude(pk__in=analytics.recipients.all()).first()

    analytics.recipients.add(vendor)

    assert _version(client) != before


def test_the_version_stays_while_nothing_shown_changes(client):
    assert _version(client) == _version(client)
