"""Attack on `rights_request_for_person` compiled once per process (commit 22d6f98)."""

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dsr_requests.models import (
    AuditAction,
    AuditEvent,
    RequestExport,
    RightsRequest,
    reference_normalise,
)
from dsr_requests.selectors import (
    FOLLOWED_SESSION_KEY,
    followed_ids,
    rights_request_for_person,
)
from dsr_requests.workflow import Kind, State
from tests.dsr_requests.factories import RightsRequestFactory
from tests.dsr_requests.test_my_requests import _orm_for_person as _orm
from tests.subjects.factories import DataSubjectFactory, UserFactory

pytestmark = pytest.mark.django_db

FIELDS = [f.attname for f in RightsRequest._meta.concrete_fields]
EXPORT_FIELDS = [f.attname for f in RequestExport._meta.concrete_fields]
SUBJECT_STAND_IN = -7_294_651_083
FOLLOWED_STAND_IN = -7_294_651_084


def _same(found, expected, label=""):
    assert (found is None) == (expected is None), label
    if expected is None:
        return
    assert found.pk == expected.pk, label
    assert [getattr(found, f) for f in FIELDS] == [getattr(expected, f) for f in FIELDS], label
    assert not found._state.adding
    assert found._state.db == "default"
    rel = RightsRequest._meta.get_field("export")
    assert rel.is_cached(found), label
    e_found, e_expected = rel.get_cached_value(found), rel.get_cached_value(expected)
    assert (e_found is None) == (e_expected is None), label
    if e_found is not None:
        assert [getattr(e_found, f) for f in EXPORT_FIELDS] == [
            getattr(e_expected, f) for f in EXPORT_FIELDS
        ], label
        assert e_found.rights_request is found
        assert not e_found._state.adding


def _export(rights_request, **fields):
    defaults = dict(
        rights_request=rights_request,
        language="nl",
        file=f"exports/{rights_request.reference}.zip",
        size=1234,
        sha256="a" * 64,
        released_at=dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC),
        expires_at=timezone.now() + dt.timedelta(days=5),
        download_nonce="n" * 32,
        categories=[{"key": "orders", "rows": 2, "note": "100% %s $1 {x}"}],
        withheld_applied=[["orders", 3]],
    )
    defaults.update(fields)
    return RequestExport.objects.create(**defaults)


def _customer(email="lotte.peeters@example.be"):
    from allauth.account.models import EmailAddress

    user = UserFactory(email=email, first_name="Lotte")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return DataSubjectFactory(email=user.email, user=user)


def _follow(client, ids):
    session = client.session
    session[FOLLOWED_SESSION_KEY] = ids
    session.save()


# ---------------------------------------------------------------- oracle: every state/kind


def test_every_state_and_kind_matches_the_orm_for_owner_stranger_and_link():
    lotte, noor = DataSubjectFactory(), DataSubjectFactory()
    made = []
    for state, kind in itertools.product(State, [Kind.ACCESS, Kind.PORTABILITY, Kind.ERASURE]):
        r = RightsRequestFactory(subject=lotte, state=state, kind=kind, details="50% %s %%")
        made.append(r)
    anonymised = RightsRequestFactory(subject=lotte, anonymised_at=timezone.now())
    anon_link = RightsRequestFactory(
        subject=None, email="x@example.be", anonymised_at=timezone.now()
    )
    link = RightsRequestFactory(subject=None, email="y@example.be")
    noors = RightsRequestFactory(subject=noor)
    _export(made[0])
    _export(made[4], file="", released_at=None, expires_at=None, categories=[])
    _export(noors)
    every = [*made, anonymised, anon_link, link, noors]
    scopes = [
        (lotte.pk, []),
        (None, []),
        (noor.pk, []),
        (None, [link.pk]),
        (None, [noors.pk]),
        (lotte.pk, [anon_link.pk, link.pk]),
        (None, [r.pk for r in every]),
        (999_999_999, []),
        (SUBJECT_STAND_IN, []),
        (FOLLOWED_STAND_IN, [FOLLOWED_STAND_IN, SUBJECT_STAND_IN]),
    ]
    for r in every:
        for subject_id, followed in scopes:
            label = (r.reference, r.state, subject_id, followed)
            expected = _orm(reference=r.reference, subject_id=subject_id, followed=followed)
            found = rights_request_for_person(
                reference=r.reference, subject_id=subject_id, followed=followed
            )
            _same(found, expected, label)
    # spot checks independent of the oracle
    assert (
        rights_request_for_person(reference=noors.reference, subject_id=lotte.pk, followed=[])
        is None
    )
    assert (
        rights_request_for_person(reference=anonymised.reference, subject_id=lotte.pk, followed=[])
        is None
    )
    assert (
        rights_request_for_person(
            reference=anon_link.reference, subject_id=None, followed=[anon_link.pk]
        )
        is None
    )
    assert (
        rights_request_for_person(reference=made[0].reference, subject_id=None, followed=[]) is None
    )
    unconfirmed = [r for r in made if r.state == State.UNCONFIRMED]
    assert unconfirmed
    for r in unconfirmed:
        assert (
            rights_request_for_person(reference=r.reference, subject_id=lotte.pk, followed=[r.pk])
            is None
        )
    assert (
        rights_request_for_person(reference=link.reference, subject_id=None, followed=[link.pk]).pk
        == link.pk
    )


def test_a_followed_id_of_another_request_does_not_open_this_one():
    lotte, noor = DataSubjectFactory(), DataSubjectFactory()
    mine = RightsRequestFactory(subject=lotte)
    theirs = RightsRequestFactory(subject=noor)
    # following my own id does not open noor's reference
    assert (
        rights_request_for_person(reference=theirs.reference, subject_id=None, followed=[mine.pk])
        is None
    )
    assert (
        rights_request_for_person(
            reference=theirs.reference, subject_id=lotte.pk, followed=[mine.pk, theirs.pk + 1000]
        )
        is None
    )
    # a followed id is what opens it (the link was opened in this browser)
    assert (
        rights_request_for_person(
            reference=theirs.reference, subject_id=lotte.pk, followed=[theirs.pk]
        ).pk
        == theirs.pk
    )


# ---------------------------------------------------------------- stand-in collisions


@pytest.mark.postgres
def test_values_equal_to_the_stand_ins_are_not_swapped():
    # a subject whose id equals the stand-in subject's, another equal to the followed stand-in
    stand_in_like = DataSubjectFactory(pk=SUBJECT_STAND_IN)
    followed_like = DataSubjectFactory(pk=FOLLOWED_STAND_IN)
    a = RightsRequestFactory(subject=stand_in_like, reference="VP-2026-STAND0")
    # "VP-STAND-IN" normalises to "VPSTAND1N": no typed reference reaches the stand-in
    assert reference_normalise("VP-STAND-IN") == "VPSTAND1N"
    b = RightsRequestFactory(subject=followed_like, pk=FOLLOWED_STAND_IN)
    c = RightsRequestFactory(subject=None, email="z@example.be", pk=SUBJECT_STAND_IN)
    other = DataSubjectFactory()

    found = rights_request_for_person(
        reference="VP-2026-STAND0", subject_id=SUBJECT_STAND_IN, followed=[]
    )
    assert found is not None
    assert found.pk == a.pk
    assert (
        rights_request_for_person(
            reference="vp 2026 stando", subject_id=SUBJECT_STAND_IN, followed=[]
        ).pk
        == a.pk
    )
    assert (
        rights_request_for_person(reference="VP-2026-STAND0", subject_id=other.pk, followed=[])
        is None
    )
    assert (
        rights_request_for_person(reference="VP-2026-STAND0", subject_id=None, followed=[]) is None
    )
    assert (
        rights_request_for_person(
            reference="VP-2026-STAND0", subject_id=FOLLOWED_STAND_IN, followed=[FOLLOWED_STAND_IN]
        )
        is None
    )
    # b: id equal to the followed stand-in: only when followed or owner
    assert rights_request_for_person(reference=b.reference, subject_id=None, followed=[]) is None
    assert (
        rights_request_for_person(reference=b.reference, subject_id=other.pk, followed=[]) is None
    )
    assert (
        rights_request_for_person(
            reference=b.reference, subject_id=None, followed=[FOLLOWED_STAND_IN]
        ).pk
        == b.pk
    )
    assert (
        rights_request_for_person(
            reference=b.reference, subject_id=FOLLOWED_STAND_IN, followed=[]
        ).pk
        == b.pk
    )
    # c: id equal to the subject stand-in
    assert rights_request_for_person(reference=c.reference, subject_id=None, followed=[]) is None
    assert (
        rights_request_for_person(reference=c.reference, subject_id=SUBJECT_STAND_IN, followed=[])
        is None
    )
    assert (
        rights_request_for_person(
            reference=c.reference, subject_id=None, followed=[SUBJECT_STAND_IN]
        ).pk
        == c.pk
    )
    for ref, sid, fol in [
        ("VP-2026-STAND0", SUBJECT_STAND_IN, []),
        ("VP-STAND-IN", SUBJECT_STAND_IN, [a.pk]),
        (b.reference, None, [FOLLOWED_STAND_IN]),
        (c.reference, SUBJECT_STAND_IN, [SUBJECT_STAND_IN]),
        (c.reference, FOLLOWED_STAND_IN, []),
    ]:
        _same(
            rights_request_for_person(reference=ref, subject_id=sid, followed=fol),
            _orm(reference=ref, subject_id=sid, followed=fol),
            (ref, sid, fol),
        )


@pytest.mark.postgres
def test_without_prepared_statements_the_same_results():
    lotte = DataSubjectFactory()
    own = RightsRequestFactory(subject=lotte, details="100% %s %%")
    _export(own)
    link = RightsRequestFactory(subject=None, email="q@example.be")
    connection.ensure_connection()
    raw = connection.connection
    previous = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        for ref, sid, fol in [
            (own.reference, lotte.pk, []),
            (link.reference, None, [link.pk]),
            (link.reference, lotte.pk, []),
            (own.reference, None, [link.pk]),
        ]:
            _same(
                rights_request_for_person(reference=ref, subject_id=sid, followed=fol),
                _orm(reference=ref, subject_id=sid, followed=fol),
                (ref, sid, fol),
            )
        assert (
            rights_request_for_person(reference=own.reference, subject_id=lotte.pk, followed=[]).pk
            == own.pk
        )
    finally:
        raw.prepare_threshold = previous


# ---------------------------------------------------------------- references in odd forms


def test_references_in_odd_forms(django_assert_num_queries):
    lotte = DataSubjectFactory()
    own = RightsRequestFactory(subject=lotte, reference="VP-2026-K7Q4M9")
    spaced = "  vp 2026 k7q4m9 "
    for typed in [spaced, "vp-2026-k7q4m9", "VP2026K7Q4M9", "vp 2026\tk7q4m9\n"]:
        found = rights_request_for_person(reference=typed, subject_id=lotte.pk, followed=[])
        assert found is not None, typed
        assert found.pk == own.pk, typed
    # letters read as digits
    read_as = RightsRequestFactory(subject=lotte, reference="VP-2026-101V00")
    found = rights_request_for_person(reference="vp-2026-Io1uOo", subject_id=lotte.pk, followed=[])
    assert found is not None
    assert found.pk == read_as.pk
    for junk in [
        "VP-2026-K7Q4M9\x00",
        "\x00",
        "",
        "VP-2026-K7Q4M9'--",
        "%s",
        "%%",
        "%",
        "$1",
        "VP-2026-K7Q4M9%",
        "VP-2026-K7Q4M_",
        "VP-2026-K7Q4M９",
        "VP-2026-K7Q4Mé",
        "ＶＰ-2026-K7Q4M9",
        "VP-2026-K7Q4M9;",
        "X" * 10_000,
        "VP-STAND-IN",
    ]:
        assert (
            rights_request_for_person(reference=junk, subject_id=lotte.pk, followed=[own.pk])
            is None
        ), junk
    with django_assert_num_queries(0):
        assert (
            rights_request_for_person(
                reference="VP-2026\x00K7Q4M9", subject_id=lotte.pk, followed=[]
            )
            is None
        )
        assert rights_request_for_person(reference="%s", subject_id=lotte.pk, followed=[]) is None
        assert rights_request_for_person(reference="", subject_id=lotte.pk, followed=[]) is None
    with django_assert_num_queries(1):
        assert (
            rights_request_for_person(reference="X" * 10_000, subject_id=lotte.pk, followed=[])
            is None
        )
    # unicode that upper-cases to the reference still finds it, as the ORM does
    odd = "vp-2026-k7q4m9".replace("k", "\u212a")  # KELVIN SIGN upper-cases to itself? compare ORM
    _same(
        rights_request_for_person(reference=odd, subject_id=lotte.pk, followed=[]),
        _orm(reference=odd, subject_id=lotte.pk, followed=[]),
        odd,
    )


# ---------------------------------------------------------------- session junk


def test_junk_in_the_sessions_followed_list_opens_nothing(client):
    noor = DataSubjectFactory()
    theirs = RightsRequestFactory(subject=noor)
    link = RightsRequestFactory(subject=None, email="a@example.be")
    _follow(client, [True, str(theirs.pk), float(theirs.pk), None, [theirs.pk], {"pk": theirs.pk}])
    assert followed_ids(client.session) == []
    assert client.get(f"/en/requests/{theirs.reference}/").status_code == 404
    assert client.get(f"/en/requests/{link.reference}/").status_code == 404
    _follow(client, {"x": theirs.pk})
    assert client.get(f"/en/requests/{theirs.reference}/").status_code == 404
    _follow(client, [True, link.pk, "junk"])
    assert followed_ids(client.session) == [link.pk]
    assert client.get(f"/en/requests/{link.reference}/").status_code == 200
    assert client.get(f"/en/requests/{theirs.reference}/").status_code == 404


# ---------------------------------------------------------------- the instance behaves


def test_instance_save_refresh_display_and_export_cache(django_assert_num_queries):
    lotte = DataSubjectFactory()
    plain = RightsRequestFactory(subject=lotte, kind=Kind.ERASURE, state=State.IN_PROGRESS)
    other = RightsRequestFactory(subject=lotte, kind=Kind.ACCESS)
    exported = RightsRequestFactory(subject=lotte, kind=Kind.PORTABILITY)
    export = _export(exported)

    found = rights_request_for_person(reference=plain.reference, subject_id=lotte.pk, followed=[])
    assert found.get_kind_display() == plain.get_kind_display()
    assert found.get_state_display() == plain.get_state_display()
    assert found.get_channel_display() == plain.get_channel_display()
    with django_assert_num_queries(0):
        assert getattr(found, "export", None) is None
    with pytest.raises(RequestExport.DoesNotExist), django_assert_num_queries(0):
        found.export  # noqa: B018
    with django_assert_num_queries(1):
        assert found.subject.pk == lotte.pk

    found.details = "changed 100% %s"
    found.save(update_fields=["details"])
    plain.refresh_from_db()
    other.refresh_from_db()
    assert plain.details == "changed 100% %s"
    assert other.details != "changed 100% %s"
    found.name = "Full save"
    found.save()
    plain.refresh_from_db()
    assert plain.name == "Full save"
    assert RightsRequest.objects.count() == 3
    RightsRequest.objects.filter(pk=plain.pk).update(details="from elsewhere")
    found.refresh_from_db()
    assert found.details == "from elsewhere"

    got = rights_request_for_person(
        reference=exported.reference.lower(), subject_id=lotte.pk, followed=[]
    )
    with django_assert_num_queries(0):
        e = got.export
        assert e.pk == export.pk
        assert e.file.name == f"exports/{exported.reference}.zip"
        assert bool(e.file)
        assert e.rights_request is got
        assert e.categories == export.categories
        assert e.withheld_applied == [["orders", 3]]
        assert e.get_language_display() == export.get_language_display()
    e.downloads = 7
    e.save(update_fields=["downloads"])
    export.refresh_from_db()
    assert export.downloads == 7
    got.refresh_from_db()
    # the cache, like select_related's, is cleared by refresh_from_db only for FKs: still usable
    assert RequestExport.objects.get(rights_request_id=got.pk).downloads == 7


def test_export_download_url_uses_the_cached_export(django_assert_num_queries):
    from dsr_requests.exports import export_download_url

    lotte = DataSubjectFactory()
    exported = RightsRequestFactory(subject=lotte, kind=Kind.ACCESS, state=State.COMPLETED)
    _export(exported)
    plain = RightsRequestFactory(subject=lotte)
    got = rights_request_for_person(reference=exported.reference, subject_id=lotte.pk, followed=[])
    via_orm = _orm(reference=exported.reference, subject_id=lotte.pk, followed=[])
    expected_url = export_download_url(rights_request=via_orm)
    with django_assert_num_queries(0):
        url = export_download_url(rights_request=got)
    assert (url is None) == (expected_url is None)
    got_plain = rights_request_for_person(
        reference=plain.reference, subject_id=lotte.pk, followed=[]
    )
    with django_assert_num_queries(0):
        assert export_download_url(rights_request=got_plain) is None


# ---------------------------------------------------------------- the pages end to end


def test_the_request_page_owner_stranger_and_follower():
    lotte = _customer()
    noor = _customer("noor@example.be")
    own = RightsRequestFactory(subject=lotte, kind=Kind.ACCESS)
    _export(own)
    theirs = RightsRequestFactory(subject=noor)
    link = RightsRequestFactory(subject=None, email="nobody@example.be")

    owner = Client()
    owner.force_login(lotte.user)
    page = owner.get(f"/en/requests/{own.reference}/")
    assert page.status_code == 200
    assert own.reference in page.content.decode()
    assert owner.get(f"/en/requests/{own.reference.lower().replace('-', ' ')}/").status_code in (
        200,
        301,
        302,
    )
    assert owner.get(f"/en/requests/{theirs.reference}/").status_code == 404
    assert owner.get(f"/en/requests/{theirs.reference}/withdraw/").status_code == 404
    assert owner.get(f"/en/requests/{link.reference}/").status_code == 404

    stranger = Client()
    stranger.force_login(noor.user)
    assert stranger.get(f"/en/requests/{own.reference}/").status_code == 404
    assert stranger.post(f"/en/requests/{own.reference}/withdraw/").status_code == 404
    own.refresh_from_db()
    assert own.state == State.VERIFIED

    follower = Client()
    _follow(follower, [link.pk])
    assert follower.get(f"/en/requests/{link.reference}/").status_code == 200
    assert follower.get(f"/en/requests/{own.reference}/").status_code == 404
    assert follower.get(f"/en/requests/{theirs.reference}/").status_code == 404
    assert follower.get("/en/requests/%25s/").status_code == 404
    assert follower.get("/en/requests/VP-STAND-IN/").status_code == 404


def test_withdrawing_through_the_page_withdraws_the_right_request(
    django_capture_on_commit_callbacks,
):
    lotte = _customer()
    keep = RightsRequestFactory(subject=lotte, kind=Kind.ACCESS)
    target = RightsRequestFactory(subject=lotte, kind=Kind.ERASURE)
    link = RightsRequestFactory(subject=None, email="nobody@example.be")
    owner = Client()
    owner.force_login(lotte.user)
    assert owner.get(f"/en/requests/{target.reference}/withdraw/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(f"/en/requests/{target.reference.lower()}/withdraw/")
    assert response.status_code == 302
    target.refresh_from_db()
    keep.refresh_from_db()
    assert target.state == State.WITHDRAWN
    assert keep.state == State.VERIFIED
    event = AuditEvent.objects.get(action=AuditAction.WITHDRAWN)
    assert event.rights_request_id == target.pk
    assert event.actor_id is None  # a person's login is not kept on the trail (staff only)
    assert event.actor_kind == AuditEvent.ActorKind.PERSON
    # a second POST: the double-click path
    response = owner.post(f"/en/requests/{target.reference}/withdraw/")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.WITHDRAWN).count() == 1

    follower = Client()
    _follow(follower, [link.pk])
    with django_capture_on_commit_callbacks(execute=True):
        follower.post(f"/en/requests/{link.reference}/withdraw/")
    link.refresh_from_db()
    assert link.state == State.WITHDRAWN
    event = AuditEvent.objects.filter(action=AuditAction.WITHDRAWN, rights_request=link).get()
    assert event.actor_id is None
    assert event.actor_kind == AuditEvent.ActorKind.PERSON


def test_the_page_query_count_does_not_grow_with_the_persons_requests():
    lotte = _customer()
    first = RightsRequestFactory(subject=lotte)
    owner = Client()
    owner.force_login(lotte.user)
    owner.get(f"/en/requests/{first.reference}/")  # warm caches
    with CaptureQueriesContext(connection) as one:
        assert owner.get(f"/en/requests/{first.reference}/").status_code == 200
    for _ in range(6):
        RightsRequestFactory(subject=lotte)
    links = [RightsRequestFactory(subject=None, email=f"l{i}@example.be") for i in range(4)]
    _follow(owner, [r.pk for r in links])
    owner.get(f"/en/requests/{first.reference}/")
    with CaptureQueriesContext(connection) as many:
        assert owner.get(f"/en/requests/{first.reference}/").status_code == 200
    assert len(many) <= len(one), [q["sql"][:120] for q in many.captured_queries]


def test_out_of_range_and_many_followed_ids_behave_as_the_orm():
    lotte = DataSubjectFactory()
    own = RightsRequestFactory(subject=lotte)
    link = RightsRequestFactory(subject=None, email="w@example.be")
    many = [*range(1, 500), link.pk, -1, 0]
    for sid, fol in [(lotte.pk, many), (None, many), (None, [link.pk] * 3)]:
        _same(
            rights_request_for_person(reference=link.reference, subject_id=sid, followed=fol),
            _orm(reference=link.reference, subject_id=sid, followed=fol),
            (sid, len(fol)),
        )
    assert (
        rights_request_for_person(reference=own.reference, subject_id=None, followed=many) is None
        or own.pk in many
    )
    assert (
        rights_request_for_person(reference=link.reference, subject_id=None, followed=many).pk
        == link.pk
    )
