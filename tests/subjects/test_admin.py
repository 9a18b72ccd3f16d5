"""The staff admin: every register and personal-data model, and the data subject's page showing
everything held on the person through the data map."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from modeltranslation.utils import get_translation_fields

from subjects.models import (
    Application,
    ContactRequest,
    DataSubject,
    DeletionReceipt,
    ErasurePending,
    LegalBasis,
    LegalHold,
    Order,
    OrderLine,
    Purpose,
    PurposeCode,
    Recipient,
)
from tests.staff import staff_second_factor
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
    ProcessingLimitFactory,
    SurveyResponseFactory,
)
from velux_privacy.models import User

pytestmark = pytest.mark.django_db

SUBJECTS_ADMINS = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "subjects"),
    key=lambda model: model._meta.model_name,
)


# Erasure goes through subject_erase (holds, keep rules, a receipt): no admin deletes these.
# The recipient register is not personal data; its rows may be deleted.
UNDELETABLE_ADMINS = [model for model in SUBJECTS_ADMINS if model is not Recipient]


SERVICE_WRITTEN = {DeletionReceipt, ErasurePending}


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def staff_client(admin_client):
    """A superuser's client that reads the admin in English, whatever the default language."""
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return admin_client


def _purpose(code: str, name: str) -> Purpose:
    """The register row for `code`, with one name in every language (seeded or not)."""
    names = {field: name for field in get_translation_fields("name")}
    purpose, _created = Purpose.objects.update_or_create(
        code=code,
        defaults={
            "section": PurposeCode(code).label,
            "legal_basis": LegalBasis.CONTRACT,
            "name": name,
            **names,
        },
    )
    return purpose


def _subject_with_data() -> DataSubject:
    """A customer with an order, 25 browsing events (/page-00 oldest … /page-24 newest) and a
    survey response."""
    subject = DataSubjectFactory(email="lotte.peeters@example.com")
    order = OrderFactory(subject=subject, number="BE-00000042")
    OrderLineFactory(order=order, product_code="GGL MK06 2070")
    start = timezone.now() - timedelta(days=30)
    for index in range(25):
        BrowsingEventFactory(
            subject=subject, path=f"/page-{index:02d}", occurred_at=start + timedelta(hours=index)
        )
    SurveyResponseFactory(subject=subject, comment="Vlot geplaatst, top service")
    return subject


def test_every_subjects_model_is_in_the_admin():
    models = set(apps.get_app_config("subjects").get_models())

    assert models == set(SUBJECTS_ADMINS)


@pytest.mark.parametrize("model", SUBJECTS_ADMINS, ids=lambda model: model._meta.model_name)
def test_each_subjects_changelist_answers_a_superuser(staff_client, model):
    response = staff_client.get(_url(model, "changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", SUBJECTS_ADMINS, ids=lambda model: model._meta.model_name)
def test_each_subjects_add_page_answers_a_superuser(staff_client, model):
    response = staff_client.get(_url(model, "add"))

    # Receipts and pending erasures are written by the erase service only.
    assert response.status_code == (403 if model in SERVICE_WRITTEN else 200)


@pytest.mark.parametrize(
    ("query", "expected_email"),
    [
        ("anna.janssens@example", "anna.janssens@example.com"),
        ("ANNA.JANSSENS", "anna.janssens@example.com"),
        ("Anna Janssens", "anna.janssens@example.com"),
        ("Peeters", "lotte@example.com"),
    ],
)
def test_subjects_are_found_by_email_or_name(staff_client, query, expected_email):
    DataSubjectFactory(email="anna.janssens@example.com", first_name="Anna", last_name="Janssens")
    DataSubjectFactory(email="lotte@example.com", first_name="Lotte", last_name="Peeters")

    response = staff_client.get(_url(DataSubject, "changelist"), {"q": query})

    assert [subject.email for subject in response.context["cl"].result_list] == [expected_email]


def test_subject_list_shows_the_columns_staff_work_with(staff_client):
    DataSubjectFactory(email="anna@example.com", first_name="Anna", last_name="Janssens")

    response = staff_client.get(_url(DataSubject, "changelist"))

    headers = [str(header["text"]) for header in response.context["result_headers"]]
    assert headers == [
        "ID",
        "e-mail address",
        "name",
        "city",
        "preferred language",
        "created on",
        "last website activity",
    ]
    assert "Anna Janssens" in response.content.decode()


def test_subject_page_shows_each_category_held_under_its_purpose(staff_client):
    for code, name in [
        (PurposeCode.CUSTOMERS, "Customers"),
        (PurposeCode.COMMERCIAL_COMMUNICATION, "Commercial communication"),
        (PurposeCode.SURVEYS, "Surveys"),
    ]:
        _purpose(code, name)
    subject = _subject_with_data()

    response = staff_client.get(_url(DataSubject, "change", subject.pk))

    assert response.status_code == 200
    sections = {
        section.heading: [table.label for table in section.categories]
        for section in response.context["personal_data"].sections
    }
    assert sections["§2.3 Customers"] == ["identity and contact details", "order lines", "orders"]
    assert sections["§2.5 Commercial communication"] == [
        "identity and contact details",
        "browsing history",
    ]
    assert sections["§2.6 Surveys"] == ["identity and contact details", "survey responses"]
    html = response.content.decode()
    for heading in ["§2.3 Customers", "§2.5 Commercial communication", "§2.6 Surveys"]:
        assert f'<h3 class="personal-data-purpose-heading">{heading}</h3>' in html
    for key, label in [
        ("identity", "Identity and contact details"),
        ("orders", "Orders"),
        ("order_lines", "Order lines"),
        ("browsing_history", "Browsing history"),
        ("survey_responses", "Survey responses"),
    ]:
        assert f'<h4 id="personal-data-{key}">{label}</h4>' in html
    assert "BE-00000042" in html
    assert "Vlot geplaatst, top service" in html


def test_subject_page_shows_the_newest_20_browsing_events_and_the_total(staff_client):
    subject = _subject_with_data()

    response = staff_client.get(_url(DataSubject, "change", subject.pk))

    html = response.content.decode()
    assert "25 rows held, the first 20 shown." in html
    shown = [f"/page-{index:02d}" for index in range(25) if f"/page-{index:02d}<" in html]
    assert shown == [f"/page-{index:02d}" for index in range(5, 25)]
    assert html.index("/page-24<") < html.index("/page-05<")


def test_subject_page_never_shows_another_subjects_data(staff_client):
    subject = _subject_with_data()
    other = DataSubjectFactory(email="someone.else@example.com", phone="+32 499 99 99 99")
    OrderFactory(subject=other, number="BE-OTHER-0001")
    BrowsingEventFactory(subject=other, path="/another-persons-page")
    SurveyResponseFactory(subject=other, comment="Another person's comment")

    response = staff_client.get(_url(DataSubject, "change", subject.pk))

    html = response.content.decode()
    assert "lotte.peeters@example.com" in html
    for value in [
        "someone.else@example.com",
        "+32 499 99 99 99",
        "BE-OTHER-0001",
        "/another-persons-page",
        "Another person&#x27;s comment",
    ]:
        assert value not in html


def test_subject_page_links_each_category_to_its_admin_list_of_this_subjects_rows(staff_client):
    subject = _subject_with_data()
    OrderFactory(number="BE-OTHER-0001")  # another subject's
    BrowsingEventFactory()  # another subject's

    response = staff_client.get(_url(DataSubject, "change", subject.pk))

    tables = {
        table.key: table
        for section in response.context["personal_data"].sections
        for table in section.categories
        if not table.shown_under
    }
    counts = {
        key: staff_client.get(tables[key].changelist_url).context["cl"].result_count
        for key in ["orders", "order_lines", "browsing_history", "survey_responses"]
    }
    assert counts == {"orders": 1, "order_lines": 1, "browsing_history": 25, "survey_responses": 1}
    assert tables["identity"].changelist_url is None


def test_subject_add_page_has_no_personal_data_section(staff_client):
    response = staff_client.get(_url(DataSubject, "add"))

    assert "personal_data" not in response.context
    assert "Personal data held, by purpose" not in response.content.decode()


def test_subject_with_the_same_email_in_another_case_is_refused_in_the_admin(staff_client):
    first = staff_client.post(
        _url(DataSubject, "add"),
        {"email": "Anna@Example.COM ", "preferred_language": "nl", "country": "BE"},
    )
    second = staff_client.post(
        _url(DataSubject, "add"),
        {"email": "ANNA@example.com", "preferred_language": "fr", "country": "BE"},
    )

    assert first.status_code == 302
    assert second.status_code == 200
    form = second.context["adminform"].form
    assert form.non_field_errors() == ["A data subject with this e-mail address exists."]
    assert list(DataSubject.objects.values_list("email", flat=True)) == ["anna@example.com"]


def test_subject_login_is_shown_as_a_link_to_the_login(staff_client):
    login = User.objects.create_user(email="customer@example.com")
    subject = DataSubjectFactory(email="customer@example.com", user=login)

    response = staff_client.get(_url(DataSubject, "change", subject.pk))

    link = f'<a href="{_url(User, "change", login.pk)}">Login #{login.pk}</a>'
    assert link in response.content.decode()
    assert "user" not in response.context["adminform"].form.fields


@pytest.mark.parametrize("linked", [False, True], ids=["no login", "own login"])
def test_subject_login_cannot_be_changed_in_the_admin(staff_client, admin_user, linked):
    own_login = User.objects.create_user(email="customer@example.com") if linked else None
    subject = DataSubjectFactory(email="customer@example.com", user=own_login)

    response = staff_client.post(
        _url(DataSubject, "change", subject.pk),
        {
            "email": "customer@example.com",
            "preferred_language": "nl",
            "country": "BE",
            "user": admin_user.pk,
        },
    )

    assert response.status_code == 302
    subject.refresh_from_db()
    assert subject.user == own_login


def test_subject_added_in_the_admin_is_stored_with_a_normalised_email(staff_client):
    response = staff_client.post(
        _url(DataSubject, "add"),
        {"email": "  Anna.Janssens@Example.com ", "preferred_language": "fr", "country": "BE"},
    )

    assert response.status_code == 302
    assert list(DataSubject.objects.values_list("email", flat=True)) == [
        "anna.janssens@example.com"
    ]


def _undeletable_row(model):
    """A row the data map keeps: held, open, under contract or in the books where it can be."""
    today = timezone.localdate()
    if model is Purpose:
        return _purpose(PurposeCode.CUSTOMERS, "Customers")
    if model is DataSubject:
        return DataSubjectFactory()
    if model is LegalHold:
        return LegalHoldFactory()
    if model is Order:
        return OrderFactory(status=Order.Status.OPEN)
    if model is OrderLine:
        return OrderLineFactory(order=OrderFactory(status=Order.Status.OPEN))
    factories = {
        "application": lambda: ApplicationFactory(status=Application.Status.RECEIVED),
        "browsingevent": BrowsingEventFactory,
        "businesscontact": lambda: BusinessContactFactory(
            contract_start=today - timedelta(days=30), contract_end=None
        ),
        "contactrequest": lambda: ContactRequestFactory(status=ContactRequest.Status.OPEN),
        "deviceidentifier": DeviceIdentifierFactory,
        "surveyresponse": SurveyResponseFactory,
        "processinglimit": ProcessingLimitFactory,
        "deletionreceipt": lambda: DeletionReceipt.objects.create(
            subject_hash="0" * 64, cause="inactivity", summary={}, subject_deleted=True
        ),
        "erasurepending": lambda: ErasurePending.objects.create(
            subject=DataSubjectFactory(), cause="rights_request", kept_for=["open_order"]
        ),
    }
    row = factories[model._meta.model_name]()
    if hasattr(row, "subject"):
        LegalHoldFactory(subject=row.subject)
    return row


@pytest.mark.parametrize("model", UNDELETABLE_ADMINS, ids=lambda model: model._meta.model_name)
def test_personal_data_cannot_be_deleted_in_the_admin(staff_client, model):
    obj = _undeletable_row(model)

    response = staff_client.post(_url(model, "delete", obj.pk), {"post": "yes"})

    assert response.status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", UNDELETABLE_ADMINS, ids=lambda model: model._meta.model_name)
def test_personal_data_changelists_offer_no_delete_action(staff_client, model):
    _undeletable_row(model)

    response = staff_client.get(_url(model, "changelist"))

    action_form = response.context["action_form"]
    actions = [] if action_form is None else dict(action_form.fields["action"].choices)
    assert "delete_selected" not in actions


def test_recipients_may_be_deleted_in_the_admin(staff_client):
    recipient = Recipient.objects.create(
        name="Drukkerij Peeters", category=Recipient.Category.SUBCONTRACTORS, role="processor"
    )

    response = staff_client.post(_url(Recipient, "delete", recipient.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Recipient.objects.filter(pk=recipient.pk).exists()


def test_order_lines_cannot_be_deleted_from_their_order(staff_client):
    line = OrderLineFactory(order=OrderFactory(status=Order.Status.OPEN))

    response = staff_client.get(_url(Order, "change", line.order.pk))

    [lines] = response.context["inline_admin_formsets"]
    assert lines.formset.model is OrderLine
    assert lines.formset.can_delete is False


def test_legal_hold_added_in_the_admin_records_who_placed_it(staff_client, admin_user):
    subject = DataSubjectFactory()

    response = staff_client.post(
        _url(LegalHold, "add"),
        {
            "subject": subject.pk,
            "legal_reference": "Art. 10 WIB 92",
            "reason": "Fiscal inquiry",
            "authority": "FOD Financiën",
        },
    )

    assert response.status_code == 302
    hold = LegalHold.objects.get()
    assert (hold.subject, hold.placed_by, hold.released_at) == (subject, admin_user, None)


def test_logins_are_found_by_email(staff_client):
    User.objects.create_user(email="staff.member@example.com")
    User.objects.create_user(email="customer@example.com")

    response = staff_client.get(_url(User, "changelist"), {"q": "staff.member"})

    assert [login.email for login in response.context["cl"].result_list] == [
        "staff.member@example.com"
    ]


def test_login_added_in_the_admin_has_a_lower_case_email_and_its_password(staff_client):
    response = staff_client.post(
        _url(User, "add"),
        {
            "email": "New.Staff@Example.com",
            "usable_password": "true",
            "password1": "a long and unusual passphrase 42",
            "password2": "a long and unusual passphrase 42",
        },
    )

    assert response.status_code == 302
    login = User.objects.get(email="new.staff@example.com")
    assert login.check_password("a long and unusual passphrase 42")


def test_login_change_page_links_to_its_data_subject(staff_client):
    login = User.objects.create_user(email="customer@example.com")
    subject = DataSubjectFactory(email="customer@example.com", user=login)

    response = staff_client.get(_url(User, "change", login.pk))

    assert response.status_code == 200
    link = f'<a href="{_url(DataSubject, "change", subject.pk)}">Data subject #{subject.pk}</a>'
    assert link in response.content.decode()


def test_apps_above_subjects_offer_their_actions_on_the_subject_page(staff_client, monkeypatch):
    from subjects import admin as subjects_admin

    subject = DataSubjectFactory()
    actions = [
        lambda request, obj: ("Record a consent", f"/admin/record/{obj.pk}/"),
        lambda request, obj: None,  # an action this staff member may not take
    ]
    monkeypatch.setattr(subjects_admin, "subject_page_actions", actions)

    response = staff_client.get(_url(DataSubject, "change", subject.pk))

    assert response.context["subject_actions"] == [
        ("Record a consent", f"/admin/record/{subject.pk}/")
    ]
    assert f'href="/admin/record/{subject.pk}/"' in response.content.decode()


# Staff see only what their permissions allow (issue 6).

SECRET = "Qwxzvy"  # a distinctive value in one row of every category


def _subject_with_a_row_in_every_category():
    from allauth.account.models import EmailAddress

    from tests.subjects.factories import DeviceIdentifierFactory, ProcessingLimitFactory

    user = User.objects.create_user(email=f"{SECRET.lower()}@example.com", first_name=SECRET)
    EmailAddress.objects.create(user=user, email=user.email, verified=True)
    subject = DataSubjectFactory(email=user.email, first_name=SECRET, user=user)
    BusinessContactFactory(subject=subject, company_name=f"{SECRET} BV")
    ContactRequestFactory(subject=subject, message=SECRET)
    order = OrderFactory(subject=subject, number=f"{SECRET}-1", status=Order.Status.OPEN)
    OrderLineFactory(order=order, description=SECRET)
    DeviceIdentifierFactory(subject=subject, value=f"cookie-{SECRET}")
    BrowsingEventFactory(subject=subject, path=f"/{SECRET}")
    SurveyResponseFactory(subject=subject, comment=SECRET)
    ApplicationFactory(subject=subject, experience=SECRET)
    LegalHoldFactory(subject=subject, reason=SECRET)
    ProcessingLimitFactory(subject=subject, reason=SECRET)
    return subject


def _staff_with(*codenames: str, email: str = "agent@velux.example") -> User:
    from django.contrib.auth.models import Permission

    staff = User.objects.create_user(email=email, is_staff=True)
    for codename in codenames:
        app_label, name = codename.split(".")
        staff.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=name)
        )
    return staff


CATEGORY_PERMISSIONS = [
    ("business_contacts", "subjects.view_businesscontact", f"{SECRET} BV"),
    ("contact_requests", "subjects.view_contactrequest", SECRET),
    ("orders", "subjects.view_order", f"{SECRET}-1"),
    ("order_lines", "subjects.view_orderline", SECRET),
    ("device_identifiers", "subjects.view_deviceidentifier", f"cookie-{SECRET}"),
    ("browsing_history", "subjects.view_browsingevent", f"/{SECRET}"),
    ("survey_responses", "subjects.view_surveyresponse", SECRET),
    ("applications", "subjects.view_application", SECRET),
    ("legal_holds", "subjects.view_legalhold", SECRET),
    ("processing_limits", "subjects.view_processinglimit", SECRET),
    ("login", "velux_privacy.view_user", SECRET),
    ("login_email_addresses", "account.view_emailaddress", f"{SECRET.lower()}@example.com"),
]


def _table(response, key):
    return next(
        table
        for section in response.context["personal_data"].sections
        for table in section.categories
        if table.key == key and not table.shown_under
    )


@pytest.mark.parametrize(
    ("key", "permission", "value"), CATEGORY_PERMISSIONS, ids=[c[0] for c in CATEGORY_PERMISSIONS]
)
def test_the_subject_page_shows_a_categorys_rows_only_to_staff_who_may_view_its_model(
    client, key, permission, value
):
    subject = _subject_with_a_row_in_every_category()
    without = _staff_with("subjects.change_datasubject")
    with_permission = _staff_with(
        "subjects.change_datasubject", permission, email="dpo@velux.example"
    )

    client.force_login(without)
    staff_second_factor(client, without)
    denied = client.get(_url(DataSubject, "change", subject.pk), HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(with_permission)
    staff_second_factor(client, with_permission)
    allowed = client.get(_url(DataSubject, "change", subject.pk), HTTP_ACCEPT_LANGUAGE="en")

    denied_table, allowed_table = _table(denied, key), _table(allowed, key)
    assert (denied_table.withheld, denied_table.rows, denied_table.total) == (True, [], 1)
    assert allowed_table.withheld is False
    assert any(value in str(cell) for row in allowed_table.rows for cell in row)
    assert "Your permissions do not let you see these rows." in denied.content.decode()


def test_staff_who_may_only_change_subjects_read_no_application_or_hold_reason(client):
    subject = _subject_with_a_row_in_every_category()
    staff = _staff_with("subjects.change_datasubject")
    client.force_login(staff)
    staff_second_factor(client, staff)

    response = client.get(_url(DataSubject, "change", subject.pk), HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.status_code == 200
    # The person's own identity is this page; nothing of any other category shows.
    assert html.count(SECRET) == html.count(f'value="{SECRET}"') + html.count(
        f'value="{SECRET.lower()}@example.com"'
    )


def test_every_admin_page_works_for_staff_who_may_only_view(client):
    from django.contrib.auth.models import Permission

    _subject_with_a_row_in_every_category()
    viewer = User.objects.create_user(email="auditor@velux.example", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client.force_login(viewer)
    staff_second_factor(client, viewer)

    failures = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
            HTTP_ACCEPT_LANGUAGE="en",
        )
        if changelist.status_code != 200:
            failures.append((opts.label, "changelist", changelist.status_code))
            continue
        first = model_admin.get_queryset(changelist.wsgi_request).first()
        if first is None:
            continue
        page = client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk]),
            HTTP_ACCEPT_LANGUAGE="en",
        )
        if page.status_code != 200:
            failures.append((opts.label, "change", page.status_code))
    assert failures == []
