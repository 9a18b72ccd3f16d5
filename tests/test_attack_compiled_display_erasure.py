"""Attack on four commits:

- d3bc586 `subjects.compiled.statements_run`: RawCursor on SQL converted to $n, C loader of
  timestamptz;
- 31238c1 `centre.display`: dates printed by one str.format template;
- 974badf `subjects.services._ErasureRun.find_holding`: categories holding nothing skipped;
- 38e2c59 `dsr_requests.selectors.rights_request_timeline`: three compiled statements.

Each test compares with an oracle: Django's own cursor or ORM, Django's `date` filter and
`dateformat`, the erasure walked in full (find_holding switched off), the timeline as the ORM
built it before the commit.
"""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.admin.models import LogEntry
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.template.defaultfilters import date as date_filter
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext_lazy

from centre.display import _formatter, display_formatter, display_value
from centre.selectors import PAGE_SIZE, _category_pages
from consent.models import ConsentEvent
from consent.services import consent_give
from dsr_requests.models import (
    AuditAction,
    AuditEvent,
    NotificationSend,
    RequestAttachment,
    RequestMessage,
    RightsRequest,
)
from dsr_requests.selectors import (
    _STAFF_ONLY_ACTIONS,
    TimelineEntry,
    _event_detail,
    _person_sees,
    rights_request_timeline,
)
from dsr_requests.services import rights_request_ask, rights_request_note
from dsr_requests.workflow import Kind, State
from subjects import compiled
from subjects.compiled import NATIVE_SQL_KEPT, statements_run
from subjects.datamap import datamap
from subjects.models import (
    DataSubject,
    DeletionReceipt,
    ErasurePending,
    Order,
    SurveyResponse,
)
from subjects.services import ErasureCause, _ErasureRun, subject_erase, subjects_erase
from tests.dsr_requests.factories import RightsRequestFactory, staff_in
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

pytestmark = pytest.mark.django_db

UTC = dt.UTC
BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
CAUSE = ErasureCause(kind="rights_request", reference="R-ATTACK")
LANGUAGES = ["nl", "fr", "de", "en"]


@pytest.fixture
def dpo(db):
    from dsr_requests import roles

    return staff_in(roles.DPO, email="dpo@velux.example")


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


def _django_rows(sql, params):
    """The rows Django's own cursor gives for (sql, params): the oracle of statements_run."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _same_values(got, want):
    """Equal, of the same types, datetimes with the same tzinfo object."""
    assert got == want
    for got_row, want_row in zip(got, want, strict=True):
        for a, b in zip(got_row, want_row, strict=True):
            assert type(a) is type(b), (a, b)
            if isinstance(b, dt.datetime):
                assert a.tzinfo is b.tzinfo, (a, b)
                assert a.utcoffset() == b.utcoffset()
            if isinstance(b, list):
                _same_values([tuple(a)], [tuple(b)])


# ---------------------------------------------------------------------------------------------
# d3bc586: statements_run


def _rich_person():
    """A person with values of every kind in the categories "my data" prints: aware
    datetimes around a DST change, dates (Feb 29), decimals, JSON, NULLs, booleans, text with
    percent signs and dollar placeholders."""
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=False)
    subject = DataSubjectFactory(email=user.email, user=user, city="100% Brussel $1 %s %%")
    BusinessContactFactory(subject=subject, notes="50%% off, %s, $1, {0}")
    ContactRequestFactory(subject=subject, message="%(name)s % %% $2")
    order = OrderFactory(
        subject=subject,
        placed_at=dt.datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC),
        total_amount=Decimal("1234567.89"),
        delivered_at=None,
        invoiced_on=dt.date(2024, 2, 29),
    )
    OrderLineFactory(order=order, unit_price=Decimal("0.01"), description="'; DROP %s --")
    OrderLineFactory(order=order, unit_price=Decimal("-3.50"), description="$1$2$$")
    device = DeviceIdentifierFactory(subject=subject)
    for minute in (0, 30, 59):
        BrowsingEventFactory(
            subject=subject,
            device=device,
            path=f"/100%/{minute}/%s/$1",
            occurred_at=dt.datetime(2026, 10, 25, 0, minute, tzinfo=UTC),
        )
    BrowsingEventFactory(
        subject=subject, device=device, occurred_at=dt.datetime(999, 1, 1, 0, 0, tzinfo=UTC)
    )
    SurveyResponseFactory(
        subject=subject,
        answers={"q1": "%s", "q2": [1, 2.5, None, True], "q3": {"nested": "$1"}, "q4": None},
        comment="",
        rating=None,
    )
    SurveyResponseFactory(subject=subject, answers=[], comment="%%")
    ApplicationFactory(subject=subject)
    LegalHoldFactory(subject=subject, released_at=NOW - dt.timedelta(days=1))
    consent_give(subject=subject, purpose="email_marketing", channel=ConsentEvent.Channel.WEB)
    request = RightsRequestFactory(subject=subject, kind=Kind.ACCESS, details="100%% sure %s")
    RequestMessage.objects.create(
        rights_request=request, kind=RequestMessage.Kind.FROM_PERSON, body="%s %% $1"
    )
    NotificationSend.objects.create(
        rights_request=request,
        kind=NotificationSend.Kind.ACKNOWLEDGEMENT,
        status=NotificationSend.Status.SENT,
        sent_at=dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
    )
    return subject


def test_every_category_page_gives_the_values_and_types_the_orm_gives():
    subject = _rich_person()
    other = _rich_person()
    entries = [c for c in datamap.categories() if c.fields]

    pages = _category_pages(subject, [(entry, 0) for entry in entries])

    for entry, rows in zip(entries, pages, strict=True):
        names = [f.name for f in entry.fields]
        expected = list(
            entry.rows_for(subject).order_by(*entry.page_order).values(*names)[:PAGE_SIZE]
        )
        assert rows == expected, entry.key
        for got, want in zip(rows, expected, strict=True):
            for name in names:
                assert type(got[name]) is type(want[name]), (entry.key, name)
                if isinstance(want[name], dt.datetime):
                    assert got[name].tzinfo is want[name].tzinfo, (entry.key, name)
    # The other person's rows are theirs only.
    others = _category_pages(other, [(entry, 0) for entry in entries])
    assert others != pages


def test_percent_signs_and_placeholders_in_sql_text_and_in_values_are_kept():
    lotte = DataSubjectFactory(city="%s %% $1 %(x)s 100%")
    sql = (
        "SELECT CAST(%s AS text), '%%s', '%%%%', '100%%', '$1', "
        "city, CAST(%s AS text) || '%%', '%%' || CAST(%s AS text) "
        "FROM subjects_datasubject WHERE id = %s"
    )
    params = ["%s", "$1", "%%", lotte.pk]

    [rows] = statements_run([(sql, params)])

    assert rows == _django_rows(sql, params)
    assert rows == [("%s", "%s", "%%", "100%", "$1", "%s %% $1 %(x)s 100%", "$1%", "%%%")]


def test_many_placeholders_with_escaped_percent_signs_between_them():
    columns = [f"CAST(%s AS integer) + {i}, '%%{i}%%s'" for i in range(200)]
    sql = "SELECT " + ", ".join(columns)
    params = list(range(1000, 1200))

    [rows] = statements_run([(sql, params)])

    assert rows == _django_rows(sql, params)
    assert rows[0][0] == 1000
    assert rows[0][-2] == 1199 + 199
    assert rows[0][-1] == "%199%s"


def test_a_statement_without_parameters_keeps_its_percent_signs_as_djangos_cursor_does():
    # Django's cursor (and psycopg's Cursor that statements_run used before) only reads
    # placeholders and %% when parameters are given: None means the SQL is sent as it is.
    sql = "SELECT '100%%'"

    [rows] = statements_run([(sql, None)])

    assert rows == _django_rows(sql, None)


def test_a_statement_with_an_empty_parameter_list_reads_its_escaped_percent_signs():
    sql = "SELECT '100%%', '%%s'"

    assert statements_run([(sql, [])]) == [_django_rows(sql, [])]
    assert statements_run([(sql, ())]) == [[("100%", "%s")]]


def test_more_distinct_statements_than_kept_each_give_their_own_rows():
    count = NATIVE_SQL_KEPT + 40
    statements = [(f"SELECT CAST(%s AS integer) * {i}, '%%{i}'", [i]) for i in range(count)]

    results = statements_run(statements)
    again = statements_run(statements[:5] + statements[-5:])

    assert results == [[(i * i, f"%{i}")] for i in range(count)]
    assert again == results[:5] + results[-5:]
    assert len(compiled._native_sql) <= NATIVE_SQL_KEPT


def _logged_by_django(sql, params):
    with CaptureQueriesContext(connection) as captured:
        _django_rows(sql, params)
    [query] = captured.captured_queries
    return query["sql"]


def test_statements_run_appears_in_the_query_log_once_per_statement():
    statements = [("SELECT CAST(%s AS integer)", [1]), ("SELECT '%%', CAST(%s AS integer)", [2])]
    with CaptureQueriesContext(connection) as captured:
        assert statements_run(statements) == [[(1,)], [("%", 2)]]
    logged = [q["sql"] for q in captured.captured_queries]
    assert len(logged) == len(statements)
    for sql_logged, (sql, params) in zip(logged, statements, strict=True):
        assert sql_logged in (sql, _logged_by_django(sql, params))


def test_with_debug_the_statements_are_in_connection_queries():
    from django.db import reset_queries

    statement = ("SELECT CAST(%s AS integer)", [7])
    with override_settings(DEBUG=True):
        reset_queries()
        statements_run([statement] * 3)
        logged = [q["sql"] for q in connection.queries]
    assert len(logged) == 3
    assert all(sql in (statement[0], _logged_by_django(*statement)) for sql in logged)


def test_a_failing_statement_raises_djangos_error_and_the_transaction_goes_on_after_rollback():
    lotte = DataSubjectFactory()
    good = ("SELECT email FROM subjects_datasubject WHERE id = %s", [lotte.pk])
    missing = ("SELECT * FROM no_such_table_attack WHERE 1 = %s", [1])

    with pytest.raises(DatabaseError), transaction.atomic():
        statements_run([good, missing, ("SELECT CAST(%s AS integer) + 41", [1])])

    # The outer transaction is usable: the ORM, Django's cursor, statements_run again.
    assert DataSubject.objects.filter(pk=lotte.pk).exists()
    assert statements_run([good, ("SELECT CAST(%s AS integer) + 41", [1])]) == [
        [(lotte.email,)],
        [(42,)],
    ]
    assert _django_rows(*good) == [(lotte.email,)]


@pytest.mark.postgres
def test_a_failure_at_run_time_in_a_pipeline_leaves_every_statement_runnable_again():
    # Parsed (and prepared) fine, fails only when run: the statements after it in the same
    # pipeline never ran; none of them must be taken for prepared afterwards.
    first = ("SELECT CAST(%s AS integer) + 1000001", [1])
    division = ("SELECT 1 / CAST(%s AS integer) + 2000002", [0])
    after = ("SELECT CAST(%s AS integer) + 3000003", [1])

    with pytest.raises(DatabaseError), transaction.atomic():
        statements_run([first, division, after])

    assert statements_run([after]) == [[(3000004,)]]
    assert statements_run([first, after]) == [[(1000002,)], [(3000004,)]]
    assert statements_run([("SELECT 1 / CAST(%s AS integer) + 2000002", [1])]) == [[(2000003,)]]
    assert statements_run([(division[0], [2])]) == [[(2000002,)]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_outside_any_transaction_an_error_leaves_the_connection_idle_and_usable():
    import psycopg

    first = ("SELECT CAST(%s AS integer) + 11", [1])
    division = ("SELECT 1 / CAST(%s AS integer) + 22", [0])
    after = ("SELECT CAST(%s AS integer) + 33", [1])
    assert not connection.in_atomic_block

    with pytest.raises(DatabaseError):
        statements_run([first, division, after])

    assert connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert statements_run([after, first]) == [[(34,)], [(12,)]]
    assert DataSubject.objects.count() >= 0
    with pytest.raises(DatabaseError):
        statements_run([division])
    assert statements_run([(division[0], [1])]) == [[(23,)]]


@pytest.mark.postgres
def test_postgresql_values_come_as_djangos_cursor_gives_them():
    sql = (
        "SELECT CAST(%s AS timestamptz), CAST(%s AS timestamptz), CAST(%s AS timestamptz), "
        "CAST(%s AS timestamptz), CAST(%s AS date), CAST(%s AS numeric), CAST(%s AS jsonb), "
        "CAST(%s AS boolean), CAST(NULL AS timestamptz), "
        "ARRAY[CAST(%s AS timestamptz), CAST(%s AS timestamptz)], CAST(%s AS timestamp), "
        "CAST(%s AS text), CAST(%s AS interval), CAST(%s AS time), CAST(%s AS timetz)"
    )
    params = [
        "2026-03-29 01:59:59.999999+00",
        "0001-01-01 00:00:00+00",
        "9999-12-31 23:59:59.999999+00",
        "2026-10-25 02:30:00+02",
        "2024-02-29",
        "1234567890.123456789",
        '{"a": "%s", "b": [1, 2.5, null], "c": "$1"}',
        "true",
        "2026-10-25 02:30:00+01",
        "1999-12-31 23:59:59+00",
        "2026-03-29 02:30:00",
        "%s",
        "1 day 02:03:04",
        "23:59:59.5",
        "12:00:00+02",
    ]

    [rows] = statements_run([(sql, params)])

    _same_values(rows, _django_rows(sql, params))


@pytest.mark.postgres
def test_an_out_of_range_timestamp_is_refused_as_by_djangos_cursor_and_the_connection_goes_on():
    sql = "SELECT CAST(%s AS timestamptz)"
    with pytest.raises(DatabaseError), transaction.atomic():
        _django_rows(sql, ["infinity"])
    with pytest.raises(DatabaseError), transaction.atomic():
        statements_run([(sql, ["infinity"])])
    assert statements_run([(sql, ["2026-01-01 00:00:00+00"])]) == [
        [(dt.datetime(2026, 1, 1, tzinfo=UTC),)]
    ]


@pytest.mark.postgres
def test_dollar_quoting_and_dollar_signs_next_to_placeholders():
    sql = "SELECT $$%%s$$, $tag$ $1 %%%% $tag$, CAST(%s AS text), '$' || CAST(%s AS text)"
    [rows] = statements_run([(sql, ["x", "y"])])
    assert rows == _django_rows(sql, ["x", "y"])
    assert rows == [("%s", " $1 %% ", "x", "$y")]


# ---------------------------------------------------------------------------------------------
# 31238c1: centre.display


def _moments():
    moments = []
    for start in (
        dt.datetime(2026, 3, 28, 23, 0, tzinfo=UTC),  # spring forward in Brussels (01:00 UTC)
        dt.datetime(2026, 10, 24, 23, 0, tzinfo=UTC),  # fall back (01:00 UTC)
        dt.datetime(2024, 2, 28, 22, 0, tzinfo=UTC),  # Feb 29 in a leap year
        dt.datetime(2025, 12, 31, 22, 0, tzinfo=UTC),  # new year
    ):
        moments += [start + dt.timedelta(minutes=15 * i) for i in range(20)]
    moments += [
        dt.datetime(2026, 1, 5, 9, 5, 7, tzinfo=UTC),
        dt.datetime(2026, 7, 4, 10, 0, tzinfo=UTC),  # local noon in summer
        dt.datetime(2026, 7, 3, 22, 0, tzinfo=UTC),  # local midnight in summer
        dt.datetime(2026, 1, 9, 11, 0, tzinfo=UTC),  # local noon in winter
        dt.datetime(2026, 1, 8, 23, 0, tzinfo=UTC),  # local midnight in winter
        dt.datetime(2026, 1, 8, 23, 0, 1, tzinfo=UTC),
        dt.datetime(2026, 1, 9, 11, 0, 0, 1, tzinfo=UTC),
        dt.datetime(5, 3, 4, 12, 7, tzinfo=UTC),
        dt.datetime(999, 12, 31, 23, 59, tzinfo=UTC),
        dt.datetime(1004, 2, 29, 12, 0, tzinfo=UTC),
        dt.datetime(1, 1, 1, 0, 0, tzinfo=UTC),
        dt.datetime(2026, 6, 1, 12, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York")),
        dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=45))),
    ]
    return moments


DATES = [
    dt.date(1, 1, 1),
    dt.date(9, 9, 9),
    dt.date(999, 2, 3),
    dt.date(2000, 2, 29),
    dt.date(2024, 2, 29),
    dt.date(2026, 1, 5),
    dt.date(2026, 10, 25),
    dt.date(2026, 3, 29),
    dt.date(9999, 12, 31),
]


@pytest.mark.parametrize("language", [*LANGUAGES, None, "nl-be", "fr-be", "de-at", "en-gb"])
@pytest.mark.parametrize("zone", ["Europe/Brussels", "UTC", "Asia/Kolkata", "America/St_Johns"])
def test_display_prints_as_djangos_date_filter_in_every_language_and_zone(language, zone):
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        display = display_formatter()
        for moment in _moments():
            try:
                local = timezone.localtime(moment)
            except OverflowError:  # before year 1 in this zone: Django cannot either
                with pytest.raises(OverflowError):
                    display_value(moment)
                continue
            expected = date_filter(local, "DATETIME_FORMAT")
            assert expected  # the filter printed something
            assert display_value(moment) == expected, (moment, language, zone)
            assert display(moment) == expected
            assert display_value(local) == expected
        for day in DATES:
            expected = date_filter(day, "DATE_FORMAT")
            assert display_value(day) == expected, (day, language)
            assert display([day, day]) == f"{expected}, {expected}"
            assert display({"on": day}) == f"on: {expected}"


FORMATS = [
    r"D, j M Y \a\t H:i:s",
    r"l jS \o\f F Y h:i:s A",
    "jS F Y, P",
    "N j, Y, P",
    r"{0} {1} {} {{}} }{ %s %% $1 \{ \} {d} {0.day}",
    r"\\\Y \\ Y\\",
    "c",
    "r",
    "U",
    "e O T Z I",
    "u f g h a b E L t w W z y o",
    r"\d\j \m\n",
    "d.m.Y",
    "j-n-Y",
    "m/d/Y",
    "y",
    "",
    "Y-m-d H:i:s.u",
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("format_string", FORMATS)
def test_compiled_formats_print_as_djangos_dateformat(language, format_string):
    with translation.override(language):
        formatted = _formatter(format_string)
        for moment in _moments():
            local = moment.astimezone(BRUSSELS)
            assert formatted(local) == dateformat.format(local, format_string), (
                local,
                format_string,
            )


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_date_formats_print_dates_as_djangos_dateformat(language):
    date_formats = ["j F Y", "j. F Y", "N j, Y", "d/m/Y", "D d M y", r"\Y\e\a\r Y, {W} z", "L t"]
    with translation.override(language):
        for format_string in date_formats:
            formatted = _formatter(format_string)
            for day in DATES:
                assert formatted(day) == dateformat.format(day, format_string), (day, format_string)


def test_month_names_follow_the_language_each_formatter_was_made_in():
    moment = dt.datetime(2026, 3, 14, 11, 0, tzinfo=UTC)
    seen = {}
    for language in [*LANGUAGES, *LANGUAGES]:
        with translation.override(language):
            seen.setdefault(language, set()).add(display_value(moment))
            assert display_value(moment) == date_filter(
                timezone.localtime(moment), "DATETIME_FORMAT"
            )
    assert all(len(printed) == 1 for printed in seen.values())
    assert len({next(iter(p)) for p in seen.values()}) == 4


class _NoOffset(dt.tzinfo):
    """A tzinfo that does not know its offset: the datetime is naive (Python, Django)."""

    def utcoffset(self, value):
        return None

    def dst(self, value):
        return None

    def tzname(self, value):
        return None


def test_a_naive_datetime_is_refused_alone_and_inside_lists_and_answers():
    naive = dt.datetime(2026, 3, 14, 11, 0)  # noqa: DTZ001
    for value in (naive, [naive], {"when": naive}, (naive,)):
        with pytest.raises(ValueError, match="naive"):
            display_value(value)


def test_a_datetime_whose_tzinfo_gives_no_offset_is_naive_and_refused():
    # Python and Django call a datetime naive when its utcoffset() is None, tzinfo or not;
    # astimezone() takes such a value for the machine's local time.
    value = dt.datetime(2026, 3, 14, 11, 0, tzinfo=_NoOffset())
    assert timezone.is_naive(value)
    with pytest.raises(ValueError, match="naive"):
        display_value(value)


def test_a_datetime_subclass_is_printed_as_a_datetime():
    class Stamp(dt.datetime):
        pass

    value = Stamp(2026, 10, 25, 0, 30, tzinfo=UTC)
    with translation.override("fr"):
        assert display_value(value) == date_filter(timezone.localtime(value), "DATETIME_FORMAT")


def test_other_values_are_printed_as_before():
    with translation.override("de"):
        assert display_value(None) == "—"
        assert display_value("") == "—"
        assert display_value(True) == str(translation.gettext("yes"))
        assert display_value(Decimal("1234.5")) == "1234,50"
        assert display_value(gettext_lazy("no")) == str(translation.gettext("no"))
        assert display_value(7) == "7"
        assert display_value({"q": None, "r": [1, True]}) == "q: —; r: 1, ja"


# ---------------------------------------------------------------------------------------------
# 974badf: the erasure skips the categories holding nothing on the batch


def _everything(**subject_fields):
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    subject = DataSubjectFactory(email=user.email, user=user, **subject_fields)
    BusinessContactFactory(subject=subject)
    ContactRequestFactory(subject=subject)
    OrderLineFactory(order=OrderFactory(subject=subject, placed_at=NOW - dt.timedelta(days=4000)))
    device = DeviceIdentifierFactory(subject=subject)
    BrowsingEventFactory.create_batch(2, subject=subject, device=device)
    SurveyResponseFactory(subject=subject)
    ApplicationFactory(subject=subject)
    consent_give(subject=subject, purpose="email_marketing", channel=ConsentEvent.Channel.WEB)
    request = RightsRequestFactory(
        subject=subject,
        kind=Kind.ACCESS,
        state=State.COMPLETED,
        closed_at=NOW - dt.timedelta(days=900),
    )
    RequestMessage.objects.create(
        rights_request=request, kind=RequestMessage.Kind.FROM_PERSON, body="mine"
    )
    return subject


def _world():
    """Four people holding different things, a bystander holding everything, rows matched
    only by e-mail (a request and a login linked to nobody)."""
    nothing = DataSubjectFactory()
    survey_only = DataSubjectFactory()
    SurveyResponseFactory(subject=survey_only)
    loose = RightsRequestFactory(
        subject=None,
        email=survey_only.email,
        kind=Kind.ACCESS,
        state=State.COMPLETED,
        closed_at=NOW - dt.timedelta(days=900),
    )
    RequestMessage.objects.create(
        rights_request=loose, kind=RequestMessage.Kind.FROM_PERSON, body="loose"
    )
    NotificationSend.objects.create(
        rights_request=loose,
        kind=NotificationSend.Kind.ACKNOWLEDGEMENT,
        status=NotificationSend.Status.SENT,
        sent_at=NOW - dt.timedelta(days=3),
    )
    loose_login = UserFactory(email=survey_only.email)
    EmailAddress.objects.create(user=loose_login, email=survey_only.email, verified=True)
    open_order = DataSubjectFactory()
    OrderLineFactory(order=OrderFactory(subject=open_order, status=Order.Status.OPEN))
    BrowsingEventFactory(subject=open_order)
    full = _everything()
    bystander = _everything()
    RightsRequestFactory(subject=None, email=bystander.email)
    return [nothing, survey_only, open_order, full], bystander


def _state():
    """Every row of every mapped table (and of the tables an erasure writes), without what
    differs between two runs of the same erasure (new keys, the moment written)."""
    models_ = {c.model for c in datamap.categories()}
    models_ |= {EmailAddress, DeletionReceipt, ErasurePending, LogEntry, DataSubject}
    state = {}
    for model in sorted(models_, key=lambda m: m._meta.label):
        drop = {"id", "erased_at", "recorded_at", "checked_at"}
        if model not in (DeletionReceipt, ErasurePending):
            drop = set()
        rows = [
            {k: v for k, v in row.items() if k not in drop}
            for row in model._base_manager.order_by("pk").values()
        ]
        state[model._meta.label] = sorted(repr(row) for row in rows)
    return state


def _summaries(summaries):
    return {
        pk: (
            s.as_dict(),
            list(s.categories),
            {k: s.categories[k].as_dict() for k in s.categories},
            s.subject_deleted,
            s.held_by,
            s.already_erased,
        )
        for pk, s in summaries.items()
    }


def _erase_skipping_and_walking(monkeypatch, **kwargs):
    """The same erasure twice on the same data, rolled back each time: as committed (empty
    categories skipped) and with every category walked in full."""
    outcomes = []
    for skipping in (True, False):
        savepoint = transaction.savepoint()
        with monkeypatch.context() as patched:
            if not skipping:
                patched.setattr(_ErasureRun, "find_holding", lambda self, categories, ids: None)
            summaries = subjects_erase(cause=CAUSE, now=NOW, **kwargs)
        outcomes.append((_summaries(summaries), _state()))
        transaction.savepoint_rollback(savepoint)
    return outcomes


def test_skipping_empty_categories_concludes_what_walking_them_does(monkeypatch):
    people, _bystander = _world()
    (skipped, skipped_state), (walked, walked_state) = _erase_skipping_and_walking(
        monkeypatch, subject_ids=[p.pk for p in people]
    )
    assert skipped == walked
    assert skipped_state == walked_state


def test_skipping_with_a_legal_hold_in_the_batch(monkeypatch):
    people, _bystander = _world()
    LegalHoldFactory(subject=people[1], released_at=None)
    LegalHoldFactory(subject=people[3], released_at=None)
    (skipped, skipped_state), (walked, walked_state) = _erase_skipping_and_walking(
        monkeypatch, subject_ids=[p.pk for p in people]
    )
    assert skipped == walked
    assert skipped_state == walked_state
    assert skipped[people[1].pk][4]  # held_by
    assert skipped[people[3].pk][4]
    assert DataSubject.objects.filter(pk=people[1].pk).exists()


@pytest.mark.parametrize(
    "purposes",
    [
        ["commercial_communication", "business_development"],
        ["surveys"],
        ["candidates", "commercial_activity"],
        ["customers", "answering_requests"],
        ["legal_obligations"],
    ],
)
def test_skipping_in_an_erasure_for_some_purposes(monkeypatch, purposes):
    people, _bystander = _world()
    (skipped, skipped_state), (walked, walked_state) = _erase_skipping_and_walking(
        monkeypatch, subject_ids=[p.pk for p in people], purposes=purposes
    )
    assert skipped == walked
    assert skipped_state == walked_state


def test_skipping_with_ids_already_erased_and_unknown(monkeypatch):
    people, _bystander = _world()
    gone = DataSubjectFactory()
    subject_erase(subject=gone, cause=CAUSE, now=NOW)
    ids = [p.pk for p in people] + [gone.pk, 10**12]
    (skipped, skipped_state), (walked, walked_state) = _erase_skipping_and_walking(
        monkeypatch, subject_ids=ids
    )
    assert skipped == walked
    assert skipped_state == walked_state
    assert skipped[gone.pk][5] is True  # already_erased
    assert skipped[10**12][5] is True


def test_a_batch_all_held_or_empty_changes_nothing(monkeypatch):
    people, _bystander = _world()
    for person in people:
        LegalHoldFactory(subject=person, released_at=None)
    before = _state()
    summaries = subjects_erase(subject_ids=[p.pk for p in people], cause=CAUSE, now=NOW)
    assert all(s.held_by and not s.subject_deleted for s in summaries.values())
    assert subjects_erase(subject_ids=[], cause=CAUSE, now=NOW) == {}
    after = _state()
    # Only receipts may be new (of what was counted as kept).
    for label in before:
        if label not in (DeletionReceipt._meta.label, ErasurePending._meta.label):
            assert before[label] == after[label], label


def _bystanders_rows(bystander):
    return {c.key: sorted(map(repr, c.rows_for(bystander).values())) for c in datamap.categories()}


def test_after_a_batch_nothing_of_its_people_is_left_and_bystanders_are_untouched(
    django_capture_on_commit_callbacks,
):
    people, bystander = _world()
    request = RightsRequest.objects.filter(subject=people[3]).get()
    attachment = RequestAttachment(
        rights_request=request,
        kind="document",
        original_name="id.pdf",
        content_type="application/pdf",
        size=8,
        sha256="0" * 64,
    )
    attachment.file.save("id.pdf", ContentFile(b"%PDF-1.4"), save=True)
    kept_before = _bystanders_rows(bystander)
    emails = [p.email for p in people]

    with django_capture_on_commit_callbacks(execute=True):
        summaries = subjects_erase(subject_ids=[p.pk for p in people], cause=CAUSE, now=NOW)

    assert _bystanders_rows(bystander) == kept_before
    gone = [p for p in people if summaries[p.pk].subject_deleted]
    assert {p.pk for p in gone} >= {people[0].pk, people[1].pk, people[3].pk}
    for person in gone:
        assert not EmailAddress.objects.filter(email__iexact=person.email).exists()
        assert not UserFactory._meta.model.objects.filter(email__iexact=person.email).exists()
    assert not SurveyResponse.objects.filter(subject_id__in=[p.pk for p in people]).exists()
    assert (
        not RequestMessage.objects.filter(body__in=["loose", "mine"])
        .exclude(rights_request__subject=bystander)
        .exists()
    )
    assert not RightsRequest.objects.filter(email__in=emails).exists()
    if not RequestAttachment.objects.filter(pk=attachment.pk).exists():
        assert not default_storage.exists(attachment.file.name)
    assert summaries[people[0].pk].categories["survey_responses"].is_empty
    assert summaries[people[1].pk].categories["survey_responses"].deleted == 1
    assert summaries[people[2].pk].categories["orders"].kept
    assert summaries[people[3].pk].rows_deleted > 10


def test_one_holder_in_a_batch_of_many_holds_the_category_for_itself_only():
    people = DataSubjectFactory.create_batch(6)
    SurveyResponseFactory.create_batch(3, subject=people[4])
    summaries = subjects_erase(subject_ids=[p.pk for p in people], cause=CAUSE, now=NOW)
    counts = [summaries[p.pk].categories["survey_responses"].deleted for p in people]
    assert counts == [0, 0, 0, 0, 3, 0]
    assert all("survey_responses" in summaries[p.pk].categories for p in people)
    assert all(summaries[p.pk].subject_deleted for p in people)


# ---------------------------------------------------------------------------------------------
# 38e2c59: a request's timeline


def _timeline_by_the_orm(rights_request, for_person=False):
    """rights_request_timeline as it was before 38e2c59 (ORM objects, get_*_display)."""
    entries = []
    events = rights_request.audit_events.select_related("actor").order_by("at", "pk")
    if for_person:
        events = events.exclude(action__in=_STAFF_ONLY_ACTIONS)
    for event in events:
        if for_person:
            actor = _person_sees(event.actor_kind)
        else:
            actor = event.actor.email if event.actor_id else event.get_actor_kind_display()
        detail = _event_detail(
            {
                "details": event.details,
                "action": event.action,
                "from_state": event.from_state,
                "to_state": event.to_state,
            }
        )
        entries.append(
            TimelineEntry(
                at=event.at,
                kind="event",
                title=event.get_action_display(),
                actor=actor,
                detail=detail,
            )
        )
    messages = rights_request.messages.select_related("author").order_by("created_at", "pk")
    if for_person:
        messages = messages.exclude(kind=RequestMessage.Kind.NOTE)
    for message in messages:
        if for_person:
            actor = (
                str(gettext_lazy("VELUX Belgium"))
                if message.kind == RequestMessage.Kind.TO_PERSON
                else str(gettext_lazy("you"))
            )
        else:
            actor = message.author.email if message.author_id else ""
        entries.append(
            TimelineEntry(
                at=message.created_at,
                kind=f"message-{message.kind}",
                title=message.get_kind_display(),
                actor=actor,
                body=message.body,
            )
        )
    notifications = rights_request.notifications.order_by("created_at", "pk")
    if for_person:
        notifications = notifications.filter(status=NotificationSend.Status.SENT)
    for notification in notifications:
        entries.append(
            TimelineEntry(
                at=notification.sent_at or notification.last_attempt_at or notification.created_at,
                kind="email",
                title=notification.get_kind_display(),
                status=notification.status,
                detail=notification.get_status_display(),
            )
        )
    return sorted(entries, key=lambda entry: entry.at)


def _trail(rights_request, dpo, base):
    """A trail of every kind of entry, with ties in time, bodies naming the request."""
    ref = rights_request.reference
    tie = base + dt.timedelta(hours=1)
    event_specs = [
        (
            AuditAction.RECEIVED,
            None,
            "system",
            State.RECEIVED,
            State.RECEIVED,
            {"channel": "letter"},
            base,
        ),
        (
            AuditAction.IDENTITY_VERIFIED,
            dpo,
            "staff",
            State.RECEIVED,
            State.VERIFIED,
            {"method": "known_details"},
            tie,
        ),
        (AuditAction.NOTE_ADDED, dpo, "staff", State.VERIFIED, State.VERIFIED, {}, tie),
        (
            AuditAction.INFORMATION_REQUESTED,
            dpo,
            "staff",
            State.VERIFIED,
            State.AWAITING_SUBJECT,
            {"reason": "clarification"},
            tie,
        ),
        (
            AuditAction.ANSWER_RECEIVED,
            None,
            "person",
            State.AWAITING_SUBJECT,
            State.VERIFIED,
            {"paused_days": 3},
            tie,
        ),
        (
            AuditAction.EXTENDED,
            dpo,
            "staff",
            State.VERIFIED,
            State.VERIFIED,
            {"months": 2},
            base + dt.timedelta(days=2),
        ),
        (
            AuditAction.ATTACHMENT_VIEWED,
            dpo,
            "staff",
            State.VERIFIED,
            State.VERIFIED,
            {},
            base + dt.timedelta(days=2),
        ),
        (
            AuditAction.STEP_FAILED,
            None,
            "system",
            State.IN_PROGRESS,
            State.IN_PROGRESS,
            {"step": "erase"},
            base + dt.timedelta(days=3),
        ),
        (
            AuditAction.REJECTED,
            dpo,
            "staff",
            State.VERIFIED,
            State.REJECTED,
            {"ground": "excessive"},
            base + dt.timedelta(days=4),
        ),
        ("not_a_choice", None, "nobody", "odd", "odd", None, base + dt.timedelta(days=5)),
    ]
    for action, actor, actor_kind, before, after, details, at in event_specs:
        AuditEvent.objects.create(
            rights_request=rights_request,
            reference=ref,
            action=action,
            actor=actor,
            actor_kind=actor_kind,
            from_state=before,
            to_state=after,
            details=details if details is not None else {},
            at=at,
        )
    for kind, author, at in [
        (RequestMessage.Kind.TO_PERSON, dpo, tie),
        (RequestMessage.Kind.FROM_PERSON, None, tie),
        (RequestMessage.Kind.NOTE, dpo, tie),
        (RequestMessage.Kind.TO_PERSON, None, base + dt.timedelta(days=6)),
    ]:
        RequestMessage.objects.create(
            rights_request=rights_request,
            kind=kind,
            author=author,
            body=f"{kind} of {ref} 100%% %s $1",
            created_at=at,
        )
    for kind, status, sent, attempted, created in [
        (NotificationSend.Kind.ACKNOWLEDGEMENT, NotificationSend.Status.SENT, tie, tie, base),
        (
            NotificationSend.Kind.INFORMATION_REQUEST,
            NotificationSend.Status.FAILED,
            None,
            tie,
            base,
        ),
        (NotificationSend.Kind.EXTENSION, NotificationSend.Status.PENDING, None, None, tie),
        (NotificationSend.Kind.REJECTION, NotificationSend.Status.SENDING, None, None, tie),
        (NotificationSend.Kind.COMPLETION, NotificationSend.Status.SENT, tie, None, base),
    ]:
        NotificationSend.objects.create(
            rights_request=rights_request,
            kind=kind,
            status=status,
            sent_at=sent,
            last_attempt_at=attempted,
            created_at=created,
        )


@pytest.fixture
def trails(dpo, django_capture_on_commit_callbacks):
    lotte, jan = DataSubjectFactory(), DataSubjectFactory()
    base = dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    requests = [
        RightsRequestFactory(subject=lotte, kind=Kind.ERASURE),
        RightsRequestFactory(subject=lotte, kind=Kind.ACCESS),
        RightsRequestFactory(subject=jan, kind=Kind.ACCESS),
        RightsRequestFactory(subject=None, email=lotte.email, kind=Kind.OBJECTION),
    ]
    for index, rights_request in enumerate(requests):
        _trail(rights_request, dpo, base + dt.timedelta(minutes=index))  # interleaved
    with django_capture_on_commit_callbacks(execute=True):
        rights_request_ask(
            rights_request=requests[1],
            actor=dpo,
            reason="clarification",
            message=f"Which address? {requests[1].reference}",
        )
    rights_request_note(
        rights_request=requests[1], actor=dpo, text=f"Internal {requests[1].reference}"
    )
    return requests


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("for_person", [False, True])
def test_the_timeline_is_what_the_orm_built_before(trails, language, for_person):
    with translation.override(language):
        for rights_request in trails:
            got = rights_request_timeline(rights_request=rights_request, for_person=for_person)
            want = _timeline_by_the_orm(rights_request, for_person=for_person)
            assert got == want, rights_request.reference
            assert [type(e.at) for e in got] == [dt.datetime] * len(got)
            assert all(e.at.utcoffset() == dt.timedelta(0) for e in got)


def test_a_timeline_holds_nothing_of_another_request_nor_another_person(trails):
    references = {r.reference for r in trails}
    for rights_request in trails:
        for for_person in (False, True):
            entries = rights_request_timeline(rights_request=rights_request, for_person=for_person)
            assert entries
            bodies = " ".join(e.body for e in entries)
            assert rights_request.reference in bodies
            for other in references - {rights_request.reference}:
                assert other not in bodies
            expected_events = AuditEvent.objects.filter(rights_request=rights_request)
            expected_messages = RequestMessage.objects.filter(rights_request=rights_request)
            expected_emails = NotificationSend.objects.filter(rights_request=rights_request)
            if for_person:
                expected_events = expected_events.exclude(action__in=_STAFF_ONLY_ACTIONS)
                expected_messages = expected_messages.exclude(kind=RequestMessage.Kind.NOTE)
                expected_emails = expected_emails.filter(status=NotificationSend.Status.SENT)
            assert sum(e.kind == "event" for e in entries) == expected_events.count()
            assert sum(e.kind.startswith("message-") for e in entries) == expected_messages.count()
            assert sum(e.kind == "email" for e in entries) == expected_emails.count()


def test_the_persons_timeline_never_names_staff(trails):
    for rights_request in trails:
        entries = rights_request_timeline(rights_request=rights_request, for_person=True)
        assert all("dpo@velux.example" not in (e.actor + e.body + e.detail) for e in entries)
        assert not [e for e in entries if e.kind == f"message-{RequestMessage.Kind.NOTE}"]
        assert {e.status for e in entries if e.kind == "email"} == {NotificationSend.Status.SENT}


def test_an_empty_trail_is_an_empty_timeline():
    rights_request = RightsRequestFactory()
    assert not AuditEvent.objects.filter(rights_request=rights_request).exists()
    assert rights_request_timeline(rights_request=rights_request) == []
    assert rights_request_timeline(rights_request=rights_request, for_person=True) == []


def test_ties_keep_events_then_messages_then_emails_each_in_key_order(dpo):
    rights_request = RightsRequestFactory()
    at = dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    for action in (AuditAction.EXTENDED, AuditAction.ASSIGNED, AuditAction.RECEIVED):
        AuditEvent.objects.create(
            rights_request=rights_request,
            reference=rights_request.reference,
            action=action,
            actor_kind="staff",
            from_state=State.VERIFIED,
            to_state=State.VERIFIED,
            at=at,
        )
    for body in ("b", "a"):
        RequestMessage.objects.create(
            rights_request=rights_request,
            kind=RequestMessage.Kind.TO_PERSON,
            body=body,
            created_at=at,
        )
    NotificationSend.objects.create(
        rights_request=rights_request,
        kind=NotificationSend.Kind.EXTENSION,
        status=NotificationSend.Status.SENT,
        sent_at=at,
        created_at=at - dt.timedelta(days=1),
    )

    entries = rights_request_timeline(rights_request=rights_request)

    assert [e.kind for e in entries] == ["event"] * 3 + ["message-to_person"] * 2 + ["email"]
    assert [e.title for e in entries[:3]] == [
        str(AuditAction.EXTENDED.label),
        str(AuditAction.ASSIGNED.label),
        str(AuditAction.RECEIVED.label),
    ]
    assert [e.body for e in entries[3:5]] == ["b", "a"]


def test_a_persons_page_of_another_persons_request_is_not_found(client):
    user = UserFactory(email="lotte.peeters@example.be")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    lotte = DataSubjectFactory(email=user.email, user=user)
    own = RightsRequestFactory(subject=lotte)
    someone_elses = RightsRequestFactory(subject=DataSubjectFactory())
    RequestMessage.objects.create(
        rights_request=someone_elses, kind=RequestMessage.Kind.TO_PERSON, body="Not for Lotte"
    )
    RequestMessage.objects.create(
        rights_request=own, kind=RequestMessage.Kind.TO_PERSON, body="For Lotte"
    )
    client.force_login(user)

    assert client.get(f"/en/requests/{someone_elses.reference}/").status_code == 404
    page = client.get(f"/en/requests/{own.reference}/")
    assert page.status_code == 200
    assert "For Lotte" in page.content.decode()
    assert "Not for Lotte" not in page.content.decode()


@pytest.mark.parametrize("languages", [["nl", "fr", "de", "en"], ["en", "de", "fr", "nl"]])
def test_my_data_pages_print_dates_as_the_date_filter_in_each_language_in_turn(client, languages):
    subject = _rich_person()
    client.force_login(subject.user)
    events = list(subject.browsing_events.order_by("-occurred_at")[:3])
    order = subject.orders.get()
    for language in languages:
        response = client.get(f"/{language}/my-data/")
        assert response.status_code == 200
        page = response.content.decode()
        with translation.override(language):
            for event in events:
                printed = date_filter(timezone.localtime(event.occurred_at), "DATETIME_FORMAT")
                assert printed in page, (language, printed)
            assert date_filter(order.invoiced_on, "DATE_FORMAT") in page
            placed = date_filter(timezone.localtime(order.placed_at), "DATETIME_FORMAT")
            assert placed in page, (language, placed)


def _sign_up_meanwhile(email):
    """Another connection signs a login up with `email` and commits (allauth's sign-up: a
    login and its address, linked to no data subject yet)."""
    import threading

    from django.db import connections

    failures = []

    def sign_up():
        try:
            with transaction.atomic():
                user = UserFactory(email=email)
                EmailAddress.objects.create(user=user, email=email, verified=False, primary=True)
        except Exception as error:
            failures.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=sign_up)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert not failures, failures


def _erase_with_sign_up_after_find_holding(monkeypatch, *, skipping):
    from velux_privacy.models import User

    lotte = DataSubjectFactory(email="lotte.meanwhile@example.be")
    SurveyResponseFactory(subject=lotte)
    original = _ErasureRun.find_holding

    def find_holding(self, categories, subject_ids):
        if skipping:
            original(self, categories, subject_ids)
        _sign_up_meanwhile(lotte.email)  # after the look-up, before the logins are walked

    monkeypatch.setattr(_ErasureRun, "find_holding", find_holding)
    try:
        summary = subject_erase(subject=lotte, cause=CAUSE, now=NOW)
        return summary, list(User.objects.filter(email=lotte.email).values_list("email", flat=True))
    finally:
        EmailAddress.objects.filter(email=lotte.email).delete()
        User.objects.filter(email=lotte.email).delete()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_walking_every_category_erases_a_login_signed_up_with_the_address_meanwhile(monkeypatch):
    # The control: before 974badf the logins were looked up when walked.
    summary, left = _erase_with_sign_up_after_find_holding(monkeypatch, skipping=False)
    assert summary.subject_deleted
    assert left == []
    assert summary.categories["login"].deleted == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_login_signed_up_with_the_address_while_the_batch_runs_stays_as_new_data(monkeypatch):
    # A row linked to nobody, found by the person's address, does not wait for the lock on
    # the person. Signed up after the batch looked, it is new data: it stays, as a sign-up a
    # second later would, and the summary does not count it (find_holding's docstring).
    summary, left = _erase_with_sign_up_after_find_holding(monkeypatch, skipping=True)
    assert summary.subject_deleted
    assert left == ["lotte.meanwhile@example.be"]
    assert summary.categories.get("login") is None or not summary.categories["login"].deleted
