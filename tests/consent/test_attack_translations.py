"""Every text a person reads about a consent exists in nl, fr, de and en (SPECS.md: every
customer-facing page in the four languages): the admin refuses a text left out in one."""

import pytest

from consent.models import ConsentPurpose

pytestmark = pytest.mark.django_db


def _change_form_data(admin_client, url, purpose):
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "recipients": [r.pk for r in purpose.recipients.all()],
            "cookie_names": '["_ga"]',
            "consent_mode_signals": '["analytics_storage"]',
            "purpose_categories": '["16 - Improve Performance"]',
            "pii_categories": '["15 - Behavioral"]',
            "versions-TOTAL_FORMS": "1",
            "versions-INITIAL_FORMS": "1",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
        }
    )
    for key in ("in_cookie_banner", "gpc_opt_out", "is_active"):
        if not data.get(key):
            data.pop(key, None)
    return data


@pytest.mark.parametrize("field", ["description_de", "name_fr", "description_en"])
def test_a_consent_text_left_empty_in_one_language_is_refused(admin_client, field):
    """Defect: only the Dutch text was required; a German-speaking person was shown the
    Dutch fallback of a consent text, and their receipt named a text they never read in
    their language, as a new version of the consent."""
    purpose = ConsentPurpose.objects.get(code="analytics_cookies")
    url = f"/admin/consent/consentpurpose/{purpose.pk}/change/"
    data = _change_form_data(admin_client, url, purpose)
    data[field] = ""

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    purpose.refresh_from_db()
    assert purpose.version == 1
    assert getattr(purpose, field)
