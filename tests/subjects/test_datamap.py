"""The data map is complete: no model that reaches a data subject can be forgotten."""

import copy

import pytest
from django.db import models
from django.test.utils import isolate_apps

from subjects.datamap import Anonymise, DataMap, datamap, path_to_subject, unmapped_models
from subjects.models import BrowsingEvent, DataSubject, DeviceIdentifier, Order, OrderLine
from velux_privacy.models import User


def test_every_model_reaching_a_data_subject_is_in_the_data_map():
    assert unmapped_models() == []


def _map_without_browsing_history() -> DataMap:
    partial = copy.deepcopy(datamap)
    partial._categories.pop("browsing_history")
    partial._by_model.pop(BrowsingEvent)
    return partial


def test_completeness_check_names_a_model_left_out_of_the_map():
    assert unmapped_models(_map_without_browsing_history()) == [
        "subjects.BrowsingEvent (reaches a data subject through 'subject'; likely personal data)"
    ]


def test_a_model_declared_free_of_personal_data_passes_the_check():
    partial = _map_without_browsing_history()
    partial.declare_no_personal_data(BrowsingEvent, why="test")

    assert unmapped_models(partial) == []


@pytest.mark.parametrize(
    ("model", "path"),
    [
        (DataSubject, ""),
        (Order, "subject"),
        (OrderLine, "order__subject"),
        (User, "data_subject"),
        ("account.EmailAddress", "user__data_subject"),
    ],
)
def test_path_to_subject_follows_foreign_keys_and_the_login_link(model, path):
    from django.apps import apps

    model = apps.get_model(model) if isinstance(model, str) else model

    assert path_to_subject(model) == path


def test_registering_a_model_twice_is_refused():
    with pytest.raises(ValueError, match="registered twice"):
        datamap.register(
            Order, key="orders_again", purposes=["customers"], subject_path="subject", fields=[]
        )


def test_anonymising_without_unlinking_the_subject_is_refused():
    fresh = DataMap()

    with pytest.raises(ValueError, match="must unlink 'subject'"):
        fresh.register(
            Order,
            key="orders",
            purposes=["customers"],
            subject_path="subject",
            fields=["number"],
            erasure=Anonymise({"delivery_street": ""}),
        )


def test_provided_fields_must_be_exported():
    fresh = DataMap()

    with pytest.raises(ValueError, match="not exported"):
        fresh.register(
            Order,
            key="orders",
            purposes=["customers"],
            subject_path="subject",
            fields=["number"],
            provided=["delivery_street"],
        )


def test_erasure_order_puts_children_before_parents_and_the_subject_last():
    keys = [c.key for c in datamap.erasure_order()]

    assert keys[-1] == "identity"
    assert keys.index("order_lines") < keys.index("orders")
    assert keys.index("login_email_addresses") < keys.index("login")


@isolate_apps("subjects")
def test_a_many_to_many_link_to_subjects_is_a_path_too():
    class Mailing(models.Model):
        recipients = models.ManyToManyField(DataSubject)

        class Meta:
            app_label = "subjects"

        def __str__(self) -> str:
            return f"Mailing #{self.pk}"

    assert path_to_subject(Mailing) == "recipients"


@pytest.mark.parametrize("devices_first", [True, False])
def test_rows_that_refer_to_others_are_erased_first_whatever_the_registration_order(
    devices_first,
):
    fresh = DataMap()
    register = {
        "devices": lambda: fresh.register(
            DeviceIdentifier, key="devices", purposes=["x"], subject_path="subject", fields=[]
        ),
        "browsing": lambda: fresh.register(
            BrowsingEvent, key="browsing", purposes=["x"], subject_path="subject", fields=[]
        ),
    }
    for key in ("devices", "browsing") if devices_first else ("browsing", "devices"):
        register[key]()

    assert [c.key for c in fresh.erasure_order()] == ["browsing", "devices"]


def test_a_consent_purpose_must_be_one_of_the_categorys_purposes():
    fresh = DataMap()

    with pytest.raises(ValueError, match="consent purpose"):
        fresh.register(
            BrowsingEvent,
            key="browsing",
            purposes=["business_development"],
            consent_purpose="commercial_communication",
            subject_path="subject",
            fields=[],
        )


# The rule is total: a new model of any kind fails the check until someone decides.


@isolate_apps("subjects")
def test_a_model_with_an_email_column_and_no_link_is_named_as_likely_personal_data():
    class NewsletterSignup(models.Model):  # noqa: DJ008
        address = models.EmailField()

        class Meta:
            app_label = "subjects"

    assert unmapped_models(models_=[NewsletterSignup]) == [
        "subjects.NewsletterSignup (e-mail fields address; likely personal data)"
    ]


@isolate_apps("subjects")
def test_a_model_with_a_generic_foreign_key_is_named_as_likely_personal_data():
    from django.contrib.contenttypes.fields import GenericForeignKey
    from django.contrib.contenttypes.models import ContentType

    class Note(models.Model):  # noqa: DJ008
        content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
        object_id = models.PositiveIntegerField()
        about = GenericForeignKey("content_type", "object_id")

        class Meta:
            app_label = "subjects"

    assert unmapped_models(models_=[Note]) == [
        "subjects.Note (generic foreign keys about; likely personal data)"
    ]


@isolate_apps("subjects")
def test_a_model_with_json_and_no_link_is_named_as_likely_personal_data():
    class Job(models.Model):  # noqa: DJ008
        arguments = models.JSONField()

        class Meta:
            app_label = "subjects"

    assert unmapped_models(models_=[Job]) == [
        "subjects.Job (JSON fields arguments; likely personal data)"
    ]


@isolate_apps("subjects")
def test_a_model_only_pointed_at_by_a_subjects_row_is_not_forgotten():
    class Voucher(models.Model):  # noqa: DJ008
        code = models.CharField(max_length=12)

        class Meta:
            app_label = "subjects"

    class Gift(models.Model):  # noqa: DJ008
        subject = models.ForeignKey(DataSubject, on_delete=models.CASCADE)
        voucher = models.ForeignKey(Voucher, on_delete=models.CASCADE)

        class Meta:
            app_label = "subjects"

    assert unmapped_models(models_=[Voucher, Gift]) == [
        "subjects.Gift (reaches a data subject through 'subject'; likely personal data)",
        "subjects.Voucher (pointed at by subjects.Gift, which reaches a data subject; "
        "likely personal data)",
    ]


def test_every_installed_model_is_examined_third_party_and_many_to_many_tables_included():
    from django.apps import apps

    examined = set(apps.get_models(include_auto_created=True))
    labels = {model._meta.label for model in examined}

    assert {"velux_privacy.LoginSession", "django_celery_beat.PeriodicTask"} <= labels
    assert {"velux_privacy.User_groups", "subjects.Recipient_purposes"} <= labels
    assert all(datamap.is_declared(model) for model in examined)


def test_declaring_a_model_free_of_personal_data_needs_a_reason():
    fresh = DataMap()

    with pytest.raises(ValueError, match="say why"):
        fresh.declare_no_personal_data(Order, why=" ")


@pytest.mark.django_db
def test_one_subjects_rows_are_the_rows_of_a_batch_of_one():
    """`rows_for` finds one person's rows by `=` (an index then serves a page of them); they
    are exactly the rows of a batch of that one person, e-mail matches included, and nobody
    else's."""
    from tests.dsr_requests.factories import RightsRequestFactory
    from tests.subjects.factories import (
        BrowsingEventFactory,
        DataSubjectFactory,
        OrderLineFactory,
    )

    person = DataSubjectFactory(email="person@example.be")
    stranger = DataSubjectFactory(email="stranger@example.be")
    for someone in (person, stranger):
        BrowsingEventFactory(subject=someone)
        OrderLineFactory(order__subject=someone)
        RightsRequestFactory(subject=someone, email=someone.email)
        RightsRequestFactory(subject=None, email=someone.email)

    for category in datamap.categories():
        one = set(category.rows_for(person).values_list("pk", flat=True))
        batch = set(
            category.rows_for_batch([person.pk], [person.email]).values_list("pk", flat=True)
        )
        assert one == batch, category.key
    requests = datamap.category("rights_requests").rows_for(person)
    assert sorted(requests.values_list("email", flat=True)) == ["person@example.be"] * 2
    assert datamap.category("identity").rows_for(person).get() == person
