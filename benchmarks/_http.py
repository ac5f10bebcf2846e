"""Small load-generation helpers shared by the HTTP benchmarks (standard library only).

``run_load`` drives a request function from N threads, each with its own keep-alive
``http.client`` connection, for a bounded duration and request count, and returns the
client-side latencies and error count. ``Server`` starts a process in its own process group
and always stops the whole group; ``portal_env`` is the environment the portal runs in for a
benchmark. Nothing here talks to any host but the one it is given.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def portal_env(var_dir: Path) -> dict:
    """The portal's environment for a benchmark: the embedded defaults (SQLite and the
    filesystem broker in ``var_dir``) whatever the caller's shell says, DEBUG off."""
    env = dict(os.environ)
    env.update(
        PORTAL_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="mlops_portal.settings",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.pop("DATABASE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    return env


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class Client:
    """One keep-alive connection (reconnects when the server closed it), or with
    ``keep_alive=False`` a fresh connection for every request."""

    def __init__(
        self,
        host: str,
        port: int,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
        keep_alive: bool = True,
    ):
        self.host, self.port, self.timeout, self.keep_alive = host, port, timeout, keep_alive
        self.headers = {"Accept": "application/json", **(headers or {})}
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, body=None) -> tuple[int, bytes]:
        """Send one request; returns (status, body). Retries once on a stale connection."""
        headers = dict(self.headers)
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
                if response.will_close or not self.keep_alive:
                    self.close()
                return response.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server already closed: reconnect once.
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, body=None, ok=(200, 201)):
        status, data = self.request(method, path, body)
        if status not in ok:
            raise RuntimeError(f"{method} {path} -> {status}: {data[:300]!r}")
        return json.loads(data) if data else None


@dataclass
class LoadResult:
    name: str
    threads: int
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    server_cpu_s: float | None = None  # CPU time the server's processes used during the run
    client_cpu_s: float | None = None  # CPU time of this (load-generating) process
    round_rps: list[float] = field(default_factory=list)  # every round's req/s, when best-of

    @property
    def cpu_ms_per_request(self) -> float:
        if self.server_cpu_s is None or not self.latencies_ms:
            return float("nan")
        return self.server_cpu_s * 1000 / len(self.latencies_ms)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def percentile(self, pct: float) -> float:
        """Nearest-rank percentile of successful requests' latencies (ms); nan if none."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        rank = max(1, round(pct / 100 * len(ordered) + 0.5))
        return ordered[min(rank, len(ordered)) - 1]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)


def run_load(
    name: str,
    make_client: Callable[[], Client],
    request: Callable,
    *,
    threads: int = 8,
    duration: float = 10.0,
    max_requests: int = 100_000,
    ok_statuses: tuple[int, ...] = (200, 201),
    seed: int = 0,
) -> LoadResult:
    """Run ``request(client, rng)`` from ``threads`` threads until ``duration`` or
    ``max_requests`` (whichever first). ``request`` returns (status, body)."""
    result = LoadResult(name=name, threads=threads)
    lock = threading.Lock()
    budget = [max_requests]
    start_barrier = threading.Barrier(threads + 1)
    deadline = [0.0]

    def take() -> bool:
        with lock:
            if budget[0] <= 0:
                return False
            budget[0] -= 1
            return True

    def worker(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        client = make_client()
        latencies: list[float] = []
        errors = 0
        first_error = ""
        start_barrier.wait()
        try:
            while time.perf_counter() < deadline[0] and take():
                began = time.perf_counter()
                try:
                    status, body = request(client, rng)
                except (OSError, http.client.HTTPException) as exc:
                    status, body = -1, repr(exc).encode()
                    client.close()
                elapsed = (time.perf_counter() - began) * 1000
                if status in ok_statuses:
                    latencies.append(elapsed)
                else:
                    errors += 1
                    first_error = first_error or f"{status}: {body[:200]!r}"
        finally:
            client.close()
            with lock:
                result.latencies_ms.extend(latencies)
                result.errors += errors
                result.first_error = result.first_error or first_error

    pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + duration
    start_barrier.wait()
    for thread in pool:
        thread.join(timeout=duration + 120)
    result.seconds = time.perf_counter() - began
    return result


def group_cpu_seconds(pgid: int) -> float | None:
    """User+system CPU seconds of the live processes in process group ``pgid`` (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        # After the command: state ppid pgrp session ... utime(12th) stime(13th).
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def machine_busy_fraction(seconds: float = 1.0) -> float | None:
    """Share of all cores busy over ``seconds`` (from /proc/stat), to spot other load."""

    def sample():
        with open("/proc/stat") as handle:
            values = [int(v) for v in handle.readline().split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        return sum(values), idle

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except OSError:
        return None
    elapsed = total1 - total0
    return 1 - (idle1 - idle0) / elapsed if elapsed else None


def wait_until_up(
    host: str, port: int, path: str, *, timeout: float, proc: subprocess.Popen | None = None
) -> None:
    """Poll ``path`` until it answers (any status below 500) or raise after ``timeout``."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before answering")
        try:
            conn = http.client.HTTPConnection(host, port, timeout=2)
            conn.request("GET", path)
            status = conn.getresponse().status
            conn.close()
            if status < 500:
                return
            last = f"status {status}"
        except OSError as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise RuntimeError(f"server on {host}:{port} did not answer {path} in {timeout:.0f}s ({last})")


class Server:
    """A server process in its own process group; ``stop()`` ends that group (idempotent)."""

    def __init__(self, argv: list[str], *, env: dict, cwd: str, log_path: str):
        self.argv = argv
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self, grace: float = 10.0) -> None:
        if self.proc.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.proc.wait(timeout=grace)
        # Workers left behind by a master that died first are in the same group.
        self._signal(signal.SIGKILL)
        self._log.close()

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def cpu_seconds(self) -> float | None:
        return group_cpu_seconds(self.proc.pid)

    def log_tail(self, chars: int = 2000) -> str:
        try:
            with open(self.log_path, "rb") as handle:
                return handle.read()[-chars:].decode(errors="replace")
        except OSError:
            return ""
