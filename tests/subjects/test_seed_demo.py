"""The demo data set: `seed_demo` fills the data map with Belgian demo people, only in a demo
database. Its speed is measured in bench/seed_demo.py, not here."""

import datetime as dt
import io
import re

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from subjects.datamap import datamap
from subjects.management.commands.seed_demo import INSERT_ORDER
from subjects.models import DataSubject, LegalHold, Order
from tests.subjects.factories import (
    ApplicationFactory,
    BrowsingEventFactory,
    BusinessContactFactory,
    ContactRequestFactory,
    DataSubjectFactory,
    DeviceIdentifierFactory,
    LegalHoldFactory,
    OrderFactory,
    OrderLineFactory,
    SurveyResponseFactory,
    UserFactory,
)
from velux_privacy.models import User

pytestmark = pytest.mark.django_db

# Categories the demo legitimately leaves empty.
OPTIONAL_CATEGORIES = {
    # allauth confirms an e-mail by a signed link (HMAC) and stores no row for it; the demo
    # logins are verified already.
    "login_email_confirmations",
    # Made by signing in, and by an erasure that kept something back.
    "login_sessions",
    "erasures_pending",
    # Made by enrolling a second factor (staff must; demo customers have not).
    "login_authenticators",
}
# Apps above `subjects` (imports run one way, DESIGN.md): seed_demo, in `subjects`, cannot
# create their rows without importing them.
APPS_ABOVE_SUBJECTS = {"consent", "dsr_requests", "retention"}


def seed(*arguments: str) -> str:
    output = io.StringIO()
    call_command("seed_demo", *arguments, stdout=output)
    return output.getvalue()


def row_counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in INSERT_ORDER}


def test_demo_data_fills_every_category_of_the_data_map():
    seed("--subjects", "30")

    empty = []
    for category in datamap.categories():
        if category.key in OPTIONAL_CATEGORIES:
            continue
        if category.model._meta.app_label in APPS_ABOVE_SUBJECTS:
            continue
        lookup = f"{category.subject_path}__email" if category.subject_path else "email"
        rows = category.model._default_manager.filter(**{f"{lookup}__endswith": "@demo.example"})
        if not rows.exists():
            empty.append(category.key)
    assert empty == []
    assert DataSubject.objects.count() == 30


def test_every_demo_email_is_at_demo_example_and_unique():
    seed("--subjects", "40")

    emails = list(DataSubject.objects.values_list("email", flat=True))
    assert len(emails) == 40
    assert all(re.fullmatch(r"[a-z0-9-]+\.[a-z0-9-]+\.\d+@demo\.example", e) for e in emails)
    assert len(set(emails)) == len(emails)


def test_a_second_run_adds_other_people():
    seed("--subjects", "10")
    seed("--subjects", "10")

    emails = list(DataSubject.objects.values_list("email", flat=True))
    assert len(set(emails)) == 20


def test_the_same_seed_on_an_empty_database_gives_the_same_people():
    def people():
        return list(
            DataSubject.objects.order_by("email").values_list("email", "phone", "street", "city")
        )

    seed("--subjects", "10", "--seed", "7")
    first = people()
    # Orders and legal holds protect their subject from deletion.
    Order.objects.all().delete()
    LegalHold.objects.all().delete()
    DataSubject.objects.all().delete()
    User.objects.all().delete()
    seed("--subjects", "10", "--seed", "7")

    assert people() == first


def region(postal_code: str) -> str:
    code = int(postal_code)
    if code < 1300:
        return "Brussels"
    if code < 1500 or (4000 <= code < 8000 and not 4700 <= code < 4800):
        return "Wallonia"
    return "East Belgium" if 4700 <= code < 4800 else "Flanders"


def test_each_language_community_lives_where_its_language_is_spoken():
    seed("--subjects", "60")

    homes = {"nl": {"Flanders", "Brussels"}, "fr": {"Wallonia", "Brussels"}}
    homes["de"] = {"East Belgium", "Wallonia"}
    people = DataSubject.objects.exclude(postal_code="")
    assert {p.preferred_language for p in people} == {"nl", "fr", "de"}
    for person in people:
        assert region(person.postal_code) in homes[person.preferred_language]
        assert person.phone.startswith("+32 ")


def test_dates_spread_over_three_years_and_some_people_are_inactive_for_over_two():
    now = timezone.now()
    seed("--subjects", "30")

    subjects = DataSubject.objects.all()
    assert not subjects.filter(created_at__lt=now - dt.timedelta(days=3 * 366)).exists()
    assert not subjects.filter(created_at__gt=now).exists()
    assert subjects.filter(last_activity_at__lt=now - dt.timedelta(days=2 * 366)).exists()
    assert subjects.filter(last_activity_at__gt=now - dt.timedelta(days=90)).exists()


def _login_with_another_address() -> None:
    login = UserFactory(email="lotte.peeters.1@demo.example")
    EmailAddress.objects.create(user=login, email="lotte.peeters@example.com", verified=True)


SUBJECT_OUTSIDE_DEMO = r"data subjects whose e-mail is not @demo\.example"
ANONYMISED_ORDER = r"orders with no data subject \(anonymised orders\)"
# Data seed_demo did not make, and the reason its refusal gives.
NON_DEMO_DATA = [
    pytest.param(
        lambda: DataSubjectFactory(email="lotte.peeters@example.com"),
        SUBJECT_OUTSIDE_DEMO,
        id="subject",
    ),
    pytest.param(
        lambda: User.objects.create_superuser("dpo@velux.example", "a long passphrase 42"),
        r"logins whose e-mail is not @demo\.example",
        id="staff_login",
    ),
    pytest.param(
        _login_with_another_address,
        r"login e-mail addresses not at @demo\.example",
        id="login_email_address",
    ),
    pytest.param(lambda: OrderFactory(subject=None), ANONYMISED_ORDER, id="anonymised_order"),
    pytest.param(
        lambda: OrderLineFactory(order__subject=None),
        ANONYMISED_ORDER,
        id="line_of_anonymised_order",
    ),
    *(
        pytest.param(factory, SUBJECT_OUTSIDE_DEMO, id=factory._meta.model.__name__)
        for factory in (
            BusinessContactFactory,
            ContactRequestFactory,
            OrderFactory,
            OrderLineFactory,
            DeviceIdentifierFactory,
            BrowsingEventFactory,
            SurveyResponseFactory,
            ApplicationFactory,
            LegalHoldFactory,
        )
    ),
]


@pytest.mark.parametrize(("make_data", "reason"), NON_DEMO_DATA)
def test_refuses_a_database_holding_data_that_is_not_demo_data(make_data, reason):
    make_data()
    before = row_counts()

    with pytest.raises(CommandError, match=reason) as refused:
        seed("--subjects", "5")

    message = str(refused.value)
    assert "does not look like a demo database, so no demo data was added" in message
    assert "--allow-non-demo-data" in message
    assert row_counts() == before


@pytest.mark.parametrize(("make_data", "reason"), NON_DEMO_DATA)
def test_allow_non_demo_data_adds_demo_people_beside_any_other_data(make_data, reason):
    make_data()
    before = row_counts()

    seed("--subjects", "5", "--allow-non-demo-data")

    assert DataSubject.objects.filter(email__endswith="@demo.example").count() == 5
    assert DataSubject.objects.count() == before["DataSubject"] + 5


def test_the_refusal_names_every_kind_of_data_found():
    DataSubjectFactory(email="lotte.peeters@example.com")
    OrderFactory(subject=None)

    with pytest.raises(CommandError) as refused:
        seed("--subjects", "5")

    assert str(refused.value).startswith(
        "This database holds data subjects whose e-mail is not @demo.example; "
        "orders with no data subject (anonymised orders): "
    )


def test_demo_orders_anonymised_by_erasure_are_still_demo_data():
    seed("--subjects", "5")
    Order.objects.update(subject=None, anonymised_at=timezone.now())

    seed("--subjects", "5")

    assert DataSubject.objects.count() == 10


def test_only_an_orders_link_to_its_subject_may_be_empty():
    """The refusal trusts foreign keys: each seeded row but a subject or login points, by a
    link that cannot be empty, at another seeded row; an order's subject is the exception."""
    categories = {category.model: category for category in datamap.categories()}
    empty_links = set()
    for model in INSERT_ORDER:
        if model in (DataSubject, User):
            continue
        link = model._meta.get_field(categories[model].subject_path.split("__")[0])
        assert link.related_model in INSERT_ORDER
        if link.null:
            empty_links.add(f"{model.__name__}.{link.name}")

    assert empty_links == {"Order.subject"}


def test_if_empty_does_nothing_once_demo_subjects_exist():
    seed("--subjects", "10", "--if-empty")
    before = row_counts()

    output = seed("--subjects", "10", "--if-empty")

    assert row_counts() == before
    assert before["DataSubject"] == 10
    assert "nothing to do" in output


def test_if_empty_does_nothing_although_a_non_demo_subject_joined_the_demo():
    seed("--subjects", "10")
    DataSubjectFactory(email="tried.the.form@example.com")

    seed("--subjects", "10", "--if-empty")

    assert DataSubject.objects.count() == 11


def test_the_demo_staff_login_exists_and_can_log_in(client, settings):
    settings.DEBUG = True  # as under `make run`
    output = seed("--subjects", "1")

    staff = User.objects.get(email="staff@demo.example")
    assert staff.is_staff
    assert staff.is_superuser
    assert client.login(email="staff@demo.example", password="velux-demo-staff")
    assert "staff@demo.example / velux-demo-staff" in output


def test_the_demo_staff_login_is_left_alone_when_it_exists():
    User.objects.create_user("staff@demo.example", "changed-by-staff")

    seed("--subjects", "1")

    assert User.objects.get(email="staff@demo.example").check_password("changed-by-staff")


def test_demo_customers_cannot_log_in():
    seed("--subjects", "20")

    customers = User.objects.exclude(email="staff@demo.example")
    assert customers.exists()
    assert not any(user.has_usable_password() for user in customers)


def test_no_order_stores_more_than_the_last_four_card_digits():
    seed("--subjects", "40")

    orders = list(Order.objects.values_list("payment_card_brand", "payment_card_last4"))
    assert any(last4 for _brand, last4 in orders)
    for brand, last4 in orders:
        assert re.fullmatch(r"\d{4}", last4) if brand else last4 == ""


def test_the_summary_counts_the_rows_created():
    output = seed("--subjects", "12")

    assert "DataSubject 12," in output
    assert re.search(r"Demo data created in \d+\.\d s", output)


@pytest.mark.django_db
def test_no_demo_staff_login_is_made_with_debug_off(settings):
    settings.DEBUG = False
    out = io.StringIO()

    call_command("seed_demo", "--subjects", "3", stdout=out)

    assert not User.objects.filter(email="staff@demo.example").exists()
    assert "createsuperuser" in out.getvalue()


@pytest.mark.django_db
def test_an_older_demo_staff_login_gets_the_verified_address_sign_in_needs(client, settings):
    settings.DEBUG = True
    staff = User.objects.create_superuser("staff@demo.example", "velux-demo-staff")

    call_command("seed_demo", "--subjects", "1", stdout=io.StringIO())

    assert EmailAddress.objects.filter(user=staff, verified=True, primary=True).count() == 1
    signed_in = client.post(
        "/en/accounts/login/", {"login": "staff@demo.example", "password": "velux-demo-staff"}
    )
    assert signed_in.status_code == 302


def test_no_demo_browsing_is_recorded_after_an_objection_to_business_development():
    from django.db.models import Max

    from subjects.models import ProcessingLimit, PurposeCode

    seed("--subjects", "30")

    objections = ProcessingLimit.objects.filter(purpose=PurposeCode.BUSINESS_DEVELOPMENT)
    assert objections.exists()
    for objection in objections:
        last = objection.subject.browsing_events.aggregate(last=Max("occurred_at"))["last"]
        assert last is None or last <= objection.started_at
