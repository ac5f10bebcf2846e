"""Token guessing is throttled: beyond a rate of failed token checks from one client address,
the API answers 429 with ``Retry-After`` and does not check the token at all until the window
has passed (so a right guess in a flood is refused too).

Counting uses DRF's ``SimpleRateThrottle`` (its cache and rate syntax): only failures count,
so clients that hold a valid token are never slowed down. Set ``CACHE_URL`` to a shared cache
(Redis) when several hosts serve the API.
"""

from __future__ import annotations

from knox.settings import knox_settings
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header
from rest_framework.throttling import SimpleRateThrottle

from governance.audit import client_ip
from mlops_portal.api.auth import PortalTokenAuthentication, PortalTokenScheme


class TokenFailureThrottle(SimpleRateThrottle):
    """Failed token checks per client address (``token_failure`` in DEFAULT_THROTTLE_RATES)."""

    scope = "token_failure"

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "-"}

    def _load(self, request) -> None:
        self.key = self.get_cache_key(request)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()

    def blocked_for(self, request) -> float | None:
        """Seconds to wait when the address has used up its failures, else None."""
        self._load(request)
        return self.wait() if len(self.history) >= self.num_requests else None

    def failure_count(self, request) -> None:
        self._load(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


def _bears_a_token(request) -> bool:
    parts = get_authorization_header(request).split()
    return bool(parts) and parts[0].lower() == knox_settings.AUTH_HEADER_PREFIX.encode().lower()


class GuessThrottledTokenAuthentication(PortalTokenAuthentication):
    """The portal's token check behind the failure throttle."""

    def authenticate(self, request):
        if not _bears_a_token(request):
            return None
        throttle = TokenFailureThrottle()
        wait = throttle.blocked_for(request)
        if wait is not None:
            raise exceptions.Throttled(
                wait, detail="Too many failed token checks from this address: retry later."
            )
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle.failure_count(request)
            raise


class GuessThrottledTokenScheme(PortalTokenScheme):
    """The OpenAPI security scheme (knox tokens) of the throttled check."""

    target_class = "governance.api.throttling.GuessThrottledTokenAuthentication"
