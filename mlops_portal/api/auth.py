"""API token authentication: knox tokens, checked without knox's per-request housekeeping."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication


class PortalTokenAuthentication(TokenAuthentication):
    """Knox's check (SHA-512 digest, constant-time compare), minus its clean-up of the user's
    other expired tokens on every request: that costs a query per API call and deletes rows
    unaudited. An expired token is refused here and stays listed (as expired) on the profile
    page until its owner revokes it."""

    def _cleanup_token(self, auth_token) -> bool:
        return auth_token.expiry is not None and auth_token.expiry < timezone.now()


class PortalTokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of knox tokens, for this subclass too."""

    target_class = "mlops_portal.api.auth.PortalTokenAuthentication"
