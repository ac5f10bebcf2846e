"""Alerts benchmark: 500 monitors finishing drift runs in one burst, 3 webhook channels each,
delivered to a local receiver.

What it measures
  1. Set-up: a fresh database (SQLite under a temporary ``PORTAL_VAR_DIR``, or the PostgreSQL
     database ``--database-url`` names, migrated), an admin, ``--monitors`` model versions with
     one monitor each, a dataset-drift rule per monitor that also tells 3 signed webhook
     channels (Standard Webhooks) pointing at a local HTTP receiver (127.0.0.1 allow-listed).
  2. The burst: every monitor's pending run is claimed and stored as drifted by ``--workers``
     threads at once, through the run service (``run_execution._store``): its commit queues the
     alert evaluation by task name, which fires the alert and calls ``notify``, whose commit
     queues one delivery per channel. Celery runs eagerly in the committing thread (each
     thread stands for one worker process), so the figures are the portal's own cost, without
     broker latency.
       run commit → delivery   the receiver's arrival time minus the run's ``finished_at``
                               (set in the run's committing transaction), p50 / p95 / max;
       deliveries per second   received deliveries / (last arrival − first run commit).
  3. Query count of one rule evaluation (``alerts_evaluate_run``) with 3 and with 12 rules on a
     monitor, when every rule fires anew and in the steady state (all already firing): the
     reads are a fixed number whatever the rule count; firings add their own writes.
Nothing asserts on timing (exit status 0 either way).

Run it
  python benchmarks/alerts.py                       # 500 monitors, 8 threads, SQLite
  python benchmarks/alerts.py --monitors 100 --workers 4
  python benchmarks/alerts.py --database-url postgres://postgres@127.0.0.1:5432/portal_bench
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.arrivals: list[tuple[float, int, str]] = []  # (time, run id, path)
        self.lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        arrived = time.time()
        run = json.loads(body).get("data", {}).get("alert", {}).get("run")
        with self.server.lock:
            self.server.arrivals.append((arrived, run, self.path))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def setup_django(database_url: str | None) -> None:
    var = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
    os.environ.update(
        PORTAL_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="mlops_portal.settings",
        DEBUG="0",
        LOG_LEVEL="ERROR",
    )
    os.environ.pop("CELERY_BROKER_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    if database_url:
        call_command("flush", verbosity=0, interactive=False)
    call_command("migrate", verbosity=0, interactive=False)
    from mlops_portal.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


def build(n_monitors: int, port: int):
    """Models, versions, references, monitors, one pending run each, the rules and channels."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from monitoring.alerts.models import AlertRule
    from monitoring.models import DriftRun, JobStatus, Monitor, ReferenceDataset
    from notifications import services as notify
    from registry.models import ModelVersion, RegisteredModel

    admin = get_user_model().objects.create_user("bench-admin", "admin@example.com", "x")
    admin.groups.add(Group.objects.get_or_create(name="admin")[0])
    notify.allowlist_entry_add(actor=admin, value="127.0.0.1")
    channels = [
        notify.channel_create(
            actor=admin, name=f"hook-{n}", kind="webhook", url=f"http://127.0.0.1:{port}/{n}"
        )[0]
        for n in range(3)
    ]
    signature = {
        "inputs": [{"name": "x", "type": "float"}],
        "outputs": [{"name": "score", "type": "float"}],
    }
    models = RegisteredModel.objects.bulk_create(
        [RegisteredModel(name=f"bench-{i:04d}") for i in range(n_monitors)]
    )
    versions = ModelVersion.objects.bulk_create(
        [ModelVersion(model=m, version=1, signature=signature) for m in models]
    )
    references = ReferenceDataset.objects.bulk_create(
        [
            ReferenceDataset(
                model_version=v, name="train", file_format="parquet", data_path="x",
                status=JobStatus.SUCCEEDED, profile_path="y",
            )
            for v in versions
        ]
    )  # fmt: skip
    monitors = Monitor.objects.bulk_create(
        [
            Monitor(model_version=v, reference=r, name="drift", window_seconds=3600,
                    interval_seconds=3600)
            for v, r in zip(versions, references, strict=True)
        ]
    )  # fmt: skip
    rules = AlertRule.objects.bulk_create(
        [AlertRule(monitor=m, kind="dataset_drift", severity="warning") for m in monitors]
    )
    through = AlertRule.channels.through
    through.objects.bulk_create(
        [through(alertrule_id=r.pk, channel_id=c.pk) for r in rules for c in channels]
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    runs = DriftRun.objects.bulk_create(
        [
            DriftRun(monitor=m, window_start=start, window_end=start + timedelta(hours=1))
            for m in monitors
        ]
    )
    return runs


def finish(run_id: int) -> None:
    """What a drift task does once it has its numbers: claim, then store (commit)."""
    from monitoring.models import DriftRun, FeatureDrift
    from monitoring.services import jobs, run_execution

    run = jobs.claim(DriftRun, run_id)
    rows = [
        FeatureDrift(run=run, feature="x", column_type="numerical", method="ks",
                     statistic=0.4, p_value=1e-9, threshold=0.05, drifted=True, status="ok")
    ]  # fmt: skip
    run_execution._store(
        run, rows, computed_through=run.window_end, reference_rows=1000, current_rows=1000,
        batch_count=1, dataset_drift=True, drift_share=1.0, drift_share_threshold=0.5,
        n_features=1, n_tested=1, n_drifted=1, config={}, performance={}, labelled_rows=None,
    )  # fmt: skip


def burst(run_ids: list[int], workers: int) -> float:
    from django.db import connection

    queue = list(run_ids)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work():
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    run_id = queue.pop()
                finish(run_id)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    started = time.time()
    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.time() - started


def query_counts() -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from monitoring.alerts import evaluation
    from monitoring.alerts.models import AlertRule
    from monitoring.models import DriftRun, FeatureDrift, Monitor

    counts = {}
    template = Monitor.objects.select_related("model_version", "reference").first()
    for n_rules in (3, 12):
        monitor = Monitor.objects.create(
            model_version=template.model_version, reference=template.reference,
            name=f"q{n_rules}", window_seconds=3600, interval_seconds=3600,
        )  # fmt: skip
        AlertRule.objects.bulk_create(
            [AlertRule(monitor=monitor, kind="dataset_drift") for _ in range(n_rules)]
        )
        for label in ("firing anew", "steady state"):
            start = datetime(2026, 2, 1, tzinfo=UTC) + timedelta(hours=len(counts))
            run = DriftRun.objects.create(
                monitor=monitor, window_start=start, window_end=start + timedelta(hours=1),
                status="succeeded", dataset_drift=True, drift_share=1.0, n_tested=1,
                n_drifted=1, finished_at=start,
            )  # fmt: skip
            FeatureDrift.objects.create(run=run, feature="x", column_type="numerical",
                                        drifted=True, status="ok")  # fmt: skip
            with CaptureQueriesContext(connection) as captured:
                evaluation.alerts_evaluate_run(run_id=run.pk)
            counts[f"{n_rules} rules, {label}"] = len(captured)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, default=500)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    setup_django(args.database_url or None)
    from django.db import connection

    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    runs = build(args.monitors, receiver.server_address[1])
    expected = 3 * len(runs)
    print(f"database: {connection.vendor}; {len(runs)} monitors x 3 webhook channels, "
          f"{args.workers} threads (eager Celery)")  # fmt: skip
    elapsed = burst([run.pk for run in runs], args.workers)
    deadline = time.time() + 60
    while len(receiver.arrivals) < expected and time.time() < deadline:
        time.sleep(0.05)

    from monitoring.models import DriftRun
    from notifications.models import Delivery

    committed = {
        pk: finished.timestamp()
        for pk, finished in DriftRun.objects.filter(pk__in=[r.pk for r in runs]).values_list(
            "pk", "finished_at"
        )
    }
    latencies = [arrived - committed[run] for arrived, run, _path in receiver.arrivals]
    first_commit = min(committed.values())
    last_arrival = max(arrived for arrived, _run, _path in receiver.arrivals)
    print(f"burst wall time            {elapsed:8.2f} s")
    print(f"deliveries received        {len(receiver.arrivals):8d} of {expected} "
          f"(sent rows: {Delivery.objects.filter(status='sent').count()})")  # fmt: skip
    print(f"run commit -> delivery p50 {1000 * statistics.median(latencies):8.1f} ms")
    print(f"run commit -> delivery p95 {1000 * percentile(latencies, 0.95):8.1f} ms")
    print(f"run commit -> delivery max {1000 * max(latencies):8.1f} ms")
    print(f"deliveries per second      {len(latencies) / (last_arrival - first_commit):8.1f}")
    print("queries of one rule evaluation (alerts_evaluate_run):")
    for label, count in query_counts().items():
        print(f"  {label:28s} {count:4d}")
    receiver.shutdown()


if __name__ == "__main__":
    main()
