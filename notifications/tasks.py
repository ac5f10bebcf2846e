"""Celery tasks: thin, take ids, call one service, safe to run twice (STYLE.md §9).

``notification_task`` sets what keeps work from being lost: ``acks_late`` with
``reject_on_worker_lost`` (a delivery claimed by a worker that died is claimed again once its
claim is stale), soft/hard time limits above the HTTP timeouts, Celery retries only for database
hiccups. Retries of a delivery itself (429, 5xx, timeouts) are scheduled by the delivery service
on the row (attempts, next attempt time, a cap) and queued here with a countdown.
"""

from __future__ import annotations

from mlops_portal.celery import portal_task
from notifications import services
from notifications.dispatch import TaskName, deliveries_send


def notification_task(name: str, *, soft_time_limit: int):
    """Deliveries are short: a tighter hard limit and backoff than the portal's default."""
    return portal_task(
        name, soft_time_limit=soft_time_limit, hard_limit_margin=30, retry_backoff_max=60
    )


@notification_task(TaskName.DELIVERY_SEND, soft_time_limit=60)
def delivery_send(delivery_id: int) -> None:
    outcome = services.delivery_attempt(delivery_id=delivery_id)
    if outcome is not None and outcome.retry_in is not None:
        delivery_send.apply_async(args=[delivery_id], countdown=outcome.retry_in)


@notification_task(TaskName.DELIVERIES_REQUEUE, soft_time_limit=120)
def deliveries_requeue() -> None:
    deliveries_send(services.deliveries_due())
