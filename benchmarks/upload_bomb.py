"""Parquet "bomb" benchmark: the worst memory an upload takes in the process that reads it.

What it measures
  A Parquet file of ``--rows`` rows (default 60,000,000) of the ingest benchmark's signature,
  every value the same, so that the file is a couple of megabytes however many rows it holds.
  A child process (a fresh SQLite portal in a temporary folder, migrated, one model version)
  hands the file to ``batch_ingest_file`` exactly as the upload endpoint does, and reports its
  outcome (stored, or the error the client would get), the wall time, and the child's peak
  resident memory (``ru_maxrss``) before and after the call. The child runs under an address-
  space cap (``--cap-gb``, default 16) so that a bomb that is not stopped fails with
  MemoryError instead of taking the machine down. Nothing asserts on the figures.

Run it
  python benchmarks/upload_bomb.py                     # the 60 M-row bomb
  python benchmarks/upload_bomb.py --rows 10000000     # the largest legitimate upload
  python benchmarks/upload_bomb.py --code-root DIR     # the same against another checkout
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _http import ROOT, portal_env
from ingest import CONTRACTS, PAYMENTS, SIGNATURE

ROW_GROUP = 1_000_000


def write_bomb(path: Path, rows: int) -> None:
    """``rows`` identical rows, written a row group at a time (the writer never holds them)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def group(n: int) -> pa.Table:
        return pa.table(
            {
                "tenure_months": pa.repeat(pa.scalar(12, pa.int64()), n),
                "monthly_charges": pa.repeat(pa.scalar(65.5), n),
                "total_charges": pa.repeat(pa.scalar(800.0), n),
                "support_calls": pa.repeat(pa.scalar(1, pa.int64()), n),
                "contract": pa.repeat(pa.scalar(CONTRACTS[0]), n),
                "payment_method": pa.repeat(pa.scalar(PAYMENTS[0]), n),
                "churn_probability": pa.repeat(pa.scalar(0.25), n),
            }
        )

    full = group(ROW_GROUP)
    with pq.ParquetWriter(path, full.schema, compression="zstd") as writer:
        for start in range(0, rows, ROW_GROUP):
            writer.write_table(full if rows - start >= ROW_GROUP else group(rows - start))


def child(args) -> None:
    sys.path.insert(0, str(args.code_root))
    import django

    django.setup()
    from django.core.management import call_command

    from governance.services import portal_user_create
    from monitoring.ingest.services import batches
    from registry.services import model_create, model_version_create

    call_command("migrate", verbosity=0, interactive=False)
    admin = portal_user_create(username="bomb-admin", password=None, roles=["admin"])
    model = model_create(actor=admin, name="bomb", task_type="classification")
    version = model_version_create(actor=admin, model=model, signature=SIGNATURE)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    try:
        result = batches.batch_ingest_file(
            kind=batches.PRODUCTION,
            actor=admin,
            model_version=version,
            path=Path(args.file),
            filename="bomb.parquet",
        )
        outcome = f"stored {result.batch.row_count:,} rows"
    except MemoryError:
        outcome = f"MemoryError at the {args.cap_gb} GB address-space cap"
    except Exception as exc:  # what the client would be told
        status = getattr(exc, "status", 500)
        outcome = f"{status} {type(exc).__name__}: {getattr(exc, 'message', exc)}"
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    Path(args.out).write_text(
        json.dumps(
            {"outcome": outcome, "seconds": seconds, "rss_before_kb": before, "rss_peak_kb": peak}
        )
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000_000)
    parser.add_argument("--cap-gb", type=int, default=16)
    parser.add_argument("--code-root", type=Path, default=ROOT)
    parser.add_argument("--internal", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.internal:
        child(args)
        return 0
    with tempfile.TemporaryDirectory(prefix="portal-bomb-") as folder:
        var_dir = Path(folder)
        bomb = var_dir / "bomb.parquet"
        write_bomb(bomb, args.rows)
        out = var_dir / "result.json"
        argv = [sys.executable, __file__, "--internal", "--file", str(bomb), "--out", str(out)]
        argv += ["--cap-gb", str(args.cap_gb), "--code-root", str(args.code_root)]
        cap = args.cap_gb * 1024**3
        env = portal_env(var_dir) | {"PYTHONPATH": str(args.code_root)}
        subprocess.run(
            argv,
            env=env,
            cwd=args.code_root,
            check=True,
            timeout=3600,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (cap, cap)),
        )
        report = json.loads(out.read_text())
        print(f"code:            {args.code_root}")
        print(f"file:            {args.rows:,} rows in {bomb.stat().st_size / 1e6:.1f} MB")
        print(f"outcome:         {report['outcome']}")
        print(f"time:            {report['seconds']:.1f} s")
        print(f"RSS before:      {report['rss_before_kb'] / 1024:,.0f} MB")
        print(f"worst RSS:       {report['rss_peak_kb'] / 1024:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
