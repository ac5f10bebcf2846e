"""Webhook secrets are recoverable only by the portal, and signatures verify with the
Standard Webhooks reference library."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from notifications import signing


def test_a_secret_is_whsec_and_32_random_bytes():
    first, second = signing.secret_generate(), signing.secret_generate()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


def test_secrets_are_stored_encrypted_and_decrypt_back():
    secret = signing.secret_generate()
    token = signing.secret_encrypt(secret)
    assert secret not in token and secret.removeprefix("whsec_") not in token
    assert signing.secret_decrypt(token) == secret


def test_a_rotated_secret_key_still_decrypts_through_the_fallbacks(settings):
    token = signing.secret_encrypt("whsec_c2VjcmV0")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-brand-new-secret-key-" + "x" * 40
    assert signing.secret_decrypt(token) == "whsec_c2VjcmV0"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(signing.SecretUnavailable, match="SECRET_KEY_FALLBACKS"):
        signing.secret_decrypt(token)


def test_signed_headers_verify_with_the_standardwebhooks_library():
    secret = signing.secret_generate()
    body = '{"type":"alert.firing","data":{"summary":"drift ü"}}'.encode()
    headers = signing.signed_headers(
        secret=secret, message_id="msg_1", body=body, now=datetime.now(UTC)
    )
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers) == {
        "type": "alert.firing",
        "data": {"summary": "drift ü"},
    }
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"firing", b"resolved"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.secret_generate()).verify(body, headers)
