"""The consent API (DRF, session authentication as the project's defaults): the signed-in
person's consents, read and changed (channel API), and, for staff systems, "may VELUX contact
this subject for this purpose now" (consent.selectors.consent_contact_decision)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from consent.evidence import evidence_from_request
from consent.exceptions import ConsentError
from consent.models import ConsentEvent, ConsentPurpose, Newsletter
from consent.selectors import consent_choices_for_subject, consent_contact_decision
from consent.services import consent_choices_apply
from subjects.models import DataSubject


class NewsletterChoiceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    subscribed = serializers.BooleanField()


class ConsentChoiceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    text = serializers.CharField()
    text_version = serializers.IntegerField()
    policy_purpose = serializers.CharField()
    status = serializers.CharField(allow_null=True, help_text="given, withdrawn or null (never)")
    counts = serializers.BooleanField(help_text="given, and not waiting for a re-consent")
    reconsent_due = serializers.BooleanField()
    newsletters = NewsletterChoiceSerializer(many=True)


class ConsentChangeSerializer(serializers.Serializer):
    purposes = serializers.DictField(child=serializers.BooleanField(), required=False, default=dict)
    newsletters = serializers.DictField(
        child=serializers.BooleanField(), required=False, default=dict
    )


class ConsentChangeResultSerializer(serializers.Serializer):
    recorded = serializers.IntegerField(help_text="ledger entries appended")


class ContactDecisionSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    reason = serializers.CharField()
    message = serializers.CharField()


def _error(error: ConsentError) -> Response:
    return Response(
        {"code": error.code, "message": str(error.message), "fields": error.fields},
        status=status.HTTP_400_BAD_REQUEST,
    )


class MyConsentsView(APIView):
    """The signed-in person's consents. 404 when their login is linked to no data subject."""

    @extend_schema(responses=ConsentChoiceSerializer(many=True))
    def get(self, request: Request) -> Response:
        subject = get_object_or_404(DataSubject, user=request.user)
        rows = [
            {
                "code": c.purpose.code,
                "name": c.purpose.name,
                "text": c.purpose.description,
                "text_version": c.purpose.version,
                "policy_purpose": c.purpose.policy_purpose,
                "status": c.state.status if c.state else None,
                "counts": c.counts,
                "reconsent_due": c.reconsent_due,
                "newsletters": [
                    {
                        "code": n.newsletter.code,
                        "name": n.newsletter.name,
                        "subscribed": n.subscribed,
                    }
                    for n in c.newsletters
                ],
            }
            for c in consent_choices_for_subject(for_subject=subject)
        ]
        return Response(ConsentChoiceSerializer(rows, many=True).data)

    @extend_schema(request=ConsentChangeSerializer, responses=ConsentChangeResultSerializer)
    def post(self, request: Request) -> Response:
        """Give (true) or withdraw (false) consents and newsletters by code: recorded at once
        in the ledger with channel API; what already says so records nothing. A GPC signal on
        the request keeps the consents it opts out of from being given."""
        subject = get_object_or_404(DataSubject, user=request.user)
        payload = ConsentChangeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        purposes = dict(payload.validated_data["purposes"])
        if getattr(request, "gpc", False):
            locked = set(
                ConsentPurpose.objects.filter(gpc_opt_out=True).values_list("code", flat=True)
            )
            purposes = {code: given and code not in locked for code, given in purposes.items()}
        try:
            recorded = consent_choices_apply(
                subject=subject,
                purposes=purposes,
                newsletters=payload.validated_data["newsletters"],
                channel=ConsentEvent.Channel.API,
                evidence=evidence_from_request(request, form="api"),
                actor=request.user,
            )
        except ConsentError as error:
            return _error(error)
        return Response({"recorded": len(recorded)})


class CanReadConsents(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_staff and user.has_perm("consent.view_consentstate"))


class ContactDecisionView(APIView):
    """May VELUX contact this subject for this consent (and newsletter) now, and why not: for
    the systems that send marketing. Staff logins with the permission to view consent states."""

    permission_classes = [permissions.IsAuthenticated, CanReadConsents]

    @extend_schema(
        parameters=[
            OpenApiParameter("purpose", str, required=True, description="a consent's code"),
            OpenApiParameter("newsletter", str, required=False, description="a newsletter's code"),
        ],
        responses=ContactDecisionSerializer,
    )
    def get(self, request: Request, subject_id: int) -> Response:
        subject = get_object_or_404(DataSubject, pk=subject_id)
        purpose = get_object_or_404(ConsentPurpose, code=request.query_params.get("purpose", ""))
        newsletter = None
        if request.query_params.get("newsletter"):
            newsletter = get_object_or_404(
                Newsletter, code=request.query_params["newsletter"], purpose=purpose
            )
        decision = consent_contact_decision(subject=subject, purpose=purpose, newsletter=newsletter)
        return Response(
            {"allowed": decision.allowed, "reason": decision.reason, "message": decision.message}
        )
