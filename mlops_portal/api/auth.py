"""API token authentication: knox tokens that expire without being deleted behind anyone's back."""

from __future__ import annotations

import binascii
from hmac import compare_digest

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions


class PortalTokenAuthentication(TokenAuthentication):
    """Knox's check (SHA-512 digest, constant-time compare) without knox's sweep of expired
    tokens, which deletes rows on a read and leaves no audit event. An expired token is refused
    and stays listed, as expired, on the profile page until its owner revokes it."""

    def authenticate_credentials(self, token: bytes):
        message = "Invalid token."
        token = token.decode("utf-8")
        try:
            digest = hash_token(token)
        except (TypeError, binascii.Error):
            raise exceptions.AuthenticationFailed(message) from None
        unexpired = AuthToken.objects.select_related("user").filter(
            Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()),
            token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH],
        )
        for auth_token in unexpired:
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(message)


class PortalTokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of knox tokens, for this subclass too."""

    target_class = "mlops_portal.api.auth.PortalTokenAuthentication"
