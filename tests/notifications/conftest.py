"""Notification test fixtures: eager Celery, a team-owned model, a fake public DNS, and a real
HTTP receiver on 127.0.0.1 that records what it is sent and answers as it is told."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mlops_portal.celery import app as celery_app
from notifications import outbound
from tests.factories import GroupFactory, RegisteredModelFactory


@pytest.fixture(autouse=True)
def _celery_eager():
    """Tasks queued by the code under test run inline (after the commit that queued them)."""
    saved = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


@pytest.fixture(autouse=True)
def _no_allowlist(settings):
    settings.PORTAL_OUTBOUND_ALLOWLIST = []
    settings.PORTAL_BASE_URL = "https://portal.example.com"


@pytest.fixture
def team(db):
    return GroupFactory(name="team-churn")


@pytest.fixture
def model(team):
    return RegisteredModelFactory(name="churn", owner_group=team)


@pytest.fixture
def owner(make_user, team):
    user = make_user("data_scientist", username="owner-ds", email="owner@example.com")
    user.groups.add(team)
    return user


PUBLIC_DNS = {
    "hooks.example.com": ["93.184.215.14"],
    "hooks.slack.com": ["34.226.36.50"],
    "receiver.example.com": ["93.184.215.15"],
    "internal.example.com": ["10.1.2.3"],
    "metadata.example.com": ["169.254.169.254"],
    "mixed.example.com": ["93.184.215.16", "192.168.1.10"],
    "localhost": ["127.0.0.1", "::1"],
}


@pytest.fixture
def dns(monkeypatch):
    """``outbound.resolve`` answers from a table (no network in tests); tests may change the
    table between calls (DNS rebinding)."""
    table = {host: list(addresses) for host, addresses in PUBLIC_DNS.items()}

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"[Errno -2] Name or service not known: {host}")
        return list(table[host])

    monkeypatch.setattr(outbound, "resolve", resolve)
    return table


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1. ``replies``: (status, headers, body) answered in order,
    then 200 for everything."""

    host: str = "127.0.0.1"
    port: int = 0
    received: list[Received] = field(default_factory=list)
    replies: deque = field(default_factory=deque)
    hang: bool = False  # hold every answer until the test ends (a receiver that times out)
    released: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hooks/portal?team=ml"

    def reply(self, status: int, headers: dict | None = None, body: bytes = b"") -> None:
        self.replies.append((status, headers or {}, body))


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            state.received.append(
                Received(path=self.path, headers=dict(self.headers.items()), body=body)
            )
            if state.hang:
                state.released.wait(10)
            status, headers, reply = state.replies.popleft() if state.replies else (200, {}, b"ok")
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    state.released.set()
    server.shutdown()
    server.server_close()
