"""The choices' labels (velux_privacy.choices): what Django's own get_FOO_display() says."""

from functools import partialmethod

import pytest
from django.apps import apps
from django.db.models import Model
from django.utils import translation

from dsr_requests.models import RightsRequest
from dsr_requests.workflow import Kind, State
from subjects.models import Recipient
from velux_privacy.apps import PROJECT_APPS


def _django_says(instance, field) -> str:
    return Model._get_FIELD_display(instance, field)


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_every_label_of_every_project_model_is_djangos_own_in_every_language(language):
    checked = 0
    with translation.override(language):
        for model in apps.get_models():
            if model._meta.app_label not in PROJECT_APPS:
                continue
            for field in model._meta.concrete_fields:
                if not field.choices or field.model is not model:
                    continue
                for value in [*dict(field.flatchoices), "not-a-choice"]:
                    instance = model(**{field.attname: value})
                    said = getattr(instance, f"get_{field.name}_display")()
                    assert said == _django_says(instance, field), (model, field.name, value)
                    checked += 1
    assert checked > 100  # the registers, the requests, their trail: many fields with choices
    # and each was given the mapping's lookup, not Django's rebuilding of the choices
    assert not isinstance(RightsRequest.__dict__["get_kind_display"], partialmethod)


def test_the_label_follows_the_active_language_and_the_value_it_is_given():
    rights_request = RightsRequest(kind=Kind.ACCESS, state=State.COMPLETED)
    with translation.override("nl"):
        assert rights_request.get_kind_display() == "inzage"
    with translation.override("fr"):
        dutch_or_french = rights_request.get_kind_display()
    assert dutch_or_french != "inzage"
    rights_request.kind = Kind.ERASURE
    with translation.override("en"):
        assert rights_request.get_kind_display() == "erasure"
    assert Recipient(category=None).get_category_display() is None  # as Django: the value
