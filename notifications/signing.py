"""Webhook secrets and signatures (Standard Webhooks, https://www.standardwebhooks.com/).

A channel's secret is ``whsec_`` + base64 of 32 random bytes, shown once when the channel is
created. It is stored encrypted (Fernet: AES-128-CBC + HMAC-SHA256) under a key derived from
``SECRET_KEY``; keys derived from ``SECRET_KEY_FALLBACKS`` still decrypt, so the secret key can
be rotated the Django way. Signing is the ``standardwebhooks`` library's own: ``v1,`` + base64
HMAC-SHA256 over ``"{webhook-id}.{webhook-timestamp}.{body}"``.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
_KDF_INFO = b"mlops-portal notifications: webhook channel secrets"


class SecretUnavailable(Exception):
    """The stored secret cannot be decrypted with any of the current keys."""


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _fernet_key(secret_key: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KDF_INFO).derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(derived)


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_fernet_key(key)) for key in keys])


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnavailable(
            "The channel's secret cannot be decrypted (was SECRET_KEY changed without keeping "
            "the old one in SECRET_KEY_FALLBACKS?)."
        ) from exc


def signed_headers(*, secret: str, message_id: str, body: bytes, now: datetime) -> dict:
    """The three Standard Webhooks headers for one attempt: the same ``webhook-id`` on every
    attempt, the attempt's own timestamp, and the signature over both and the body."""
    timestamp = int(now.astimezone(UTC).timestamp())
    signature = Webhook(secret).sign(
        msg_id=message_id,
        timestamp=datetime.fromtimestamp(timestamp, tz=UTC),
        data=body.decode(),
    )
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }
