"""Factories build a minimal valid object; a test sets the fields its behaviour depends on."""

from decimal import Decimal

import factory
from django.utils import timezone

from subjects.models import (
    Application,
    BrowsingEvent,
    BusinessContact,
    ContactRequest,
    DataSubject,
    DeviceIdentifier,
    LegalHold,
    Order,
    OrderLine,
    ProcessingLimit,
    SurveyResponse,
)
from velux_privacy.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"login{n}@example.com")
    password = factory.django.Password("correct horse battery staple")


class DataSubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataSubject

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = "Lotte"
    last_name = "Peeters"
    phone = "+32 470 12 34 56"
    street = "Kerkstraat 1"
    postal_code = "2000"
    city = "Antwerpen"


class BusinessContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessContact

    subject = factory.SubFactory(DataSubjectFactory)
    relationship = BusinessContact.Relationship.SUPPLIER
    company_name = "Houthandel Peeters BV"


class ContactRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactRequest

    subject = factory.SubFactory(DataSubjectFactory)
    channel = ContactRequest.Channel.WEB_FORM
    kind = ContactRequest.Kind.QUOTE
    message = "Graag een offerte voor twee dakramen."
    status = ContactRequest.Status.CLOSED


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    subject = factory.SubFactory(DataSubjectFactory)
    number = factory.Sequence(lambda n: f"BE-{n:08d}")
    status = Order.Status.CLOSED
    total_amount = Decimal("649.00")
    delivery_street = "Kerkstraat 1"
    delivery_postal_code = "2000"
    delivery_city = "Antwerpen"
    payment_card_brand = Order.CardBrand.BANCONTACT
    payment_card_last4 = "4242"


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product_code = "GGL MK06 2070"
    description = "Tuimelvenster"
    unit_price = Decimal("649.00")


class DeviceIdentifierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeviceIdentifier

    subject = factory.SubFactory(DataSubjectFactory)
    kind = DeviceIdentifier.Kind.COOKIE_ID
    value = factory.Sequence(lambda n: f"cookie-{n:012d}")


class BrowsingEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BrowsingEvent

    subject = factory.SubFactory(DataSubjectFactory)
    event_type = BrowsingEvent.EventType.PAGE_VIEW
    path = "/nl-be/producten/dakramen"


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyResponse

    subject = factory.SubFactory(DataSubjectFactory)
    survey = SurveyResponse.Survey.FIND_INSTALLER
    installer_name = "Dakwerken Janssens"
    rating = 4


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    subject = factory.SubFactory(DataSubjectFactory)
    kind = Application.Kind.JOB
    position = "Technisch adviseur"
    status = Application.Status.REJECTED


class LegalHoldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalHold

    subject = factory.SubFactory(DataSubjectFactory)
    legal_reference = "Art. 10 WIB 92"
    reason = "Fiscal inquiry"
    placed_at = factory.LazyFunction(timezone.now)


class ProcessingLimitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProcessingLimit

    subject = factory.SubFactory(DataSubjectFactory)
    kind = ProcessingLimit.Kind.OBJECTION
    purpose = "business_development"
    reason = "Bezwaar tegen productontwikkeling."
