import pytest

from notifications import services as notify
from tests.monitoring.alerts.factories import AlertRuleFactory
from tests.monitoring.factories import DriftRunFactory, FeatureDriftFactory


@pytest.fixture
def channel(admin_user):
    created, _secret = notify.channel_create(
        actor=admin_user, name="oncall-mail", kind="email", address="oncall@example.com"
    )
    return created


@pytest.fixture
def rule(monitor, channel):
    """A dataset-drift rule on ``monitor`` that also tells ``channel``."""
    return AlertRuleFactory(monitor=monitor, channels=[channel])


@pytest.fixture
def finished_run(monitor):
    """``finished_run(drifted=True)`` → a succeeded run of the next window, drifted or not."""

    def make(*, drifted: bool = True, monitor=monitor, **fields):
        fields.setdefault("dataset_drift", drifted)
        fields.setdefault("drift_share", 0.67 if drifted else 0.0)
        fields.setdefault("n_drifted", 2 if drifted else 0)
        run = DriftRunFactory(monitor=monitor, **fields)
        FeatureDriftFactory(run=run, feature="x", drifted=drifted)
        return run

    return make
