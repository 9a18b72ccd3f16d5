"""The purpose and recipient registers seeded by `subjects/migrations/0002_seed_registers.py`
(policy §2.1-2.8 and §4)."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from subjects.models import LegalBasis, Purpose, PurposeCode, Recipient

LANGUAGES = ("nl", "fr", "de", "en")

seed_migration = importlib.import_module("subjects.migrations.0002_seed_registers")


def _historical_apps():
    loader = MigrationLoader(connection)
    return loader.project_state(("subjects", "0002_seed_registers")).apps


@pytest.mark.django_db
def test_every_policy_purpose_is_in_the_register_with_its_basis():
    register = {p.code: (p.section, p.legal_basis) for p in Purpose.objects.all()}

    assert register == {
        PurposeCode.COMMERCIAL_ACTIVITY: ("2.1", LegalBasis.CONTRACT),
        PurposeCode.ANSWERING_REQUESTS: ("2.2", LegalBasis.CONTRACT),
        PurposeCode.CUSTOMERS: ("2.3", LegalBasis.CONTRACT),
        PurposeCode.BUSINESS_DEVELOPMENT: ("2.4", LegalBasis.LEGITIMATE_INTEREST),
        PurposeCode.COMMERCIAL_COMMUNICATION: ("2.5", LegalBasis.CONSENT),
        PurposeCode.SURVEYS: ("2.6", LegalBasis.LEGITIMATE_INTEREST),
        PurposeCode.CANDIDATES: ("2.7", LegalBasis.CONTRACT),
        PurposeCode.LEGAL_OBLIGATIONS: ("2.8", LegalBasis.LEGAL_OBLIGATION),
    }


@pytest.mark.django_db
def test_only_commercial_communication_requires_consent():
    consent_based = [p.code for p in Purpose.objects.all() if p.requires_consent]

    assert consent_based == [PurposeCode.COMMERCIAL_COMMUNICATION]


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_purpose_is_named_described_and_says_whose_data_in_each_language(language):
    missing = [
        (purpose.section, field)
        for purpose in Purpose.objects.all()
        for field in ("name", "description", "data_subjects")
        if not (getattr(purpose, f"{field}_{language}") or "").strip()
    ]

    assert Purpose.objects.count() == 8
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_recipient_is_described_in_each_language(language):
    undescribed = [
        r.name
        for r in Recipient.objects.all()
        if not (getattr(r, f"description_{language}") or "").strip()
    ]

    assert Recipient.objects.count() == 11
    assert undescribed == []


@pytest.mark.django_db
def test_only_snapengage_and_showpad_are_outside_the_eea_and_neither_relies_on_being_inside():
    outside = {r.name: r.transfer_safeguard for r in Recipient.objects.all() if r.outside_eea}

    assert outside == {
        "SnapEngage": Recipient.TransferSafeguard.STANDARD_CONTRACTUAL_CLAUSES,
        "Showpad": Recipient.TransferSafeguard.STANDARD_CONTRACTUAL_CLAUSES,
    }


@pytest.mark.django_db
def test_no_recipient_relies_on_the_privacy_shield():
    safeguards = set(Recipient.objects.values_list("transfer_safeguard", flat=True))

    assert safeguards <= set(Recipient.TransferSafeguard.values)
    assert not any("shield" in safeguard.lower() for safeguard in safeguards)


@pytest.mark.django_db
def test_every_transfer_outside_the_eea_explains_its_safeguard():
    notes = {r.name: r.safeguard_note for r in Recipient.objects.all() if r.outside_eea}

    assert set(notes) == {"SnapEngage", "Showpad"}
    for note in notes.values():
        assert "standard contractual clauses" in note
        assert "Schrems II" in note
        assert "not relied on" in note


@pytest.mark.django_db
def test_every_seeded_recipient_passes_validation():
    errors = {}
    for recipient in Recipient.objects.all():
        try:
            recipient.full_clean()
        except ValidationError as error:
            errors[recipient.name] = error.message_dict

    assert errors == {}


@pytest.mark.django_db
def test_advertisers_and_social_networks_require_consent():
    consent_only = set(
        Recipient.objects.filter(requires_consent=True).values_list("category", flat=True)
    )

    assert consent_only == {
        Recipient.Category.ADVERTISERS,
        Recipient.Category.SOCIAL_NETWORKS,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("category", "sections"),
    [
        (Recipient.Category.GROUP_PARENT, ["2.2", "2.4", "2.5", "2.6"]),
        (Recipient.Category.GROUP_SALES, ["2.2"]),
        (Recipient.Category.INSTALLERS_DISTRIBUTORS, ["2.2", "2.3"]),
        (Recipient.Category.ADVERTISERS, ["2.5"]),
        (Recipient.Category.SOCIAL_NETWORKS, ["2.5"]),
        (Recipient.Category.AUTHORITIES, ["2.8"]),
    ],
)
def test_recipients_receive_data_for_the_purposes_the_policy_names(category, sections):
    recipient = Recipient.objects.get(category=category)

    assert sorted(recipient.purposes.values_list("section", flat=True)) == sections


@pytest.mark.django_db
def test_authorities_receive_data_only_under_a_legal_obligation():
    bases = set(
        Purpose.objects.filter(recipients__role=Recipient.Role.AUTHORITY).values_list(
            "legal_basis", flat=True
        )
    )

    assert bases == {LegalBasis.LEGAL_OBLIGATION}


def test_a_us_recipient_marked_inside_the_eea_is_refused():
    recipient = Recipient(
        name="US chat vendor",
        category=Recipient.Category.WEB_CHAT,
        role=Recipient.Role.PROCESSOR,
        country="us",
        transfer_safeguard=Recipient.TransferSafeguard.WITHIN_EEA,
    )

    with pytest.raises(ValidationError) as refused:
        recipient.clean()

    assert list(refused.value.message_dict) == ["transfer_safeguard"]


@pytest.mark.parametrize(
    ("country", "safeguard"),
    [
        ("us", Recipient.TransferSafeguard.STANDARD_CONTRACTUAL_CLAUSES),
        ("US", Recipient.TransferSafeguard.EU_US_DPF),
        ("be", Recipient.TransferSafeguard.WITHIN_EEA),
    ],
)
def test_a_recipient_with_a_fitting_safeguard_is_accepted(country, safeguard):
    recipient = Recipient(
        name="Vendor",
        category=Recipient.Category.WEB_CHAT,
        role=Recipient.Role.PROCESSOR,
        country=country,
        transfer_safeguard=safeguard,
    )

    recipient.clean()

    assert recipient.country == country.upper()


@pytest.mark.django_db
def test_seeding_again_changes_nothing():
    purposes_before = set(Purpose.objects.values_list("pk", "code", "name_fr"))
    recipients_before = set(Recipient.objects.values_list("pk", "name", "purposes__section"))

    seed_migration.seed_registers(_historical_apps(), SimpleNamespace(connection=connection))

    assert set(Purpose.objects.values_list("pk", "code", "name_fr")) == purposes_before
    assert (
        set(Recipient.objects.values_list("pk", "name", "purposes__section")) == recipients_before
    )


@pytest.mark.django_db
def test_unseeding_deletes_only_the_seeded_rows():
    added_by_staff = Recipient.objects.create(
        name="Printing house",
        category=Recipient.Category.SUBCONTRACTORS,
        role=Recipient.Role.PROCESSOR,
    )

    # The consent register names recipients: reversing the migrations reverses it first.
    consent_seed = importlib.import_module("consent.migrations.0002_seed_consent_register")
    consent_seed.unseed(django_apps, SimpleNamespace(connection=connection))
    seed_migration.unseed_registers(_historical_apps(), SimpleNamespace(connection=connection))

    assert Purpose.objects.count() == 0
    assert list(Recipient.objects.values_list("pk", flat=True)) == [added_by_staff.pk]
