"""The notification tasks by name, and queueing deliveries once the transaction commits.

A broker that cannot be reached never undoes or blocks the work that caused the notification:
the failure is logged, the Delivery rows stay ``pending``, and the periodic requeue sweep
(``notifications.deliveries_requeue``) queues them again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from enum import StrEnum

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

from mlops_portal.celery import app as celery_app

logger = logging.getLogger("notifications")

BROKER_ERRORS = (BrokerUnavailable, OSError)


class TaskName(StrEnum):
    DELIVERY_SEND = "notifications.delivery_send"
    DELIVERIES_REQUEUE = "notifications.deliveries_requeue"


def deliveries_send(delivery_ids: Iterable[int]) -> None:
    """Queue one delivery task per id now (the rows are committed already)."""
    task = celery_app.tasks[TaskName.DELIVERY_SEND]
    for delivery_id in delivery_ids:
        try:
            task.delay(delivery_id)
        except BROKER_ERRORS:
            logger.exception(
                "could not queue delivery %s; the requeue sweep will queue it again", delivery_id
            )


def deliveries_send_on_commit(delivery_ids: Iterable[int]) -> None:
    """Queue the deliveries once the current transaction commits (never before). ``robust``:
    whatever goes wrong while queueing is logged, never raised into the committed caller."""
    ids = list(delivery_ids)
    if ids:
        transaction.on_commit(lambda: deliveries_send(ids), robust=True)
