"""Notifications REST API: thin views that validate, call one service or selector, serialize.

- ``/notifications/``: the caller's inbox; ``/notifications/read/`` marks read.
- ``/subscriptions/``: the caller's own subscriptions (admins also channels').
- ``/channels/`` (admins): a webhook's secret is in the creation response only;
  ``/channels/{id}/test/`` sends a test message.
- ``/deliveries/`` (admins): every delivery with its status, status code and error.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from governance.roles import Action
from mlops_portal.api.base import (
    PortalApi,
    validated,
)
from notifications import selectors, services
from notifications.api import serializers as s
from notifications.api.schema import RequiredOneOf
from notifications.filters import ChannelFilter, DeliveryFilter, InboxFilter
from notifications.models import Channel, ChannelKind, Delivery, InboxEntry, Subscription

CHANNEL_CREATE_REQUEST = RequiredOneOf(
    component_name="ChannelCreate",
    serializers=[s.UrlChannelCreateInputSerializer, s.EmailChannelCreateInputSerializer],
    required=["kind", "name"],
)


def _pk(value) -> int:
    return int(value)  # the route's pattern admits digits only


@extend_schema_view(
    list=extend_schema(responses=s.NotificationOutputSerializer(many=True)),
    unread=extend_schema(responses=s.UnreadOutputSerializer),
    read=extend_schema(request=s.MarkReadInputSerializer, responses=s.MarkReadOutputSerializer),
)
class NotificationApi(PortalApi, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own inbox, newest first."""

    queryset = InboxEntry.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = s.NotificationOutputSerializer
    filterset_class = InboxFilter
    ordering_fields = ["created_at"]
    required_actions = {
        "list": Action.NOTIFICATION_INBOX_OWN,
        "read": Action.NOTIFICATION_INBOX_OWN,
        "unread": Action.NOTIFICATION_INBOX_OWN,
    }

    def get_queryset(self):
        return selectors.inbox_list(user=self.request.user, filters=self.list_filters())

    @action(detail=False, methods=["get"])
    def unread(self, request):
        """How many notifications of your inbox are unread (one query): the navigation bar's
        badge."""
        count = selectors.inbox_unread_count(user=request.user)
        return Response(s.UnreadOutputSerializer({"unread": count}).data)

    @action(detail=False, methods=["post"])
    def read(self, request):
        """Mark notifications read: ``{"ids": [...]}`` those, ``{"all": true}`` every one."""
        data = validated(s.MarkReadInputSerializer, request.data)
        ids = None if data["all"] else data["ids"]
        marked = services.inbox_mark_read(user=request.user, notification_ids=ids)
        unread = selectors.inbox_unread_count(user=request.user)
        return Response(s.MarkReadOutputSerializer({"marked": marked, "unread": unread}).data)


@extend_schema_view(
    list=extend_schema(responses=s.ChannelOutputSerializer(many=True)),
    retrieve=extend_schema(responses=s.ChannelOutputSerializer),
    create=extend_schema(
        request=CHANNEL_CREATE_REQUEST, responses={201: s.ChannelCreatedOutputSerializer}
    ),
    partial_update=extend_schema(
        request=s.ChannelUpdateInputSerializer, responses=s.ChannelOutputSerializer
    ),
    destroy=extend_schema(responses={204: None}),
    test=extend_schema(request=None, responses={202: s.DeliveryOutputSerializer}),
)
class ChannelApi(
    PortalApi, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Where notifications go (admins): email, Slack incoming webhooks, signed webhooks."""

    queryset = Channel.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = s.ChannelOutputSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = ChannelFilter
    ordering_fields = ["name", "created_at"]
    required_actions = {
        "list": Action.NOTIFICATION_CHANNEL_MANAGE,
        "retrieve": Action.NOTIFICATION_CHANNEL_MANAGE,
        "create": Action.NOTIFICATION_CHANNEL_MANAGE,
        "partial_update": Action.NOTIFICATION_CHANNEL_MANAGE,
        "destroy": Action.NOTIFICATION_CHANNEL_MANAGE,
        "test": Action.NOTIFICATION_CHANNEL_MANAGE,
    }

    def get_queryset(self):
        return selectors.channel_list(user=self.request.user, filters=self.list_filters())

    def get_object(self):
        return selectors.channel_get(user=self.request.user, pk=_pk(self.kwargs["pk"]))

    def create(self, request):
        kind = request.data.get("kind") if isinstance(request.data, dict) else None
        if kind == ChannelKind.EMAIL:
            data = validated(s.EmailChannelCreateInputSerializer, request.data)
        elif kind in (ChannelKind.WEBHOOK, ChannelKind.SLACK):
            data = validated(s.UrlChannelCreateInputSerializer, request.data)
        else:
            raise ValidationError({"kind": [f"Must be one of {', '.join(ChannelKind.values)}."]})
        channel, secret = services.channel_create(actor=request.user, **data)
        body = s.ChannelOutputSerializer(channel).data | {"secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        channel = self.get_object()
        data = validated(s.ChannelUpdateInputSerializer, request.data)
        channel = services.channel_update(actor=request.user, channel=channel, **data)
        return Response(s.ChannelOutputSerializer(channel).data)

    def destroy(self, request, pk=None):
        services.channel_delete(actor=request.user, channel=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a test message through the channel; follow it in ``/deliveries/{id}/``."""
        delivery = services.channel_test(actor=request.user, channel=self.get_object())
        delivery = selectors.delivery_get(user=request.user, pk=delivery.pk)
        return Response(s.DeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(responses=s.SubscriptionOutputSerializer(many=True)),
    create=extend_schema(
        request=s.SubscriptionSetInputSerializer,
        responses={200: s.SubscriptionOutputSerializer, 201: s.SubscriptionOutputSerializer},
    ),
    partial_update=extend_schema(
        request=s.SubscriptionUpdateInputSerializer, responses=s.SubscriptionOutputSerializer
    ),
    destroy=extend_schema(responses={204: None}),
)
class SubscriptionApi(PortalApi, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Who hears about which model from which severity on: your own subscriptions (admins:
    also the channels'). POST sets the one for that model (201 new, 200 changed)."""

    queryset = Subscription.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = s.SubscriptionOutputSerializer
    lookup_value_regex = r"[0-9]+"
    filter_backends = []
    required_actions = {
        "list": Action.NOTIFICATION_SUBSCRIBE_OWN,
        "create": Action.NOTIFICATION_SUBSCRIBE_OWN,
        "partial_update": Action.NOTIFICATION_SUBSCRIBE_OWN,
        "destroy": Action.NOTIFICATION_SUBSCRIBE_OWN,
    }

    def get_queryset(self):
        return selectors.subscription_list(user=self.request.user)

    def get_object(self):
        return selectors.subscription_get(user=self.request.user, pk=_pk(self.kwargs["pk"]))

    def create(self, request):
        data = validated(s.SubscriptionSetInputSerializer, request.data)
        subscription, created = services.subscription_set(actor=request.user, **data)
        return Response(
            s.SubscriptionOutputSerializer(subscription).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def partial_update(self, request, pk=None):
        subscription = self.get_object()
        data = validated(s.SubscriptionUpdateInputSerializer, request.data)
        subscription = services.subscription_update(
            actor=request.user, subscription=subscription, **data
        )
        return Response(s.SubscriptionOutputSerializer(subscription).data)

    def destroy(self, request, pk=None):
        services.subscription_delete(actor=request.user, subscription=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(responses=s.DeliveryOutputSerializer(many=True)),
    retrieve=extend_schema(responses=s.DeliveryOutputSerializer),
)
class DeliveryApi(PortalApi, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every (notification, channel) delivery with its status, attempts, last status code and
    error (admins)."""

    queryset = Delivery.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = s.DeliveryOutputSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = DeliveryFilter
    ordering_fields = ["created_at", "updated_at", "status"]
    required_actions = {
        "list": Action.NOTIFICATION_DELIVERY_VIEW,
        "retrieve": Action.NOTIFICATION_DELIVERY_VIEW,
    }

    def get_queryset(self):
        return selectors.delivery_list(user=self.request.user, filters=self.list_filters())

    def retrieve(self, request, pk=None):
        delivery = selectors.delivery_get(user=request.user, pk=_pk(pk))
        return Response(s.DeliveryOutputSerializer(delivery).data)
