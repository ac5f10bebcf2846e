"""Governance REST API: the audit log, the chain check, the caller's own API tokens."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from governance import selectors, services
from governance.api import serializers
from governance.audit import AuditEvent
from governance.filters import AuditEventFilter
from governance.roles import Action, user_roles
from mlops_portal.api.base import PortalApi


@extend_schema_view(
    list=extend_schema(responses=serializers.AuditEventOutputSerializer(many=True)),
    retrieve=extend_schema(responses=serializers.AuditEventOutputSerializer),
    verify=extend_schema(responses=serializers.ChainReportOutputSerializer),
)
class AuditEventApi(
    PortalApi, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The append-only audit trail (approvers, risk officers, admins)."""

    queryset = AuditEvent.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = serializers.AuditEventOutputSerializer
    lookup_field = "sequence"
    lookup_value_regex = r"[0-9]+"
    filterset_class = AuditEventFilter
    ordering_fields = ["sequence", "occurred_at"]
    required_actions = {
        "list": Action.AUDIT_VIEW,
        "retrieve": Action.AUDIT_VIEW,
        "verify": Action.AUDIT_VIEW,
    }

    def get_queryset(self):
        return selectors.audit_event_list(user=self.request.user, filters=self.list_filters())

    @action(detail=False, methods=["get"])
    def verify(self, request):
        report = selectors.audit_integrity_report(user=request.user)
        last_run = selectors.audit_verification_latest(user=request.user)
        body = report.summary() | {
            "first_bad_sequence": report.first_bad_sequence,
            "last_checkpoint": report.last_checkpoint.as_dict() if report.last_checkpoint else None,
            "last_verification": last_run,
        }
        return Response(serializers.ChainReportOutputSerializer(body).data)


@extend_schema_view(
    list=extend_schema(responses=serializers.TokenOutputSerializer(many=True)),
    create=extend_schema(request=None, responses={201: serializers.TokenCreatedOutputSerializer}),
    destroy=extend_schema(responses={204: None}),
)
class ApiTokenApi(PortalApi, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own API tokens: list, create (the token is shown once), revoke."""

    serializer_class = serializers.TokenOutputSerializer
    lookup_field = "token_key"
    lookup_value_regex = r"[A-Za-z0-9]+"
    filter_backends = []
    required_actions = {
        "list": Action.TOKEN_MANAGE_OWN,
        "create": Action.TOKEN_MANAGE_OWN,
        "destroy": Action.TOKEN_REVOKE_OWN,
    }

    def get_queryset(self):
        return selectors.api_token_list(user=self.request.user)

    def create(self, request):
        instance, token = services.api_token_create(user=request.user, actor=request.user)
        body = serializers.TokenOutputSerializer(instance).data | {"token": token}
        return Response(body, status=status.HTTP_201_CREATED)

    def destroy(self, request, token_key=None):
        services.api_token_revoke(user=request.user, token_key=token_key, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(PortalApi, APIView):
    """Who the caller is and which roles they hold."""

    required_actions = {"get": Action.TOKEN_MANAGE_OWN}

    @extend_schema(responses=serializers.MeOutputSerializer)
    def get(self, request):
        return Response(
            {
                "username": request.user.get_username(),
                "email": request.user.email,
                "roles": sorted(user_roles(request.user)),
            }
        )
