"""Prometheus text for the notification deliveries, for the portal's ``/metrics``.

``exposition_lines()`` returns complete metric families (``# HELP``/``# TYPE`` and samples) that
the ``/metrics`` view appends to its own; it reads the database only (three queries).
"""

from __future__ import annotations

from django.utils import timezone

from notifications import selectors


def _escape(value) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def exposition_lines() -> list[str]:
    lines = [
        "# HELP mlops_portal_notification_deliveries Notification deliveries by status.",
        "# TYPE mlops_portal_notification_deliveries gauge",
    ]
    for status, count in selectors.delivery_status_counts_unchecked().items():
        lines.append(f'mlops_portal_notification_deliveries{{status="{status}"}} {count}')
    lines += [
        "# HELP mlops_portal_notification_deliveries_failed Failed deliveries per channel.",
        "# TYPE mlops_portal_notification_deliveries_failed gauge",
    ]
    for label, kind, count in selectors.delivery_failures_by_channel():
        lines.append(
            "mlops_portal_notification_deliveries_failed"
            f'{{channel="{_escape(label)}",kind="{kind}"}} {count}'
        )
    oldest = selectors.delivery_oldest_waiting()
    lag = max((timezone.now() - oldest).total_seconds(), 0.0) if oldest else 0.0
    lines += [
        "# HELP mlops_portal_notification_delivery_lag_seconds How long the oldest waiting "
        "delivery has been due (0 when none waits).",
        "# TYPE mlops_portal_notification_delivery_lag_seconds gauge",
        f"mlops_portal_notification_delivery_lag_seconds {lag!r}",
    ]
    return lines
