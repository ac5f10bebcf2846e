"""``GET /metrics``: Prometheus text for admins, or for a scraper holding the scrape token.

A scraper sends ``Authorization: Bearer <PORTAL_METRICS_TOKEN>``; with no token configured the
scrape token is refused and only signed-in admins (``Action.METRICS_VIEW``) get the page.
"""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.roles import Action, may
from mlops_portal.api.base import PortalApi
from monitoring import metrics

SCRAPE_TOKEN = "metrics-scrape-token"


class ScrapeTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>`` compared in constant time with the configured token.

    Authenticates no user: it only tells the permission below that a scraper is asking.
    """

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        expected = (settings.PORTAL_METRICS_TOKEN or "").encode()
        if len(parts) != 2 or not expected or not hmac.compare_digest(parts[1], expected):
            raise exceptions.AuthenticationFailed("Invalid metrics scrape token.")
        return AnonymousUser(), SCRAPE_TOKEN

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="metrics"'


class MetricsPermission(BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.auth == SCRAPE_TOKEN:
            return True
        if not getattr(request.user, "is_authenticated", False):
            raise exceptions.NotAuthenticated()
        return may(request.user, Action.METRICS_VIEW)


class PrometheusRenderer(BaseRenderer):
    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str):
            return data.encode()
        return json.dumps(data).encode()  # errors keep the JSON error body


@extend_schema(exclude=True)  # an operations endpoint in Prometheus text, not part of API v1
class UnsafeMetricsApi(PortalApi, APIView):
    """Prometheus metrics: ingested rows, drift runs by status and duration, queue lag.

    The API's one deliberate access bypass: a Prometheus scraper cannot log in, so it may also
    authenticate with the scrape token (``ScrapeTokenAuthentication``); people still need the
    metrics role."""

    authentication_classes = [
        ScrapeTokenAuthentication,
        *APIView.authentication_classes,
    ]
    permission_classes = [MetricsPermission]
    renderer_classes = [PrometheusRenderer]
    required_actions = {"get": Action.METRICS_VIEW}

    def get(self, request):
        return Response(metrics.exposition(), content_type=metrics.CONTENT_TYPE)
