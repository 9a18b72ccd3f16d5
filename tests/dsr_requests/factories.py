"""Factories of rights requests: a minimal valid request; a test sets what it depends on.
Requests made through the services (tests.dsr_requests.conftest) are preferred where the
clock or the trail matters."""

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from dsr_requests.models import RightsRequest, due_on_compute, reference_generate
from dsr_requests.workflow import Kind, State
from tests.subjects.factories import DataSubjectFactory, UserFactory
from velux_privacy.calendar import local_date


class RightsRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RightsRequest
        skip_postgeneration_save = True

    reference = factory.LazyFunction(lambda: reference_generate(2026))
    kind = Kind.ACCESS
    state = State.VERIFIED
    channel = RightsRequest.Channel.WEB
    subject = factory.SubFactory(DataSubjectFactory)
    email = factory.LazyAttribute(lambda o: o.subject.email if o.subject else "someone@example.com")
    received_at = factory.LazyFunction(timezone.now)
    received_on = factory.LazyAttribute(lambda o: local_date(o.received_at))
    identity_method = RightsRequest.IdentityMethod.EMAIL_CONFIRMED
    identity_verified_at = factory.LazyAttribute(
        lambda o: o.received_at if o.state not in (State.UNCONFIRMED, State.RECEIVED) else None
    )

    @factory.post_generation
    def due(obj, create, extracted, **kwargs):
        """The due date from the facts, unless the test gave one."""
        if obj.due_on is not None or obj.state == State.UNCONFIRMED:
            return
        obj.due_on = due_on_compute(
            received_on=obj.received_on,
            pauses=[],
            extension_months=obj.extension_months,
            today=local_date(),
        )
        if create:
            obj.save(update_fields=["due_on"])


def staff_in(role: str, **fields):
    """A staff login (verified address) in the role's group, made by the migration."""
    from allauth.account.models import EmailAddress

    user = UserFactory(is_staff=True, **fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user.groups.add(Group.objects.get(name=role))
    return user
