import pytest
from django.conf import settings
from django.db import connection

from velux_privacy.celery import app as celery_app


def pytest_collection_modifyitems(config, items):
    on_sqlite = connection.vendor == "sqlite"
    has_broker = not settings.CELERY_TASK_ALWAYS_EAGER
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            # Its flush re-creates the content types under new ids, and the next serialized
            # test (every e2e test) then fails at set-up on PostgreSQL with duplicate keys.
            raise pytest.UsageError(
                f"{item.nodeid}: a transactional test needs serialized_rollback=True"
            )
        if on_sqlite and item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL)"))
        if not has_broker and item.get_closest_marker("broker"):
            item.add_marker(pytest.mark.skip(reason="needs a Celery broker (CELERY_BROKER_URL)"))


@pytest.fixture(autouse=True)
def _eager_tasks_unless_broker_test(request):
    """Tasks run in-process in tests, except those marked `broker`, which use the real one."""
    if request.node.get_closest_marker("broker"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _registers_read_afresh():
    """Each test reads the registers from its own database: the copies a process keeps
    between requests (velux_privacy.snapshots) start empty, whatever the test before left."""
    from velux_privacy.snapshots import Snapshot

    for snapshot in Snapshot.every:
        snapshot.forget()


@pytest.fixture
def admin_client(db, admin_user):
    """pytest-django's admin client, signed in with the second factor staff must use
    (velux_privacy.mfa)."""
    from tests.staff import staff_client_for

    return staff_client_for(admin_user, language="")


@pytest.fixture(autouse=True, scope="session")
def _flush_past_the_append_only_guard():
    """The append-only tables refuse TRUNCATE on PostgreSQL (velux_privacy.appendonly), and
    Django empties the database between transactional tests (live server, threads) with
    `flush`, which truncates every table: the suite's own flush alone passes the guard."""
    import pgtrigger
    from django.core.management.commands import flush

    original = flush.Command.handle

    def handle(self, **options):
        with pgtrigger.ignore():
            return original(self, **options)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original
