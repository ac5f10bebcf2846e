"""Password and token guessing are throttled, and a guessing flood cannot grow the audit trail
without bound."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from governance.audit import AuditEvent

LOGIN = "/accounts/login/"
PASSWORD = "pw-for-tests"  # tests.factories.UserFactory's


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def _login(client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _auth_events():
    return list(
        AuditEvent.objects.filter(action__startswith="auth.login.")
        .order_by("sequence")
        .values_list("action", "target_label", "changes")
    )


def test_fifty_wrong_passwords_then_the_right_one_does_not_log_in(client, make_user):
    make_user("viewer", username="vera")
    for n in range(50):
        _login(client, "vera", f"guess-{n}")
    response = _login(client, "vera", PASSWORD)
    assert response.status_code == 429
    assert not _logged_in(client)
    assert "Too many failed logins" in response.content.decode()


def test_below_the_limit_the_right_password_still_logs_in(client, make_user, settings):
    make_user("viewer", username="vera")
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "vera", f"guess-{n}").status_code == 200
    assert _login(client, "vera", PASSWORD).status_code == 302
    assert _logged_in(client)


def test_one_address_guessing_many_usernames_is_locked_out(client, make_user, settings):
    make_user("viewer", username="vera")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, f"user{n}", "guess", ip="10.9.9.9")
    assert _login(client, "vera", PASSWORD, ip="10.9.9.9").status_code == 429
    assert not _logged_in(client)
    # Another address, and the username nobody guessed, are not affected.
    assert _login(client, "vera", PASSWORD, ip="10.1.1.1").status_code == 302


def test_many_addresses_guessing_one_username_lock_it_out(client, make_user, settings):
    make_user("viewer", username="vera")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "vera", "guess", ip=f"10.0.1.{n}")
    assert _login(client, "vera", PASSWORD, ip="10.0.2.1").status_code == 429
    assert not _logged_in(client)


def test_the_lockout_ends_after_the_cool_off(client, make_user, settings):
    make_user("viewer", username="vera")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "vera", f"guess-{n}")
    assert _login(client, "vera", PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    assert _login(client, "vera", PASSWORD).status_code == 302


def test_a_guessing_flood_writes_one_event_per_lockout_with_its_count(client, make_user, settings):
    make_user("viewer", username="vera")
    limit = settings.AXES_FAILURE_LIMIT
    for n in range(200):
        _login(client, "vera", f"guess-{n}")
    events = _auth_events()
    assert [action for action, _label, _changes in events] == [
        *["auth.login.failed"] * (limit - 1),
        "auth.login.locked_out",
    ]
    _action, label, changes = events[-1]
    assert label == "vera"
    assert changes["failures"]["after"] == limit
    assert changes["ip"]["after"] == "10.0.0.1"
    # The throttle's own record does not grow either.
    assert AccessAttempt.objects.count() == 1


# --- API tokens ------------------------------------------------------------------------------


def _api(token: str, ip: str = "10.0.0.1"):
    return APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}", REMOTE_ADDR=ip)


def test_bad_tokens_beyond_the_rate_get_429_with_retry_after(db, make_user):
    user = make_user("viewer", username="vera")
    _instance, good = AuthToken.objects.create(user=user)
    statuses = [_api(f"{'x' * 8}{n:056d}").status_code for n in range(200)]
    assert statuses[:20] == [401] * 20
    assert set(statuses[20:]) == {429}
    response = _api(good)  # even a right guess from that address waits
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["error"]["code"] == "throttled"
    assert _api(good, ip="10.0.0.2").status_code == 200  # others are not affected


def test_clients_with_valid_tokens_are_not_throttled(db, make_user):
    user = make_user("viewer", username="vera")
    _instance, good = AuthToken.objects.create(user=user)
    assert {_api(good).status_code for _ in range(60)} == {200}


def test_guesses_in_flight_when_the_limit_is_reached_share_one_lockout_event(db, rf):
    """Concurrent guesses can all pass the throttle before the limit is reached, and each then
    finds itself over it: they still make one lockout event."""
    from governance import audit

    for failures in (5, 6, 7, 8):
        request = rf.post(LOGIN)
        request.axes_locked_out = True
        request.axes_failures_since_start = failures
        request.axes_ip_address = "10.0.0.1"
        audit.on_user_login_failed(None, {"username": "vera"}, request=request)
    [event] = AuditEvent.objects.filter(action="auth.login.locked_out")
    assert event.changes["failures"]["after"] == 5
