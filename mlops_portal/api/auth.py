"""API token authentication: knox tokens, checked in one query with the user and their roles."""

from __future__ import annotations

import binascii
from hmac import compare_digest

from django.contrib.auth.models import Group
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

from governance.roles import Role, user_roles_preload
from mlops_portal.db import CommaJoined


def _role_names():
    """The user's role groups, comma-joined (role names are slugs)."""
    return Subquery(
        Group.objects.filter(user=OuterRef("user_id"), name__in=[role.value for role in Role])
        .order_by()
        .values("user")
        .annotate(names=CommaJoined("name"))
        .values("names")
    )


class PortalTokenAuthentication(TokenAuthentication):
    """Knox's check (SHA-512 digest, constant-time compare) with two differences that matter on
    every API call: the token, its user and the user's roles come in one query (the role check
    that follows needs none), and there is no sweep of the user's other expired tokens (a query
    per call, and unaudited deletes). An expired token is refused and stays listed, as expired,
    on the profile page until its owner revokes it."""

    def authenticate_credentials(self, token: bytes):
        message = "Invalid token."
        token = token.decode("utf-8")
        candidates = (
            AuthToken.objects.filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH])
            .select_related("user")
            .annotate(role_names=_role_names())
        )
        for auth_token in candidates:
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed(message) from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                user_roles_preload(auth_token.user, (auth_token.role_names or "").split(","))
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(message)

    def _cleanup_token(self, auth_token) -> bool:
        return auth_token.expiry is not None and auth_token.expiry < timezone.now()


class PortalTokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of knox tokens, for this subclass too."""

    target_class = "mlops_portal.api.auth.PortalTokenAuthentication"
