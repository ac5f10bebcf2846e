"""Every route × every role (and anonymous) → the status that role must get.

Routes are enumerated from the URL resolver: a new route without a rule here fails the suite,
so nothing can ship without someone deciding who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from governance.roles import Role
from registry import services
from tests.factories import GroupFactory, UserFactory

ANON = "anonymous"
NO_ROLE = "no_role"
ALL_ROLES = [r.value for r in Role]
PRINCIPALS = [ANON, NO_ROLE, *ALL_ROLES]
AUTHORS = {"data_scientist", "admin"}
AUDITORS = {"approver", "risk_officer", "admin"}


@dataclass
class Rule:
    method: str = "get"
    kwargs: dict = field(default_factory=dict)
    body: dict | None = None
    allowed: set[str] | frozenset = frozenset(ALL_ROLES)
    ok: int = 200
    denied: int = 403
    anonymous: int | None = None  # default: 401 for the API, 302 (to login) for pages
    api: bool = False

    def expected(self, principal: str) -> int:
        if principal == ANON:
            return self.anonymous or (401 if self.api else 302)
        return self.ok if principal in self.allowed else self.denied


def api(**kwargs) -> Rule:
    return Rule(api=True, **kwargs)


# Object kwargs are filled in from the `world` fixture: "{model}", "{version}", ...
RULES: dict[str, Rule] = {
    # --- portal pages ---
    "overview": Rule(allowed=set(ALL_ROLES) | {NO_ROLE}),
    "login": Rule(allowed=set(PRINCIPALS), anonymous=200),
    "logout": Rule(method="post", allowed=set(PRINCIPALS), ok=302, anonymous=302),
    # Load balancers' probes: open to anyone, saying only ok / unreachable.
    "healthz": Rule(allowed=set(PRINCIPALS), anonymous=200),
    "readyz": Rule(allowed=set(PRINCIPALS), anonymous=200),
    "admin:index": Rule(allowed={"admin"}, denied=302),
    "profile": Rule(allowed=set(ALL_ROLES) | {NO_ROLE}),
    "token-create": Rule(method="post", ok=302),
    "token-revoke": Rule(
        method="post", kwargs={"token_key": "{token}"}, ok=302, allowed=set(ALL_ROLES) | {NO_ROLE}
    ),
    "model-list": Rule(),
    "model-create": Rule(allowed=AUTHORS),
    "model-detail": Rule(kwargs={"name": "{model}"}),
    "version-detail": Rule(kwargs={"name": "{model}", "number": 1}),
    "version-stage": Rule(
        method="post",
        kwargs={"name": "{model}", "number": 1},
        body={"stage": "Staging"},
        allowed={"admin"},
        ok=302,
    ),
    "dataset-list": Rule(),
    "dataset-detail": Rule(kwargs={"pk": "{dataset}"}),
    "audit-log": Rule(allowed=AUDITORS),
    "audit-verify": Rule(allowed=AUDITORS),
    "object-history": Rule(
        kwargs={"target_type": "registry.registeredmodel", "target_id": "{model_id}"},
        allowed=AUDITORS,
    ),
    # --- monitoring pages (the monitored version is v2 of the world's model) ---
    "monitor-list": Rule(),
    "monitor-detail": Rule(kwargs={"pk": "{monitor}"}),
    "monitor-create": Rule(kwargs={"name": "{model}", "number": 2}, allowed=AUTHORS),
    "monitor-edit": Rule(kwargs={"pk": "{monitor}"}, allowed=AUTHORS),
    "monitor-delete": Rule(method="post", kwargs={"pk": "{monitor}"}, allowed=AUTHORS, ok=302),
    "monitor-run-now": Rule(method="post", kwargs={"pk": "{monitor}"}, allowed=AUTHORS, ok=302),
    "monitor-backfill": Rule(
        method="post", kwargs={"pk": "{monitor}"}, body={"windows": 2}, allowed=AUTHORS, ok=302
    ),
    "drift-run-page": Rule(kwargs={"pk": "{monitor}", "run_pk": "{run}"}),
    "monitor-chart-csv": Rule(kwargs={"pk": "{monitor}", "chart": "drift-share"}),
    "version-monitoring": Rule(kwargs={"name": "{model}", "number": 2}),
    # uploads without a file: past the role check, the form error redirects back
    "reference-upload": Rule(
        method="post", kwargs={"name": "{model}", "number": 2}, allowed=AUTHORS, ok=302
    ),
    "batch-upload": Rule(
        method="post", kwargs={"name": "{model}", "number": 2}, allowed=AUTHORS, ok=302
    ),
    "label-upload": Rule(
        method="post", kwargs={"name": "{model}", "number": 2}, allowed=AUTHORS, ok=302
    ),
    "reference-page": Rule(kwargs={"pk": "{reference}"}),
    "reference-requeue": Rule(method="post", kwargs={"pk": "{reference}"}, allowed=AUTHORS, ok=302),
    # --- API ---
    "schema": api(allowed=set(ALL_ROLES) | {NO_ROLE}),
    "swagger-ui": api(allowed=set(ALL_ROLES) | {NO_ROLE}),
    "api:me": api(),
    "api:model-list": api(),
    "api:model-list POST": api(
        method="post", body={"name": "fresh-model"}, allowed=AUTHORS, ok=201
    ),
    "api:model-detail": api(kwargs={"name": "{model}"}),
    "api:model-detail PATCH": api(
        method="patch", kwargs={"name": "{model}"}, body={"description": "new"}, allowed=AUTHORS
    ),
    "api:model-version-list": api(),
    "api:model-version-list POST": api(
        method="post", body={"model": "{model}"}, allowed=AUTHORS, ok=201
    ),
    "api:model-version-detail": api(kwargs={"pk": "{version}"}),
    "api:model-version-detail PATCH": api(
        method="patch", kwargs={"pk": "{version}"}, body={"description": "new"}, allowed=AUTHORS
    ),
    "api:model-version-stage": api(
        method="post", kwargs={"pk": "{version}"}, body={"stage": "Staging"}, allowed={"admin"}
    ),
    "api:model-version-lineage": api(kwargs={"pk": "{version}"}),
    "api:dataset-version-list": api(),
    "api:dataset-version-list POST": api(
        method="post", body={"name": "fresh-data", "version": "v1"}, allowed=AUTHORS, ok=201
    ),
    "api:dataset-version-detail": api(kwargs={"pk": "{dataset}"}),
    "api:dataset-version-detail PATCH": api(
        method="patch", kwargs={"pk": "{dataset}"}, body={"description": "new"}, allowed=AUTHORS
    ),
    "api:dataset-version-lineage": api(kwargs={"pk": "{dataset}"}),
    "api:audit-event-list": api(allowed=AUDITORS),
    "api:audit-event-detail": api(kwargs={"sequence": 1}, allowed=AUDITORS),
    "api:audit-event-verify": api(allowed=AUDITORS),
    "api:api-token-list": api(),
    "api:api-token-list POST": api(method="post", ok=201),
    "api:api-token-detail": api(
        method="delete", kwargs={"token_key": "{token}"}, ok=204, allowed=set(ALL_ROLES) | {NO_ROLE}
    ),
    # --- monitoring API (objects from the world's "monitoring" entry) ---
    "api:version-reference-list": api(kwargs={"version_pk": "{mversion}"}),
    # multipart only: the role check passes, then the missing file is a 400
    "api:version-reference-list POST": api(
        method="post", kwargs={"version_pk": "{mversion}"}, allowed=AUTHORS, ok=400
    ),
    "api:reference-detail": api(kwargs={"pk": "{reference}"}),
    "api:version-batch-list": api(kwargs={"version_pk": "{mversion}"}),
    "api:version-batch-list POST": api(
        method="post",
        kwargs={"version_pk": "{mversion}"},
        body={"records": [{"features": {"x": 1.5, "c": "a"}, "prediction": 0.4}]},
        allowed=AUTHORS,
        ok=201,
    ),
    "api:version-batch-upload": api(
        method="post", kwargs={"version_pk": "{mversion}"}, allowed=AUTHORS, ok=400
    ),
    "api:batch-detail": api(kwargs={"pk": "{batch}"}),
    "api:version-prediction-log": api(
        method="post",
        kwargs={"version_pk": "{mversion}"},
        body={"features": {"x": 1.5, "c": "a"}, "prediction": 0.4},
        allowed=AUTHORS,
        ok=202,
    ),
    "api:version-label-list": api(kwargs={"version_pk": "{mversion}"}),
    "api:version-label-list POST": api(
        method="post",
        kwargs={"version_pk": "{mversion}"},
        body={"labels": [{"prediction_id": "p-1", "label": 1}]},
        allowed=AUTHORS,
        ok=201,
    ),
    "api:version-label-upload": api(
        method="post", kwargs={"version_pk": "{mversion}"}, allowed=AUTHORS, ok=400
    ),
    "api:monitor-list": api(),
    "api:monitor-list POST": api(
        method="post",
        body={"model_version": "{mversion}", "reference": "{reference}", "name": "fresh"},
        allowed=AUTHORS,
        ok=201,
    ),
    "api:monitor-detail": api(kwargs={"pk": "{monitor}"}),
    "api:monitor-detail PATCH": api(
        method="patch", kwargs={"pk": "{monitor}"}, body={"description": "new"}, allowed=AUTHORS
    ),
    "api:monitor-detail DELETE": api(
        method="delete", kwargs={"pk": "{monitor}"}, allowed=AUTHORS, ok=204
    ),
    "api:monitor-run": api(method="post", kwargs={"pk": "{monitor}"}, allowed=AUTHORS, ok=202),
    "api:monitor-backfill": api(
        method="post", kwargs={"pk": "{monitor}"}, body={"windows": 2}, allowed=AUTHORS, ok=202
    ),
    "api:drift-run-list": api(),
    "api:drift-run-detail": api(kwargs={"pk": "{run}"}),
    "api:drift-run-features": api(kwargs={"pk": "{run}"}),
    "api:backfill-list": api(),
    "api:backfill-detail": api(kwargs={"pk": "{backfill}"}),
    # --- alerts: readers see them; the model's owners (and admins) configure and respond
    "alert-list": Rule(),
    "alert-detail": Rule(kwargs={"pk": "{alert}"}),
    "alert-acknowledge": Rule(method="post", kwargs={"pk": "{alert}"}, allowed=AUTHORS, ok=302),
    "alert-resolve": Rule(method="post", kwargs={"pk": "{alert}"}, allowed=AUTHORS, ok=302),
    "alert-silence": Rule(
        method="post",
        kwargs={"pk": "{alert}"},
        body={"scope": "monitor", "hours": 2, "reason": "deploy"},
        allowed=AUTHORS,
        ok=302,
    ),
    "silence-expire-page": Rule(method="post", kwargs={"pk": "{silence}"}, allowed=AUTHORS, ok=302),
    "monitor-alert-rules": Rule(kwargs={"pk": "{monitor}"}),
    "monitor-alert-rules POST": Rule(
        method="post",
        kwargs={"pk": "{monitor}"},
        body={"kind": "run_failed", "severity": "info", "repeat_interval_seconds": 0},
        allowed=AUTHORS,
        ok=302,
    ),
    "alert-rule-edit": Rule(kwargs={"pk": "{alert_rule}"}, allowed=AUTHORS),
    "alert-rule-edit POST": Rule(
        method="post",
        kwargs={"pk": "{alert_rule}"},
        body={"kind": "run_failed", "severity": "info", "repeat_interval_seconds": 0},
        allowed=AUTHORS,
        ok=302,
    ),
    "alert-rule-delete": Rule(
        method="post", kwargs={"pk": "{alert_rule}"}, allowed=AUTHORS, ok=302
    ),
    "api:alert-rule-list": api(),
    "api:alert-rule-list POST": api(
        method="post", body={"monitor": "{monitor}", "kind": "run_failed"}, allowed=AUTHORS, ok=201
    ),
    "api:alert-rule-detail": api(kwargs={"pk": "{alert_rule}"}),
    "api:alert-rule-detail PATCH": api(
        method="patch", kwargs={"pk": "{alert_rule}"}, body={"severity": "info"}, allowed=AUTHORS
    ),
    "api:alert-rule-detail DELETE": api(
        method="delete", kwargs={"pk": "{alert_rule}"}, allowed=AUTHORS, ok=204
    ),
    "api:alert-list": api(),
    "api:alert-detail": api(kwargs={"pk": "{alert}"}),
    "api:alert-acknowledge": api(
        method="post", kwargs={"pk": "{alert}"}, body={"note": "mine"}, allowed=AUTHORS
    ),
    "api:alert-resolve": api(method="post", kwargs={"pk": "{alert}"}, allowed=AUTHORS),
    "api:silence-list": api(),
    "api:silence-list POST": api(
        method="post",
        body={"monitor": "{monitor}", "ends_at": "{silence_ends}", "reason": "deploy"},
        allowed=AUTHORS,
        ok=201,
    ),
    "api:silence-detail": api(kwargs={"pk": "{silence}"}),
    "api:silence-expire": api(method="post", kwargs={"pk": "{silence}"}, allowed=AUTHORS),
    # Prometheus text at /metrics: admins, or a scraper with PORTAL_METRICS_TOKEN
    "metrics": api(allowed={"admin"}),
    # --- notifications: everyone their own inbox; subscribing needs a role; channels, their
    # subscriptions, deliveries and the allow-list are admins' (objects from "notifications")
    "notification-inbox": Rule(allowed=set(ALL_ROLES) | {NO_ROLE}),
    "notification-read": Rule(
        method="post", body={"all": "1"}, ok=302, allowed=set(ALL_ROLES) | {NO_ROLE}
    ),
    "subscription-settings": Rule(),
    "subscription-delete": Rule(
        method="post", kwargs={"pk": "{channel_subscription}"}, allowed={"admin"}, ok=302
    ),
    "channel-list": Rule(allowed={"admin"}),
    "channel-detail": Rule(kwargs={"pk": "{channel}"}, allowed={"admin"}),
    "channel-test": Rule(method="post", kwargs={"pk": "{channel}"}, allowed={"admin"}, ok=302),
    "channel-delete": Rule(method="post", kwargs={"pk": "{channel}"}, allowed={"admin"}, ok=302),
    "channel-subscription-set": Rule(
        method="post",
        kwargs={"pk": "{channel}"},
        body={"min_severity": "critical"},
        allowed={"admin"},
        ok=302,
    ),
    "delivery-list": Rule(allowed={"admin"}),
    "outbound-allowlist": Rule(allowed={"admin"}),
    "outbound-allowlist-delete": Rule(
        method="post", kwargs={"pk": "{allow_entry}"}, allowed={"admin"}, ok=302
    ),
    "api:notification-list": api(allowed=set(ALL_ROLES) | {NO_ROLE}),
    "api:notification-unread": api(allowed=set(ALL_ROLES) | {NO_ROLE}),
    "api:notification-read": api(
        method="post", body={"all": True}, allowed=set(ALL_ROLES) | {NO_ROLE}
    ),
    "api:subscription-list": api(),
    "api:subscription-list POST": api(method="post", body={"min_severity": "warning"}, ok=201),
    "api:subscription-detail": api(
        method="patch",
        kwargs={"pk": "{channel_subscription}"},
        body={"min_severity": "info"},
        allowed={"admin"},
    ),
    "api:subscription-detail DELETE": api(
        method="delete", kwargs={"pk": "{channel_subscription}"}, allowed={"admin"}, ok=204
    ),
    "api:channel-list": api(allowed={"admin"}),
    "api:channel-list POST": api(
        method="post",
        body={"name": "fresh", "kind": "email", "address": "fresh@example.com"},
        allowed={"admin"},
        ok=201,
    ),
    "api:channel-detail": api(kwargs={"pk": "{channel}"}, allowed={"admin"}),
    "api:channel-detail PATCH": api(
        method="patch", kwargs={"pk": "{channel}"}, body={"enabled": False}, allowed={"admin"}
    ),
    "api:channel-detail DELETE": api(
        method="delete", kwargs={"pk": "{channel}"}, allowed={"admin"}, ok=204
    ),
    "api:channel-test": api(method="post", kwargs={"pk": "{channel}"}, allowed={"admin"}, ok=202),
    "api:delivery-list": api(allowed={"admin"}),
    "api:delivery-detail": api(kwargs={"pk": "{delivery}"}, allowed={"admin"}),
}


def _named_routes(patterns=None, namespace: str = "", prefix: str = "") -> set[tuple[str, str]]:
    """(name, route prefix) for every named route, skipping Django admin's inner pages."""
    found = set()
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            if ns == "admin":
                found.add(("admin:index", "admin/"))
                continue
            inner_ns = f"{namespace}{ns}:" if ns else namespace
            found |= _named_routes(entry.url_patterns, inner_ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            found.add((f"{namespace}{entry.name}", prefix + str(entry.pattern)))
    return found


def _route_name(key: str) -> str:
    """Rule keys are route names, with " METHOD" appended for a route's further methods."""
    return key.split(" ")[0]


def test_every_route_has_a_rule():
    covered = {_route_name(key) for key in RULES}
    missing = [
        f"{name} ({route})" for name, route in sorted(_named_routes()) if name not in covered
    ]
    assert not missing, f"routes without a role rule in tests/test_role_matrix.py: {missing}"


@pytest.fixture
def world(db):
    """A team-owned model with one version, a dataset, and one user per principal."""
    team = GroupFactory(name="team-matrix")
    users = {role: UserFactory(username=f"u-{role}", roles=[role]) for role in ALL_ROLES}
    users["data_scientist"].groups.add(team)
    users[NO_ROLE] = UserFactory(username="u-norole")
    author = users["data_scientist"]
    model = services.model_create(actor=author, name="matrix-model", owner_group=team)
    version = services.model_version_create(actor=author, model=model)
    dataset = services.dataset_version_create(
        actor=author, name="matrix-data", version="v1", owner_group=team
    )
    world = {"users": users, "model": model, "version": version, "dataset": dataset}
    world["monitoring"] = _monitoring_world(author, model)
    world["notifications"] = _notifications_world(users["admin"], model)
    return world


def _monitoring_world(author, model) -> dict:
    """A monitored version (with a signature) and one of each monitoring object."""
    from tests.monitoring import factories as mf

    signature = {
        "inputs": [{"name": "x", "type": "float"}, {"name": "c", "type": "category"}],
        "outputs": [{"name": "score", "type": "float"}],
    }
    mversion = services.model_version_create(actor=author, model=model, signature=signature)
    reference = mf.ReferenceDatasetFactory(model_version=mversion, rows=200)
    monitor = mf.MonitorFactory(reference=reference, model_version=mversion, name="matrix")
    run = mf.DriftRunFactory(monitor=monitor)
    mf.FeatureDriftFactory(run=run)
    return {
        "mversion": mversion.pk,
        "reference": reference.pk,
        "monitor": monitor.pk,
        "run": run.pk,
        "batch": mf.InferenceBatchFactory(model_version=mversion).pk,
        "backfill": mf.BackfillFactory(monitor=monitor).pk,
        **_alerts_world(monitor, run),
    }


def _alerts_world(monitor, run) -> dict:
    """A rule with a firing alert, and a silence, on the world's monitor."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.monitoring.alerts import factories as af

    alert = af.AlertFactory(rule=af.AlertRuleFactory(monitor=monitor), run=run)
    return {
        "alert_rule": alert.rule_id,
        "alert": alert.pk,
        "silence": af.SilenceFactory(monitor=monitor).pk,
        "silence_ends": (timezone.now() + timedelta(hours=1)).isoformat(),
    }


def _notifications_world(admin, model) -> dict:
    """A channel with a subscription and a delivery, and an allow-list entry."""
    from notifications import services as notify

    channel, _secret = notify.channel_create(
        actor=admin, name="matrix-mail", kind="email", address="ops@example.com"
    )
    subscription, _created = notify.subscription_set(
        actor=admin, channel=channel, model=model, min_severity="warning"
    )
    notification = notify.notify(
        event_type="alert.firing", severity="critical", subject="matrix", channels=[channel]
    )
    return {
        "channel": channel.pk,
        "channel_subscription": subscription.pk,
        "delivery": notification.deliveries.get().pk,
        "allow_entry": notify.allowlist_entry_add(actor=admin, value="10.0.0.0/8").pk,
    }


def _fill(value, world, token: str):
    if not isinstance(value, str):
        return value
    return value.format(
        model=world["model"].name,
        model_id=world["model"].pk,
        version=world["version"].pk,
        dataset=world["dataset"].pk,
        token=token,
        **world.get("monitoring", {}),
        **world.get("notifications", {}),
    )


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("key", sorted(RULES))
def test_role_matrix(key, principal, world, client):
    rule = RULES[key]
    name = _route_name(key)
    user = world["users"].get(principal)
    issued, secret = AuthToken.objects.create(user=user) if user else (None, None)
    token = issued.token_key if issued else "missing0000000"
    kwargs = {k: _fill(v, world, token) for k, v in rule.kwargs.items()}
    body = {k: _fill(v, world, token) for k, v in (rule.body or {}).items()}
    url = reverse(name, kwargs=kwargs)
    if rule.api:
        http = APIClient()
        if user is not None:  # the real token path, as a script would call the API
            http.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        response = getattr(http, rule.method)(url, body or None, format="json")
    else:
        if user is not None:
            client.force_login(user)
        response = getattr(client, rule.method)(url, body)
    assert response.status_code == rule.expected(principal), (
        f"{rule.method.upper()} {url} as {principal}: {response.status_code}"
    )
    if principal == ANON and not rule.api and rule.expected(ANON) == 302:
        assert "/login/" in response["Location"]
