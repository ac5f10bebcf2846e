"""A worker killed with SIGKILL in the middle of a delivery (issue 13): after a worker comes
back every delivery is sent, none is lost, and deduped by ``webhook-id`` the receiver processed
each exactly once. Real ``celery worker`` processes on Redis and PostgreSQL, so this runs in
CI's second pass and is skipped on the embedded default (filesystem broker, SQLite).

Three webhook channels on one real HTTP receiver on 127.0.0.1. The receiver records every
request and holds the first one open until the test releases it (an event, not a timing): the
first worker is then blocked mid-delivery, its row ``sending``, and is killed with SIGKILL. The
request did reach the receiver, so that delivery's ``webhook-id`` arrives twice; the others may
have been prefetched by the dead worker and lost with it. A second worker starts; the test runs
the requeue sweep (the beat does every minute) until everything is sent. The claim timeout and
the requeue grace are shortened to seconds for the test (module constants, patched here and in
the worker process)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from standardwebhooks import Webhook

from mlops_portal.celery import app as celery_app
from notifications import services, tasks
from notifications.models import ChannelKind, Delivery, DeliveryStatus
from notifications.services import delivery as delivery_service
from tests.celery_workers import kill, stop, wait_until, worker_start
from tests.monitoring.conftest import REAL_WORKER

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not REAL_WORKER, reason="needs CELERY_BROKER_URL=redis://… for real worker processes"
    ),
]
CHANNELS = 3
CLAIM_SECONDS = 4
GRACE_SECONDS = 1
SWEEP_EVERY_SECONDS = 1.0


@pytest.fixture(autouse=True)
def _celery_eager():
    """Not eager (overrides the notifications conftest): deliveries go through Redis."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = saved


@pytest.fixture(autouse=True)
def _short_claims(monkeypatch, settings):
    """This process runs the sweep: the same short claim timeout as the workers, a short grace."""
    monkeypatch.setattr(delivery_service, "CLAIM_TIMEOUT", timedelta(seconds=CLAIM_SECONDS))
    monkeypatch.setattr(delivery_service, "REQUEUE_GRACE", timedelta(seconds=GRACE_SECONDS))
    settings.PORTAL_OUTBOUND_ALLOWLIST = ["127.0.0.1"]


@dataclass
class HoldingReceiver:
    """Records (path, headers, body) of every POST; holds the first one open until released."""

    port: int = 0
    received: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    first_arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{name}"

    def requests(self) -> list:
        with self.lock:
            return list(self.received)


@pytest.fixture
def receiver():
    state = HoldingReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.lock:
                state.received.append((self.path, dict(self.headers.items()), body))
                first = len(state.received) == 1
            if first:
                state.first_arrived.set()
                state.release.wait()  # the worker that sent this is killed meanwhile
            try:
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the held request: its worker was killed and its connection closed

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


def start_worker(tmp_path, name: str):
    return worker_start(
        tmp_path,
        name,
        module="tests.notifications.delivery_worker",
        env={
            "PORTAL_TEST_CLAIM_TIMEOUT_SECONDS": str(CLAIM_SECONDS),
            "PORTAL_OUTBOUND_ALLOWLIST": "127.0.0.1",
        },
    )


def test_deliveries_held_by_a_killed_worker_are_each_received_once_after_a_restart(
    admin_user, model, receiver, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("worker processes need a database they can share (PostgreSQL)")
    channels, secrets = [], {}
    for n in range(CHANNELS):
        channel, secret = services.channel_create(
            actor=admin_user, name=f"receiver-{n}", kind=ChannelKind.WEBHOOK, url=receiver.url(n)
        )
        channels.append(channel)
        secrets[f"/hooks/{n}"] = secret

    celery_app.control.purge()
    first = start_worker(tmp_path, "first")
    second = None
    try:
        notification = services.notify(  # autocommit: the tasks are queued right away
            event_type="alert.firing",
            severity="critical",
            subject="Dataset drift on churn v4",
            model=model,
            channels=channels,
            include_subscribers=False,
        )
        deliveries = {d.message_id: d for d in Delivery.objects.filter(notification=notification)}
        assert len(deliveries) == CHANNELS

        assert receiver.first_arrived.wait(timeout=120), "no delivery reached the receiver"
        (_path, held_headers, _body), *_ = receiver.requests()
        held = Delivery.objects.get(message_id=held_headers["webhook-id"])
        assert held.status == DeliveryStatus.SENDING  # mid-delivery: sent, answer not read

        kill(first)
        receiver.release.set()  # the dead worker's connection is gone: nobody reads this answer
        killed_at = time.monotonic()
        assert Delivery.objects.get(pk=held.pk).status == DeliveryStatus.SENDING

        second = start_worker(tmp_path, "second")
        last_sweep = [0.0]

        def all_sent():
            # The beat entry runs the sweep every minute; here the test runs it every second.
            if time.monotonic() - last_sweep[0] >= SWEEP_EVERY_SECONDS:
                last_sweep[0] = time.monotonic()
                tasks.deliveries_requeue()
            return (
                not Delivery.objects.filter(notification=notification)
                .exclude(status=DeliveryStatus.SENT)
                .exists()
            )

        wait_until(all_sent, "every delivery to be sent", workers=[second])
        print(f"\nall sent {time.monotonic() - killed_at:.1f} s after the kill", end=" ")
    finally:
        stop(first)
        if second is not None:
            stop(second)
        celery_app.control.purge()

    requests = receiver.requests()
    seen = Counter(headers["webhook-id"] for _path, headers, _body in requests)
    print(f"({len(requests)} requests, {len(seen)} webhook-ids)")
    assert set(seen) == {str(message_id) for message_id in deliveries}  # none lost, none extra
    assert seen[str(held.message_id)] >= 2  # the held one again, with the same webhook-id
    for path, headers, body in requests:  # every copy signed for its channel, same event
        event = Webhook(secrets[path]).verify(body, headers)
        assert event["data"]["notification_id"] == notification.pk
    per_id = {}
    for path, headers, body in requests:
        per_id.setdefault(headers["webhook-id"], set()).add((path, body))
    assert all(len(copies) == 1 for copies in per_id.values())  # duplicates are identical

    for delivery in Delivery.objects.filter(notification=notification):
        assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.SENT, 200)
        assert delivery.sent_at is not None and delivery.next_attempt_at is None
        # Every claim was one request on the wire: no attempt unseen, no request unclaimed.
        assert delivery.attempts == seen[str(delivery.message_id)]
    assert Delivery.objects.get(pk=held.pk).attempts >= 2
