"""Alert REST API: rules (``/alert-rules/``), alerts with acknowledge / resolve
(``/alerts/``), silences (``/silences/``). Thin views: validate, call one service or selector,
serialize."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance.roles import Action
from mlops_portal.api.base import FilterSetDocumentation, PortalApi, validated
from monitoring.alerts import selectors, services
from monitoring.alerts.api import serializers
from monitoring.alerts.filters import AlertFilter, AlertRuleFilter, SilenceFilter
from monitoring.alerts.models import Alert, AlertRule, Silence
from monitoring.ingest.api.views import SIGNATURE_CHECKED

# Bodies whose validity no one schema can describe: a rule's feature must be an input of the
# monitored version's signature and its metric one measured for the model's task type; a
# silence must end after it starts and in the future (the clock). The schema fuzzing turns
# off only its "schema-valid data is accepted" check for these operations.
STATE_CHECKED = SIGNATURE_CHECKED


class AlertsApiBase(
    PortalApi, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Rows by id; lists filtered by the selector (``filterset_class`` documented here)."""

    lookup_value_regex = r"[0-9]+"
    filter_backends = [FilterSetDocumentation]


@extend_schema_view(
    list=extend_schema(responses=serializers.AlertRuleOutputSerializer(many=True)),
    retrieve=extend_schema(responses=serializers.AlertRuleOutputSerializer),
    create=extend_schema(
        request=serializers.AlertRuleCreateInputSerializer,
        responses={201: serializers.AlertRuleOutputSerializer},
        extensions=STATE_CHECKED,
    ),
    partial_update=extend_schema(
        request=serializers.AlertRuleUpdateInputSerializer,
        responses=serializers.AlertRuleOutputSerializer,
        extensions=STATE_CHECKED,
    ),
    destroy=extend_schema(responses={204: None}),
)
class AlertRuleApi(AlertsApiBase):
    """Alert rules on monitors: the kind, its parameters, severity and channels."""

    queryset = AlertRule.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = serializers.AlertRuleOutputSerializer
    filterset_class = AlertRuleFilter
    required_actions = {
        "list": Action.ALERT_VIEW,
        "retrieve": Action.ALERT_VIEW,
        "create": Action.ALERT_RULE_CONFIGURE,
        "partial_update": Action.ALERT_RULE_CONFIGURE,
        "destroy": Action.ALERT_RULE_CONFIGURE,
    }

    def get_queryset(self):
        return selectors.alert_rule_list(user=self.request.user, filters=self.list_filters())

    def _output(self, rule: AlertRule) -> dict:
        rule = selectors.alert_rule_get(user=self.request.user, pk=rule.pk)
        return serializers.AlertRuleOutputSerializer(rule).data

    def create(self, request):
        data = validated(serializers.AlertRuleCreateInputSerializer, request.data)
        rule = services.alert_rule_create(actor=request.user, **data)
        return Response(self._output(rule), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        rule = self.get_object()
        data = validated(serializers.AlertRuleUpdateInputSerializer, request.data)
        rule = services.alert_rule_update(actor=request.user, rule=rule, **data)
        return Response(self._output(rule))

    def destroy(self, request, pk=None):
        services.alert_rule_delete(actor=request.user, rule=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(responses=serializers.AlertOutputSerializer(many=True)),
    retrieve=extend_schema(responses=serializers.AlertDetailOutputSerializer),
    acknowledge=extend_schema(
        request=serializers.AlertNoteInputSerializer,
        responses=serializers.AlertDetailOutputSerializer,
    ),
    resolve=extend_schema(
        request=serializers.AlertNoteInputSerializer,
        responses=serializers.AlertDetailOutputSerializer,
    ),
)
class AlertApi(AlertsApiBase):
    """Alerts, most severe and newest first; acknowledge and resolve."""

    queryset = Alert.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = serializers.AlertOutputSerializer
    filterset_class = AlertFilter
    required_actions = {
        "list": Action.ALERT_VIEW,
        "retrieve": Action.ALERT_VIEW,
        "acknowledge": Action.ALERT_RESPOND,
        "resolve": Action.ALERT_RESPOND,
    }

    def get_queryset(self):
        return selectors.alert_list(user=self.request.user, filters=self.list_filters())

    def _detail(self, pk: int) -> dict:
        alert = selectors.alert_get(user=self.request.user, pk=pk)
        return serializers.AlertDetailOutputSerializer(alert).data

    def retrieve(self, request, pk=None):
        return Response(self._detail(self.get_object().pk))

    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        data = validated(serializers.AlertNoteInputSerializer, request.data)
        alert = services.alert_acknowledge(
            actor=request.user, alert=self.get_object(), note=data["note"]
        )
        return Response(self._detail(alert.pk))

    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        data = validated(serializers.AlertNoteInputSerializer, request.data or {})
        alert = services.alert_resolve(
            actor=request.user, alert=self.get_object(), note=data["note"]
        )
        return Response(self._detail(alert.pk))


@extend_schema_view(
    list=extend_schema(responses=serializers.SilenceOutputSerializer(many=True)),
    retrieve=extend_schema(responses=serializers.SilenceOutputSerializer),
    create=extend_schema(
        request=serializers.SilenceCreateInputSerializer,
        responses={201: serializers.SilenceOutputSerializer},
        extensions=STATE_CHECKED,
    ),
    expire=extend_schema(request=None, responses=serializers.SilenceOutputSerializer),
)
class SilenceApi(AlertsApiBase):
    """Silences of a rule, a monitor or a model: alerts are recorded, nothing is sent."""

    queryset = Silence.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = serializers.SilenceOutputSerializer
    filterset_class = SilenceFilter
    required_actions = {
        "list": Action.ALERT_VIEW,
        "retrieve": Action.ALERT_VIEW,
        "create": Action.ALERT_RESPOND,
        "expire": Action.ALERT_RESPOND,
    }

    def get_queryset(self):
        return selectors.silence_list(user=self.request.user, filters=self.list_filters())

    def _output(self, silence) -> dict:
        silence = selectors.silence_get(user=self.request.user, pk=silence.pk)
        return serializers.SilenceOutputSerializer(silence).data

    def create(self, request):
        data = validated(serializers.SilenceCreateInputSerializer, request.data)
        silence = services.silence_create(actor=request.user, **data)
        return Response(self._output(silence), status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def expire(self, request, pk=None):
        silence = services.silence_expire(actor=request.user, silence=self.get_object())
        return Response(self._output(silence))
