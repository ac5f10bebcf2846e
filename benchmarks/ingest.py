"""Ingest benchmark: production data into the portal through the real HTTP stack.

What it measures
  1. Set-up (child process): a fresh SQLite database and data root in a temporary folder
     (``PORTAL_VAR_DIR``), migrated, an admin with an API token, a model version whose signature
     has 6 features (2 integer, 2 float, 2 category) and 1 float prediction; a 1,000,000-row
     Parquet file of such rows (with prediction ids and timestamps).
  2. In-process service time: ``batch_ingest_file`` on that file (read, validate every
     value against the signature, data-quality summary against a profiled reference, write the
     Parquet batch durably, commit row + audit event), median of 3.
  3. gunicorn (``mlops_portal.wsgi``) on 127.0.0.1 and a free port, DEBUG off, then:
       parquet upload  POST /api/v1/versions/<id>/batches/upload/ (multipart, the 1M-row file,
                       streamed by the client) — wall time from the first byte sent to the 201;
       JSON batches    POST /api/v1/versions/<id>/batches/ with JSON records (10,000 rows per
                       request, pre-encoded bodies) from N client threads for a fixed duration —
                       rows stored per second, request p50/p95, errors.
Targets are printed beside the figures; nothing asserts on timing (exit status 0 either way).

Run it
  python benchmarks/ingest.py                 # 1M-row upload, 10 s of JSON batches
  python benchmarks/ingest.py --quick         # 200k rows, 4 s
  python benchmarks/ingest.py --rows 500000 --batch-rows 5000 --clients 4 --workers 2
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _http import ROOT, Server, free_port, portal_env, wait_until_up

HOST = "127.0.0.1"

TARGET_PARQUET_SECONDS = 10.0
TARGET_JSON_ROWS_PER_SECOND = 50_000.0

SIGNATURE = {
    "inputs": [
        {"name": "tenure_months", "type": "integer"},
        {"name": "monthly_charges", "type": "float"},
        {"name": "total_charges", "type": "float"},
        {"name": "support_calls", "type": "integer"},
        {"name": "contract", "type": "category"},
        {"name": "payment_method", "type": "category"},
    ],
    "outputs": [{"name": "churn_probability", "type": "float"}],
}
CONTRACTS = ["month-to-month", "one-year", "two-year"]
PAYMENTS = ["electronic-check", "mailed-check", "bank-transfer", "credit-card"]


# --- data ------------------------------------------------------------------------------------


def columns(n: int, seed: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    return {
        "tenure_months": rng.integers(1, 73, n),
        "monthly_charges": rng.normal(65, 20, n).round(2),
        "total_charges": rng.gamma(2.0, 1200.0, n).round(2),
        "support_calls": rng.poisson(1.2, n),
        "contract": rng.choice(CONTRACTS, n),
        "payment_method": rng.choice(PAYMENTS, n),
        "churn_probability": rng.random(n).round(4),
    }


def write_parquet(path: Path, n: int, seed: int, *, with_meta: bool = True) -> None:
    from datetime import UTC, datetime, timedelta

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = columns(n, seed)
    table = pa.table(data)
    if with_meta:
        start = datetime.now(UTC) - timedelta(days=1)
        offsets = np.sort(np.random.default_rng(seed).integers(0, 86_000_000_000, n))
        base = int(start.timestamp() * 1e6)
        stamps = pa.array(base + offsets, pa.timestamp("us", tz="UTC"))
        ids = pa.array([f"p{seed}-{i}" for i in range(n)])
        table = table.append_column("prediction_id", ids).append_column("timestamp", stamps)
    pq.write_table(table, path)


def json_body(n: int, seed: int) -> bytes:
    """One request body of ``n`` records, encoded once (the client must not be the bottleneck)."""
    from datetime import UTC, datetime, timedelta

    import orjson

    data = columns(n, seed)
    stamp = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    inputs = [c["name"] for c in SIGNATURE["inputs"]]
    values = {name: data[name].tolist() for name in data}
    records = [
        {
            "features": {name: values[name][i] for name in inputs},
            "prediction": values["churn_probability"][i],
            "prediction_id": f"j{seed}-{i}",
            "timestamp": stamp,
        }
        for i in range(n)
    ]
    return orjson.dumps({"records": records})


# --- the portal (child process) --------------------------------------------------------------


def internal_setup(args) -> None:
    """Child: migrate, admin + token, model version + profiled reference, the data file,
    then time the service in-process on it. Writes a JSON report to ``args.out``."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from governance.services import api_token_create, portal_user_create
    from monitoring.ingest import storage
    from monitoring.ingest.services import batches
    from monitoring.selectors import quality_baseline
    from monitoring.services import references
    from registry.services import model_create, model_version_create

    call_command("migrate", verbosity=0, interactive=False)
    admin = portal_user_create(username="bench-admin", password=None, roles=["admin"])
    _instance, token = api_token_create(user=admin, actor=admin)
    model = model_create(actor=admin, name="bench-churn", task_type="classification")
    version = model_version_create(actor=admin, model=model, signature=SIGNATURE)

    staged = storage.tmp_dir() / "bench-reference.parquet.upload"
    write_parquet(staged, 100_000, seed=1, with_meta=False)
    reference = references.reference_dataset_create(
        actor=admin, model_version=version, upload_path=staged, filename="reference.parquet"
    )
    references.reference_profile_build(reference_id=reference.pk)

    data = Path(args.var_dir) / "upload.parquet"
    began = time.perf_counter()
    write_parquet(data, args.rows, seed=2)
    generate_seconds = time.perf_counter() - began

    timings = []
    for _ in range(3):
        began = time.perf_counter()
        result = batches.batch_ingest_file(
            kind=batches.PRODUCTION,
            actor=admin,
            model_version=version,
            path=data,
            baseline=quality_baseline(version),
            filename=data.name,
        )
        timings.append(time.perf_counter() - began)
        assert result.batch.row_count == args.rows
    report = {
        "token": token,
        "version_id": version.pk,
        "file": str(data),
        "file_bytes": data.stat().st_size,
        "generate_seconds": generate_seconds,
        "service_seconds": statistics.median(timings),
        "service_all": timings,
    }
    Path(args.out).write_text(json.dumps(report))


def setup_portal(var_dir: Path, rows: int) -> dict:
    out = var_dir / "setup.json"
    argv = [sys.executable, __file__, "--internal", "setup", "--var-dir", str(var_dir)]
    argv += ["--rows", str(rows), "--out", str(out)]
    subprocess.run(argv, env=portal_env(var_dir), cwd=ROOT, check=True, timeout=3600)
    return json.loads(out.read_text())


def start_portal(var_dir: Path, workers: int) -> tuple[Server, int]:
    port = free_port(HOST)
    argv = [sys.executable, "-m", "gunicorn", "mlops_portal.wsgi:application"]
    argv += ["--bind", f"{HOST}:{port}", "--workers", str(workers), "--log-level", "warning"]
    argv += ["--timeout", "300"]
    server = Server(argv, env=portal_env(var_dir), cwd=str(ROOT), log_path=str(var_dir / "gu.log"))
    try:
        wait_until_up(HOST, port, "/api/v1/me/", timeout=60, proc=server.proc)
    except Exception:
        print(server.log_tail(), file=sys.stderr)
        server.stop()
        raise
    return server, port


# --- HTTP workloads --------------------------------------------------------------------------


def upload_file(port: int, token: str, version_id: int, path: Path) -> tuple[int, float, dict]:
    """Stream a multipart upload of ``path``; returns (status, seconds, body)."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = len(head) + path.stat().st_size + len(tail)
    connection = http.client.HTTPConnection(HOST, port, timeout=600)
    began = time.perf_counter()
    connection.putrequest("POST", f"/api/v1/versions/{version_id}/batches/upload/")
    connection.putheader("Authorization", f"Token {token}")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(size))
    connection.putheader("Idempotency-Key", f"bench-upload-{uuid.uuid4().hex}")
    connection.endheaders()
    connection.send(head)
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            connection.send(chunk)
    connection.send(tail)
    response = connection.getresponse()
    body = response.read()
    seconds = time.perf_counter() - began
    connection.close()
    return response.status, seconds, json.loads(body or b"{}")


def json_load(port, token, version_id, bodies, rows_per_body, clients, duration) -> dict:
    """``clients`` threads, each posting its pre-encoded bodies round robin until ``duration``."""
    path = f"/api/v1/versions/{version_id}/batches/"
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    barrier = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=300)
        mine, errs = [], []
        barrier.wait()
        sent = 0
        while time.perf_counter() < deadline[0]:
            body = bodies[(index + sent) % len(bodies)]
            sent += 1
            headers = {
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"bench-{index}-{sent}-{uuid.uuid4().hex[:8]}",
            }
            began = time.perf_counter()
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                if response.status == 201:
                    mine.append(time.perf_counter() - began)
                else:
                    errs.append(f"{response.status}: {data[:200]!r}")
            except (OSError, http.client.HTTPException) as exc:
                errs.append(repr(exc))
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=300)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors.extend(errs)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + duration
    barrier.wait()
    for thread in threads:
        thread.join(timeout=duration + 600)
    seconds = time.perf_counter() - began
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000

    return {
        "requests": len(latencies),
        "rows": len(latencies) * rows_per_body,
        "seconds": seconds,
        "rows_per_second": len(latencies) * rows_per_body / seconds if seconds else 0.0,
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
    }


def stored_rows(port: int, token: str, version_id: int) -> int:
    """Rows the portal says it stored for the version (sum over its batches, via the API)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    total, page = 0, 1
    while True:
        connection.request(
            "GET",
            f"/api/v1/versions/{version_id}/batches/?page_size=500&page={page}",
            headers={"Authorization": f"Token {token}"},
        )
        body = json.loads(connection.getresponse().read())
        total += sum(batch["row_count"] for batch in body["results"])
        if not body["next"]:
            break
        page += 1
    connection.close()
    return total


# --- main ------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "meets the target" if ok else "MISSES the target"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the Parquet upload")
    parser.add_argument("--batch-rows", type=int, default=10_000, help="records per JSON request")
    parser.add_argument("--clients", type=int, default=4, help="client threads for JSON batches")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of JSON load")
    parser.add_argument("--quick", action="store_true", help="200k rows, 4 s of JSON load")
    parser.add_argument("--internal", help=argparse.SUPPRESS)
    parser.add_argument("--var-dir", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.internal == "setup":
        internal_setup(args)
        return 0
    if args.quick:
        args.rows, args.duration = 200_000, 4.0

    with tempfile.TemporaryDirectory(prefix="portal-ingest-bench-") as tmp:
        var_dir = Path(tmp)
        print(f"setting up a fresh portal in {var_dir} and a {args.rows:,}-row Parquet file ...")
        setup = setup_portal(var_dir, args.rows)
        print(
            f"  data file: {setup['file_bytes'] / 1e6:.1f} MB "
            f"(generated in {setup['generate_seconds']:.1f} s)"
        )
        print(
            f"  service, in-process: {setup['service_seconds']:.2f} s median of 3 "
            f"({args.rows / setup['service_seconds']:,.0f} rows/s)"
        )
        server, port = start_portal(var_dir, args.workers)
        token, version_id = setup["token"], setup["version_id"]
        try:
            path = Path(setup["file"])
            small = var_dir / "warm-up.parquet"
            write_parquet(small, 1000, seed=3)
            bodies = [json_body(args.batch_rows, seed=100 + i) for i in range(2 * args.clients)]
            # Warm every worker (imports, first queries) so the figures are steady-state.
            for _ in range(2 * args.workers):
                upload_file(port, token, version_id, small)
            json_load(port, token, version_id, bodies, args.batch_rows, 2 * args.workers, 2.0)

            timings = []
            for _ in range(3):
                status, seconds, body = upload_file(port, token, version_id, path)
                if status != 201:
                    print(f"  upload failed: {status} {body}", file=sys.stderr)
                timings.append(seconds)
            median = statistics.median(timings)
            print(
                f"parquet upload over HTTP: {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB "
                f"-> {status}, median {median:.2f} s of 3 "
                f"({', '.join(f'{t:.2f}' for t in timings)}; {args.rows / median:,.0f} rows/s; "
                f"target < {TARGET_PARQUET_SECONDS:.0f} s: "
                f"{verdict(status == 201 and max(timings) < TARGET_PARQUET_SECONDS)})"
            )
            print(
                f"JSON batches: bodies of {args.batch_rows:,} records "
                f"({len(bodies[0]) / 1e6:.2f} MB), {args.clients} clients x "
                f"{args.duration:.0f} s, gunicorn workers: {args.workers}"
            )
            before = stored_rows(port, token, version_id)
            result = json_load(
                port, token, version_id, bodies, args.batch_rows, args.clients, args.duration
            )
            stored = stored_rows(port, token, version_id) - before
            print(
                f"JSON batches over HTTP: {result['rows']:,} rows in {result['seconds']:.1f} s = "
                f"{result['rows_per_second']:,.0f} rows/s "
                f"({result['requests']} requests, p50 {result['p50_ms']:.0f} ms, "
                f"p95 {result['p95_ms']:.0f} ms, errors {result['errors']}; "
                f"rows stored per the API: {stored:,}) "
                f"(target >= {TARGET_JSON_ROWS_PER_SECOND:,.0f} rows/s: "
                f"{verdict(result['rows_per_second'] >= TARGET_JSON_ROWS_PER_SECOND)})"
            )
            if result["first_error"]:
                print(f"  first error: {result['first_error']}")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
