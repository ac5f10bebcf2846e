"""Registry API benchmark: the real HTTP stack under concurrent load, optionally against MLflow.

What it measures
  1. Seeding: a fresh SQLite database in a temporary folder (``PORTAL_VAR_DIR``), migrated, with
     an admin user and API token, filled with N models x M versions through the project's own
     services (``registry.services``), each call in its own transaction. Prints the seeding
     time.
  2. "100-row list page server time": ``GET /api/v1/models/?search=…&page_size=100`` timed
     in-process with Django's test ``Client`` (full middleware + DRF + token auth, no HTTP
     server), median of 20 after warm-up; the same for a version detail and a version create,
     with the CPU time and SQL query count of each.
  3. gunicorn (``mlops_portal.wsgi``) on 127.0.0.1 and a free port, DEBUG off, then three
     workloads from 8 client threads (one ``http.client`` connection each, kept alive where
     the server allows), each warmed up, then measured in 3 rounds taken in turn (a fixed
     duration and at most a fixed request count each), keeping each workload's best round:
       create-version  POST /api/v1/versions/ onto random models
       list/search     GET  /api/v1/models/?search=<prefix>&page_size=100 (a 100-model page)
       version detail  GET  /api/v1/versions/<random id>/
     For each: requests/s, client-side p50/p95 latency (ms), errors, and the CPU time the
     server's processes spent per request (robust when other jobs share the machine), and
     every round's requests/s, so the spread is visible.
     Default gunicorn config: ``--workers 4 --worker-class sync`` (on 2 cores it beat
     ``--workers 2 --threads 4`` and ``--workers 3``: the app is CPU-bound under the GIL, and
     a SQLite writer is not held up by sibling threads); ``--workers/--threads`` change it.
  4. With ``--peer mlflow``: the same against ``mlflow server`` (SQLite backend, on 127.0.0.1),
     installed on demand into ``benchmarks/.venv-mlflow`` from PyPI, seeded with the same shape
     through its REST API, with the equivalent calls (``model-versions/create``,
     ``registered-models/search`` with ``max_results=100`` and a ``name LIKE`` filter,
     ``model-versions/get``), run on keep-alive and on per-request connections (its uvicorn
     workers add ~40 ms to reused connections), and the ratios ours/MLflow. Both servers are
     seeded first, then the rounds of ours and MLflow's alternate, so a machine that changes
     speed during the run (shared machines do, by ±30 %) skews both sides alike.

Targets are printed beside the figures; nothing asserts on timing (exit status 0 either way).

Run it
  python benchmarks/registry_api.py                 # 1000 models x 10 versions
  python benchmarks/registry_api.py --quick         # 100 x 5, shorter workloads
  python benchmarks/registry_api.py --peer mlflow   # also MLflow (first run installs it)
  python benchmarks/registry_api.py --models 200 --versions 3 --duration 5 --workers 2 --threads 4
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _http import (
    ROOT,
    Client,
    LoadResult,
    Server,
    free_port,
    machine_busy_fraction,
    portal_env,
    run_load,
    wait_until_up,
)

BENCH_DIR = Path(__file__).resolve().parent
MLFLOW_VENV = BENCH_DIR / ".venv-mlflow"
HOST = "127.0.0.1"

TARGET_VS_MLFLOW = {"create-version": 1.5, "list/search": 3.0}  # throughput, ours / MLflow's
TARGET_READ_P95_MS = 50.0
PAGE_SIZE = 100

WORKLOADS = ("create-version", "list/search", "version detail")
PROBE_MODEL = "zz-probe"


# --- data shape shared by both servers ----------------------------------------------------------


def name_width(models: int) -> int:
    return max(4, len(str(models - 1)))


def model_name(index: int, width: int) -> str:
    return f"bench-{index:0{width}d}"


def search_prefixes(models: int) -> list[str]:
    """Name prefixes that each match a full 100-model page (all models if there are fewer)."""
    width = name_width(models)
    if models < PAGE_SIZE:
        return ["bench-"]
    digits = width - len(str(PAGE_SIZE - 1))
    return [f"bench-{block:0{digits}d}" for block in range(models // PAGE_SIZE)]


def list_path(prefix: str) -> str:
    return f"/api/v1/models/?search={prefix}&page_size={PAGE_SIZE}"


def version_payload(name: str, rng_value: float) -> dict:
    return {
        "model": name,
        "description": "benchmark version",
        "artifact_uri": f"s3://bench-artifacts/{name}/{int(rng_value * 1e9)}",
        "metrics": {"accuracy": 0.9 + rng_value / 20, "auc": 0.93, "f1": 0.88, "logloss": 0.31},
        "params": {"max_depth": 6, "learning_rate": 0.1, "n_estimators": 300, "seed": 7},
        "signature": {
            "inputs": [{"name": f"feature_{i}", "type": "float"} for i in range(8)],
            "outputs": [{"name": "score", "type": "float"}],
        },
    }


# --- the portal: seeding and in-process probe (child process) -------------------------------


def seed_portal(var_dir: Path, models: int, versions: int) -> dict:
    """Run the seeding + probe child (``--internal seed``) and return its JSON report."""
    out = var_dir / "seed.json"
    argv = [sys.executable, __file__, "--internal", "seed", "--var-dir", str(var_dir)]
    argv += ["--models", str(models), "--versions", str(versions), "--out", str(out)]
    subprocess.run(argv, env=portal_env(var_dir), cwd=ROOT, check=True, timeout=3600)
    return json.loads(out.read_text())


def _django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _seed_in_process(models: int, versions: int) -> tuple[str, float]:
    """Migrate, create the admin and its token, seed through the services (each in its own
    transaction, as a client's calls would be). Returns token, s."""
    from django.core.management import call_command

    from governance.services import api_token_create, portal_user_create
    from registry.services import model_create, model_version_create

    call_command("migrate", verbosity=0, interactive=False)
    admin = portal_user_create(username="bench-admin", password=None, roles=["admin"])
    _instance, token = api_token_create(user=admin, actor=admin)
    width = name_width(models)
    began = time.perf_counter()
    for index in range(models):
        name = model_name(index, width)
        model = model_create(
            actor=admin,
            name=name,
            description=f"Benchmark model number {index}",
            tags=["bench", f"team-{index % 7}"],
        )
        for number in range(versions):
            fields = version_payload(name, number / max(versions, 1))
            del fields["model"]
            model_version_create(actor=admin, model=model, **fields)
    return token, time.perf_counter() - began


def _timed_requests(client, method: str, make_path, body_fn, repeat: int) -> list[tuple]:
    """(wall ms, CPU ms) of each request; CPU time is less skewed by other load."""
    timings = []
    for index in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        if method == "GET":
            response = client.get(make_path(index))
        else:
            body = body_fn(index)
            response = client.post(make_path(index), body, content_type="application/json")
        wall, cpu = time.perf_counter() - began, time.process_time() - began_cpu
        timings.append((wall * 1000, cpu * 1000))
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{method} {make_path(index)} -> {response.status_code}")
    return timings


class SqlTimer:
    """A ``connection.execute_wrapper`` that counts queries and the time spent in them."""

    def __init__(self):
        self.count, self.seconds = 0, 0.0

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - began
            self.count += 1


def _probe(token: str, models: int, version_ids: list[int], repeat: int = 20) -> dict:
    """Server-side times (ms) of single requests through the whole Django stack, in-process."""
    from django.db import connection
    from django.test import Client as DjangoClient

    client = DjangoClient(HTTP_AUTHORIZATION=f"Token {token}")
    prefixes = search_prefixes(models)
    # Probe creates go to a model of their own, outside the searched names, so the seeded shape
    # stays the same for the HTTP run.
    client.post("/api/v1/models/", {"name": PROBE_MODEL}, content_type="application/json")
    cases = {
        "list": (
            "GET",
            lambda i: list_path(prefixes[i % len(prefixes)]),
            None,
        ),
        "detail": (
            "GET",
            lambda i: f"/api/v1/versions/{version_ids[(i * 7919) % len(version_ids)]}/",
            None,
        ),
        "create": (
            "POST",
            lambda i: "/api/v1/versions/",
            lambda i: version_payload(PROBE_MODEL, 0.5),
        ),
    }
    report = {}
    for key, (method, path, body) in cases.items():
        _timed_requests(client, method, path, body, 5)  # warm-up
        timings = _timed_requests(client, method, path, body, repeat)
        sql_timer = SqlTimer()
        with connection.execute_wrapper(sql_timer):
            _timed_requests(client, method, path, body, 1)
        report[key] = {
            "median_ms": statistics.median(wall for wall, _cpu in timings),
            "cpu_ms": statistics.median(cpu for _wall, cpu in timings),
            "queries": sql_timer.count,
            "sql_ms": sql_timer.seconds * 1000,
        }
    body = json.loads(client.get(cases["list"][1](0)).content)
    report["list"]["rows"] = len(body["results"])
    return report


def internal_seed(args) -> None:
    """Child process: seed, probe, write a JSON report to ``args.out``."""
    _django_setup()
    from registry.models import ModelVersion

    token, seconds = _seed_in_process(args.models, args.versions)
    version_ids = list(ModelVersion.objects.order_by("pk").values_list("pk", flat=True))
    probe = _probe(token, args.models, version_ids)
    report = {"token": token, "seed_seconds": seconds, "version_ids": version_ids, "probe": probe}
    Path(args.out).write_text(json.dumps(report))


# --- the portal over HTTP --------------------------------------------------------------------


def gunicorn_argv(port: int, workers: int, threads: int) -> list[str]:
    argv = [sys.executable, "-m", "gunicorn", "mlops_portal.wsgi:application"]
    argv += ["--bind", f"{HOST}:{port}", "--workers", str(workers), "--log-level", "warning"]
    if threads > 1:
        argv += ["--worker-class", "gthread", "--threads", str(threads)]
    else:
        argv += ["--worker-class", "sync"]
    return argv


def start_portal(var_dir: Path, workers: int, threads: int) -> tuple[Server, int]:
    port = free_port(HOST)
    argv = gunicorn_argv(port, workers, threads)
    server = Server(argv, env=portal_env(var_dir), cwd=str(ROOT), log_path=str(var_dir / "gu.log"))
    try:
        wait_until_up(HOST, port, "/api/v1/models/", timeout=60, proc=server.proc)
    except Exception:
        print(server.log_tail(), file=sys.stderr)
        server.stop()
        raise
    return server, port


def portal_workloads(
    server: Server, port: int, token: str, models: int, version_ids: list[int]
) -> Contender:
    width = name_width(models)
    prefixes = search_prefixes(models)

    def make_client() -> Client:
        return Client(HOST, port, headers={"Authorization": f"Token {token}"})

    def create(client, rng):
        name = model_name(rng.randrange(models), width)
        return client.request("POST", "/api/v1/versions/", version_payload(name, rng.random()))

    def listing(client, rng):
        return client.request("GET", list_path(rng.choice(prefixes)))

    def detail(client, rng):
        return client.request("GET", f"/api/v1/versions/{rng.choice(version_ids)}/")

    requests = {"create-version": create, "list/search": listing, "version detail": detail}
    return Contender("MLOps Portal", server, make_client, requests)


@dataclass
class Contender:
    """One server under test, with a client factory and its request for each workload."""

    label: str
    server: Server
    make_client: Callable[[], Client]
    requests: dict[str, Callable]


def _measured_round(contender: Contender, name: str, args, seed: int) -> LoadResult:
    server_cpu, client_cpu = contender.server.cpu_seconds(), _process_cpu()
    result = run_load(
        name,
        contender.make_client,
        contender.requests[name],
        threads=args.clients,
        duration=args.duration,
        max_requests=args.max_requests,
        seed=seed,
    )
    server_after = contender.server.cpu_seconds()
    if server_cpu is not None and server_after is not None:
        result.server_cpu_s = server_after - server_cpu
    result.client_cpu_s = _process_cpu() - client_cpu
    return result


def run_workloads(contenders: list[Contender], args) -> list[dict[str, LoadResult]]:
    """Every workload of every contender warmed up, then ``args.rounds`` measured rounds taken
    in turn: each round runs each workload on each contender (who goes first rotates), with the
    server's and the client's CPU time. The best round of each is kept (like ``timeit``): a
    burst of other load on a shared machine skews one round, not the figure, and a machine that
    slows down or speeds up during the run does so for every contender alike."""
    for contender in contenders:
        for name, request in contender.requests.items():
            warm = dict(threads=args.clients, duration=args.warmup, seed=99)
            run_load(name, contender.make_client, request, **warm)
    rounds = [{name: [] for name in WORKLOADS} for _contender in contenders]
    for number in range(args.rounds):
        for name in WORKLOADS:
            for offset in range(len(contenders)):
                index = (number + offset) % len(contenders)
                result = _measured_round(contenders[index], name, args, seed=number)
                rounds[index][name].append(result)
    results = []
    for per_workload in rounds:
        best = {}
        for name, runs in per_workload.items():
            best[name] = max(runs, key=lambda run: run.rps)
            best[name].round_rps = [run.rps for run in runs]
        results.append(best)
    return results


def _process_cpu() -> float:
    times = os.times()
    return times.user + times.system


# --- MLflow ----------------------------------------------------------------------------------

MLFLOW_API = "/api/2.0/mlflow"


def ensure_mlflow() -> str:
    """Create ``benchmarks/.venv-mlflow`` with mlflow from PyPI if needed; return its version."""
    python = MLFLOW_VENV / "bin" / "python"
    if not (MLFLOW_VENV / "bin" / "mlflow").exists():
        print(f"installing mlflow into {MLFLOW_VENV.relative_to(ROOT)} (one time, ~1 min) ...")
        subprocess.run([sys.executable, "-m", "venv", str(MLFLOW_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "mlflow"], check=True, timeout=1800)
    probe = "import importlib.metadata as m; print(m.version('mlflow'))"
    done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def mlflow_env() -> dict:
    env = dict(os.environ)
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    for key in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV"):
        env.pop(key, None)
    return env


def start_mlflow(tmp: Path, workers: int) -> tuple[Server, int]:
    port = free_port(HOST)
    argv = [str(MLFLOW_VENV / "bin" / "mlflow"), "server"]
    argv += ["--backend-store-uri", f"sqlite:///{tmp / 'mlflow.db'}"]
    argv += ["--default-artifact-root", (tmp / "mlartifacts").as_uri()]
    argv += ["--host", HOST, "--port", str(port), "--workers", str(workers)]
    server = Server(argv, env=mlflow_env(), cwd=str(tmp), log_path=str(tmp / "mlflow.log"))
    try:
        wait_until_up(HOST, port, "/health", timeout=300, proc=server.proc)
    except Exception:
        print(server.log_tail(), file=sys.stderr)
        server.stop()
        raise
    return server, port


def mlflow_version_body(name: str, rng_value: float) -> dict:
    # MLflow keeps metrics and params on runs, so a version carries name, source, description:
    # less work per request than the portal's version (metrics, params, signature, audit event).
    source = f"s3://bench-artifacts/{name}/{int(rng_value * 1e9)}"
    return {"name": name, "source": source, "description": "benchmark version"}


def _mlflow_call(client: Client, method: str, path: str, body=None, attempts: int = 5):
    """One seeding call, retried on transient failures (SQLite 'database is locked')."""
    for attempt in range(attempts):
        status, data = client.request(method, path, body)
        if status == 200 or b"RESOURCE_ALREADY_EXISTS" in data:
            return
        if attempt == attempts - 1:
            raise RuntimeError(f"MLflow {path} -> {status}: {data[:300]!r}")
        time.sleep(0.05 * (attempt + 1))


def seed_mlflow(port: int, models: int, versions: int, threads: int) -> float:
    """Registered models and versions through the REST API, one model per task. Returns s."""
    width = name_width(models)
    local = threading.local()

    def seed_one(index: int) -> None:
        if not hasattr(local, "client"):
            # A new connection per request: see mlflow_workloads about keep-alive and uvicorn.
            local.client = Client(HOST, port, keep_alive=False)
        name = model_name(index, width)
        body = {"name": name, "description": f"Benchmark model number {index}"}
        _mlflow_call(local.client, "POST", f"{MLFLOW_API}/registered-models/create", body)
        for number in range(versions):
            body = mlflow_version_body(name, number / max(versions, 1))
            _mlflow_call(local.client, "POST", f"{MLFLOW_API}/model-versions/create", body)

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(seed_one, range(models)))
    return time.perf_counter() - began


def mlflow_search_path(prefix: str) -> str:
    query = urllib.parse.urlencode({"filter": f"name LIKE '{prefix}%'", "max_results": PAGE_SIZE})
    return f"{MLFLOW_API}/registered-models/search?{query}"


def mlflow_page_rows(port: int, models: int) -> int:
    client = Client(HOST, port)
    try:
        body = client.json("GET", mlflow_search_path(search_prefixes(models)[0]))
    finally:
        client.close()
    return len(body.get("registered_models", []))


def mlflow_workloads(
    server: Server, port: int, models: int, versions: int, *, keep_alive: bool
) -> Contender:
    """The MLflow equivalents. ``mlflow server --workers N`` runs ``uvicorn --workers N``,
    whose accepted sockets miss TCP_NODELAY on Linux, so each request after the first on a
    keep-alive connection waits ~40 ms for a delayed ACK: it is run both ways."""
    width = name_width(models)
    prefixes = search_prefixes(models)

    def make_client() -> Client:
        return Client(HOST, port, keep_alive=keep_alive)

    def create(client, rng):
        name = model_name(rng.randrange(models), width)
        body = mlflow_version_body(name, rng.random())
        return client.request("POST", f"{MLFLOW_API}/model-versions/create", body)

    def listing(client, rng):
        return client.request("GET", mlflow_search_path(rng.choice(prefixes)))

    def detail(client, rng):
        query = urllib.parse.urlencode(
            {"name": model_name(rng.randrange(models), width), "version": rng.randint(1, versions)}
        )
        return client.request("GET", f"{MLFLOW_API}/model-versions/get?{query}")

    requests = {"create-version": create, "list/search": listing, "version detail": detail}
    mode = "keep-alive connections" if keep_alive else "a new connection per request"
    return Contender(f"MLflow ({mode})", server, make_client, requests)


# --- reporting -------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def print_probe(probe: dict) -> None:
    print("server time, in-process (Django test Client, full middleware/DRF/token auth),")
    print("median of 20 after 5 warm-up requests:")
    labels = {
        "list": f"{probe['list']['rows']}-row list page",
        "detail": "version detail",
        "create": "version create*",
    }
    for key, label in labels.items():
        item = probe[key]
        line = (
            f"  {label:<20} {item['median_ms']:6.2f} ms (CPU {item['cpu_ms']:5.2f} ms, "
            f"{item['queries']:2d} SQL queries, {item['sql_ms']:.2f} ms in SQL execute)"
        )
        print(line)
    print(f"  * onto a model of its own ({PROBE_MODEL}), outside the searched names")


def target_text(name: str, result: LoadResult) -> str:
    if name == "create-version":
        return ""
    ok = result.p95 < TARGET_READ_P95_MS
    return f"target p95 < {TARGET_READ_P95_MS:.0f} ms: {verdict(ok)}"


def cpu_ceiling(result: LoadResult, cores: int) -> float:
    cpu_ms = result.cpu_ms_per_request
    return cores * 1000 / cpu_ms if cpu_ms > 0 else float("nan")


def print_results(results: dict[str, LoadResult], *, with_targets: bool) -> None:
    print(
        f"  {'workload':<16}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'errors':>7}{'requests':>9}"
        f"{'srv CPU ms/req':>15}{'CPU ceiling':>12}"
    )
    cores = os.cpu_count() or 1
    for name, result in results.items():
        line = (
            f"  {name:<16}{result.rps:8.1f}{result.p50:8.1f}{result.p95:8.1f}"
            f"{result.errors:7d}{result.requests:9d}{result.cpu_ms_per_request:15.2f}"
            f"{cpu_ceiling(result, cores):12.0f}"
        )
        if with_targets:
            line += f"   {target_text(name, result)}"
        print(line)
        if len(result.round_rps) > 1:
            print(f"      rounds (req/s): {' / '.join(f'{rps:.0f}' for rps in result.round_rps)}")
        if result.first_error:
            print(f"      first error: {result.first_error}")
    client = sum(r.client_cpu_s or 0 for r in results.values())
    seconds = sum(r.seconds for r in results.values())
    print(
        f"  (srv CPU ms/req: CPU time of all server processes per successful request; CPU "
        f"ceiling: req/s if the server had all {cores} cores; load generator used "
        f"{client / seconds:.2f} cores)"
    )


def print_ratios(ours: dict[str, LoadResult], peer: dict[str, LoadResult]) -> None:
    print("ours / MLflow, against MLflow's better connection mode per workload")
    print("(throughput: higher is better; latency: lower is better):")
    print(f"  {'workload':<16}{'req/s':>9}{'p50':>9}{'p95':>9}")
    for name in WORKLOADS:
        mine, theirs = ours[name], peer[name]
        rps = mine.rps / theirs.rps if theirs.rps else float("nan")
        p50 = mine.p50 / theirs.p50 if theirs.latencies_ms else float("nan")
        p95 = mine.p95 / theirs.p95 if theirs.latencies_ms else float("nan")
        line = f"  {name:<16}{rps:8.2f}x{p50:8.2f}x{p95:8.2f}x"
        if name in TARGET_VS_MLFLOW:
            ok = rps >= TARGET_VS_MLFLOW[name]
            line += f"   target >= {TARGET_VS_MLFLOW[name]:.1f}x MLflow: {verdict(ok)}"
        print(line)


# --- main ------------------------------------------------------------------------------------


def parse_args(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=int, default=None, help="models to seed (1000)")
    parser.add_argument("--versions", type=int, default=None, help="versions per model (10)")
    parser.add_argument("--quick", action="store_true", help="100 x 5 and 3 s workloads")
    parser.add_argument("--duration", type=float, default=None, help="seconds per workload (10)")
    parser.add_argument("--warmup", type=float, default=None, help="warm-up seconds (2)")
    parser.add_argument("--max-requests", type=int, default=20_000, help="cap per round")
    parser.add_argument(
        "--rounds", type=int, default=None, help="measured rounds per workload, best kept (3)"
    )
    parser.add_argument("--clients", type=int, default=8, help="client threads (8)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per worker; > 1 uses gthread (1: sync)"
    )
    parser.add_argument("--peer", choices=["mlflow"], help="also benchmark this peer")
    parser.add_argument("--peer-models", type=int, default=None, help="MLflow models (= --models)")
    parser.add_argument(
        "--peer-versions", type=int, default=None, help="MLflow versions per model (= --versions)"
    )
    parser.add_argument("--peer-workers", type=int, default=2, help="mlflow server --workers (2)")
    parser.add_argument("--internal", choices=["seed"], help=argparse.SUPPRESS)
    parser.add_argument("--var-dir", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick = args.quick
    args.models = args.models or (100 if quick else 1000)
    args.versions = args.versions or (5 if quick else 10)
    args.duration = args.duration or (3.0 if quick else 10.0)
    args.rounds = args.rounds or (1 if quick else 3)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if quick else 2.0)
    args.peer_models = args.peer_models or args.models
    args.peer_versions = args.peer_versions or args.versions
    return args


def print_background_load() -> None:
    """Other processes on the machine skew every figure: say how busy it is before a run."""
    busy = machine_busy_fraction(1.0)
    if busy is None:
        return
    cores = os.cpu_count() or 1
    note = "  (WARNING: other load on the machine; figures are skewed)" if busy > 0.15 else ""
    print(f"  machine busy before the run: {busy * 100:.0f}% of {cores} cores{note}")


def gunicorn_text(args) -> str:
    kind = f"gthread --threads {args.threads}" if args.threads > 1 else "sync"
    return f"--workers {args.workers} --worker-class {kind}"


def prepare_portal(tmp: Path, args, servers: list[Server]) -> Contender:
    """Seed (with the in-process probe) and start gunicorn."""
    total = args.models * args.versions
    print(f"data: {args.models} models x {args.versions} versions ({total} versions), SQLite")
    seeded = seed_portal(tmp, args.models, args.versions)
    rate = total / seeded["seed_seconds"] if seeded["seed_seconds"] else 0
    print(
        f"seeding: {args.models} models + {total} versions through registry.services in "
        f"{seeded['seed_seconds']:.1f} s ({rate:.0f} versions/s)"
    )
    print_probe(seeded["probe"])
    server, port = start_portal(tmp, args.workers, args.threads)
    servers.append(server)
    print(f"gunicorn {gunicorn_text(args)} on {HOST}:{port} (DEBUG off, {os.cpu_count()} cores)")
    return portal_workloads(server, port, seeded["token"], args.models, seeded["version_ids"])


def prepare_mlflow(tmp: Path, args, servers: list[Server]) -> list[Contender]:
    """Install (once), start and seed MLflow; one contender per client connection mode."""
    try:
        version = ensure_mlflow()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        print(f"MLflow peer skipped: could not install mlflow ({exc})")
        return []
    folder = tmp / "mlflow"
    folder.mkdir()
    server, port = start_mlflow(folder, args.peer_workers)
    servers.append(server)
    models, versions = args.peer_models, args.peer_versions
    print(
        f"MLflow {version}: mlflow server --workers {args.peer_workers} (uvicorn), SQLite backend, "
        f"on {HOST}:{port}"
    )
    if (models, versions) != (args.models, args.versions):
        print(f"  NOTE: MLflow seeded smaller than ours: {models} x {versions} (--peer-models)")
    seconds = seed_mlflow(port, models, versions, threads=args.clients)
    rate = models * versions / seconds
    print(
        f"  seeding: {models} registered models + {models * versions} versions via REST "
        f"({args.clients} threads) in {seconds:.1f} s ({rate:.0f} versions/s)"
    )
    print(f"  search page: {mlflow_page_rows(port, models)} rows per registered-models/search")
    print("  create-version body: name, source, description (MLflow keeps metrics/params on runs)")
    return [
        mlflow_workloads(server, port, models, versions, keep_alive=keep_alive)
        for keep_alive in (True, False)
    ]


def measure_and_report(contenders: list[Contender], args) -> None:
    names = "; ".join(contender.label for contender in contenders)
    print(f"== load on {names} ==")
    print(
        f"{args.clients} client threads; per workload {args.warmup:g} s warm-up, then best of "
        f"{args.rounds} round(s) of {args.duration:g} s, rounds of every server taken in turn"
    )
    print_background_load()
    ours, *peers = run_workloads(contenders, args)
    print(f"-- {contenders[0].label}")
    print_results(ours, with_targets=True)
    for contender, results in zip(contenders[1:], peers, strict=True):
        print(f"-- {contender.label}")
        print_results(results, with_targets=False)
    if peers:
        best = {name: max((p[name] for p in peers), key=lambda r: r.rps) for name in WORKLOADS}
        print_ratios(ours, best)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.internal == "seed":
        internal_seed(args)
        return 0
    servers: list[Server] = []
    try:
        with tempfile.TemporaryDirectory(prefix="registry-bench-") as name:
            tmp = Path(name)
            try:
                print("== registry API benchmark (MLOps Portal) ==")
                contenders = [prepare_portal(tmp, args, servers)]
                if args.peer == "mlflow":
                    print("== peer: MLflow ==")
                    contenders += prepare_mlflow(tmp, args, servers)
                measure_and_report(contenders, args)
            finally:
                # Before the temporary folder (their databases and logs) goes away.
                for server in servers:
                    server.stop()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
