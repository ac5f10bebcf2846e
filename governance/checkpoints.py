"""Anchors of the audit chain outside the database, and the check of the chain against them.

The hash chain alone proves only that the events it holds fit together: someone with the
database owner's rights can delete its tail, truncate it, or rewrite it whole with the project's
own hash function. Each checkpoint writes down, outside the database, how far the chain reached
and with which hash: one JSON line per checkpoint, appended (never rewritten) to the checkpoint
log, each carrying an HMAC-SHA256 under ``PORTAL_AUDIT_KEY`` (a key the database never sees)
and the MAC of the line before it. Every line is also logged to ``portal.audit.checkpoint``,
which operations can ship to syslog or write-once storage.

:func:`verify` walks the chain, then checks it against every checkpoint, naming each problem:
``tail_deleted``, ``table_truncated``, ``forged_append``, ``chain_rewritten``, and on the log's
side ``checkpoint_missing``, ``checkpoint_reordered``, ``checkpoint_forged``,
``checkpoint_log_missing``.

Bottom layer: imports only governance.audit.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import itertools
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.dateparse import parse_datetime

from governance import audit
from governance.audit import AuditEvent

CHECKPOINT_ACTION = "governance.audit.checkpoint_written"
CHECKPOINT_TARGET_TYPE = "governance.audit_checkpoint"
NO_MAC = "0" * 64
FIELDS = ("checkpoint", "sequence", "head_hash", "at", "key_id", "prev_mac")

shipping_log = logging.getLogger("portal.audit.checkpoint")


# --- the key and the MAC ---------------------------------------------------------------------


def _key_bytes(text: str) -> bytes:
    return text.encode()


def key_id(key: bytes) -> str:
    """Names a key without revealing it (lines say which key signed them, for rotation)."""
    return hashlib.sha256(b"portal-audit-key-id:" + key).hexdigest()[:12]


def signing_key() -> bytes:
    key = settings.PORTAL_AUDIT_KEY
    if not key:
        raise ImproperlyConfigured("PORTAL_AUDIT_KEY must be set to write audit checkpoints.")
    return _key_bytes(key)


def verification_keys() -> dict[str, bytes]:
    keys = [settings.PORTAL_AUDIT_KEY, *settings.PORTAL_AUDIT_OLD_KEYS]
    return {key_id(_key_bytes(k)): _key_bytes(k) for k in keys if k}


def _canonical(entry: dict) -> bytes:
    return json.dumps(
        {name: entry[name] for name in FIELDS}, sort_keys=True, separators=(",", ":")
    ).encode()


def mac(entry: dict, key: bytes) -> str:
    return hmac.new(key, _canonical(entry), hashlib.sha256).hexdigest()


# --- the log file ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    checkpoint: int
    sequence: int
    head_hash: str
    at: str
    key_id: str
    prev_mac: str
    mac: str
    line: int = 0

    @property
    def time(self) -> datetime | None:
        return parse_datetime(self.at)

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in (*FIELDS, "mac")}


def log_path() -> Path:
    configured = settings.PORTAL_AUDIT_CHECKPOINT_LOG
    if configured:
        return Path(configured)
    return Path(settings.DATA_ROOT) / "audit" / "checkpoints.jsonl"


def entry_make(*, number: int, sequence: int, head_hash: str, at: datetime, prev_mac: str) -> dict:
    key = signing_key()
    entry = {
        "checkpoint": number,
        "sequence": sequence,
        "head_hash": head_hash,
        "at": audit.canonical_time(at),
        "key_id": key_id(key),
        "prev_mac": prev_mac,
    }
    entry["mac"] = mac(entry, key)
    return entry


def log_append(entry: dict) -> None:
    """One line, appended under an exclusive lock and flushed to disk before returning."""
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    shipping_log.info(line.strip())


@dataclass
class LogRead:
    exists: bool
    entries: list[Checkpoint] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def last(self) -> Checkpoint | None:
        return self.entries[-1] if self.entries else None


def log_read() -> LogRead:
    """Every line of the log, each checked for its MAC, its number and its link to the line
    before; the problems found are named (forged, reordered, missing)."""
    path = log_path()
    if not path.exists():
        return LogRead(exists=False)
    keys = verification_keys()
    read = LogRead(exists=True)
    with path.open(encoding="utf-8") as lines:
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            entry = _parse(text)
            if entry is None:
                read.problems.append(
                    Problem("checkpoint_forged", f"Line {number} of the checkpoint log is not a "
                            "checkpoint (unreadable or incomplete).")
                )  # fmt: skip
                continue
            checkpoint = Checkpoint(**entry, line=number)
            key = keys.get(checkpoint.key_id)
            if key is None or not hmac.compare_digest(mac(entry, key), checkpoint.mac):
                read.problems.append(
                    Problem(
                        "checkpoint_forged",
                        f"Checkpoint #{checkpoint.checkpoint} (line {number}) does not carry a "
                        "valid signature: it was forged or altered"
                        + ("" if key else " (signed with a key this portal does not hold)")
                        + ".",
                        checkpoint.sequence,
                    )
                )
                continue
            read.entries.append(checkpoint)
    read.problems.extend(_order_problems(read.entries))
    return read


def _parse(text: str) -> dict | None:
    try:
        entry = json.loads(text)
    except ValueError:
        return None
    if not isinstance(entry, dict) or set(entry) != {*FIELDS, "mac"}:
        return None
    if not all(isinstance(entry[name], int) for name in ("checkpoint", "sequence")):
        return None
    if not all(isinstance(entry[n], str) for n in ("head_hash", "at", "key_id", "prev_mac", "mac")):
        return None
    return entry


def _order_problems(entries: list[Checkpoint]) -> list[Problem]:
    """Lines out of order are named first (a swap would otherwise look like a gap); then
    gaps in the numbering and lines that do not follow the one before them."""
    for previous, current in itertools.pairwise(entries):
        if (
            current.checkpoint <= previous.checkpoint
            or current.sequence < previous.sequence
            or current.at < previous.at
        ):
            return [
                Problem(
                    "checkpoint_reordered",
                    f"Checkpoint #{current.checkpoint} (line {current.line}) comes after "
                    f"checkpoint #{previous.checkpoint} but is not later than it: the checkpoint "
                    "log was reordered.",
                    current.sequence,
                )
            ]
    previous: Checkpoint | None = None
    for current in entries:
        expected = previous.checkpoint + 1 if previous else 1
        name = f"checkpoint #{current.checkpoint} (line {current.line})"
        if current.checkpoint > expected:
            gap = (
                f"#{expected}"
                if current.checkpoint == expected + 1
                else f"#{expected}–#{current.checkpoint - 1}"
            )
            return [
                Problem(
                    "checkpoint_missing",
                    f"Checkpoint {gap} is missing from the log before {name}.",
                    current.sequence,
                )
            ]
        if current.prev_mac != (previous.mac if previous else NO_MAC):
            return [
                Problem(
                    "checkpoint_missing",
                    f"The line before {name} is not the one it follows: a checkpoint was "
                    "removed or replaced.",
                    current.sequence,
                )
            ]
        previous = current
    return []


# --- verifying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    sequence: int | None = None


@dataclass
class IntegrityReport:
    """The chain's own check and its check against every checkpoint."""

    checked: int = 0
    head_sequence: int = 0
    head_hash: str = ""
    checkpoints_checked: int = 0
    last_checkpoint: Checkpoint | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def code(self) -> str:
        return self.problems[0].code if self.problems else ""

    @property
    def problem(self) -> str:
        return self.problems[0].message if self.problems else ""

    @property
    def first_bad_sequence(self) -> int | None:
        return self.problems[0].sequence if self.problems else None

    def summary(self) -> dict:
        return {
            "intact": self.intact,
            "code": self.code,
            "problem": self.problem,
            "checked": self.checked,
            "head_sequence": self.head_sequence,
            "head_hash": self.head_hash,
            "checkpoints_checked": self.checkpoints_checked,
            "problems": [asdict(problem) for problem in self.problems],
        }


def verify(*, chunk_size: int = 2000) -> IntegrityReport:
    chain = audit.verify(chunk_size=chunk_size)
    head = AuditEvent.objects.order_by("-sequence").values("sequence", "hash").first()
    log = log_read()
    report = IntegrityReport(
        checked=chain.checked,
        head_sequence=head["sequence"] if head else 0,
        head_hash=head["hash"] if head else "",
        last_checkpoint=log.last,
        checkpoints_checked=len(log.entries),
    )
    if not chain.intact:
        report.problems.append(
            Problem(_chain_code(chain), f"Event #{chain.first_bad_sequence}: {chain.problem}.",
                    chain.first_bad_sequence)
        )  # fmt: skip
    recorded = checkpoint_numbers_recorded()
    report.problems.extend(log.problems)
    report.problems.extend(_recorded_but_not_logged(log, recorded))
    problems = _against_the_table(log.entries, report.head_sequence)
    report.problems.extend(
        problems or _logged_but_not_recorded(log, recorded, report.head_sequence)
    )
    return report


def _chain_code(chain: audit.ChainReport) -> str:
    if chain.problem.startswith("sequence"):
        return "events_missing"
    if chain.problem.startswith("prev_hash"):
        return "link_broken"
    return "event_altered"


def checkpoint_numbers_recorded() -> list[int]:
    """The checkpoints the chain itself says were written (each writes an event)."""
    ids = AuditEvent.objects.filter(action=CHECKPOINT_ACTION).values_list("target_id", flat=True)
    return sorted(int(value) for value in ids if value.isdigit())


def _recorded_but_not_logged(log: LogRead, recorded: list[int]) -> list[Problem]:
    if recorded and not log.exists:
        return [
            Problem(
                "checkpoint_log_missing",
                f"The checkpoint log ({log_path().name}) is gone, but the chain records "
                f"{len(recorded)} checkpoint(s) written to it.",
            )
        ]
    logged = {entry.checkpoint for entry in log.entries}
    missing = [number for number in recorded if number not in logged]
    if not missing:
        return []
    return [
        Problem(
            "checkpoint_missing",
            f"Checkpoint #{missing[0]} is recorded in the chain but missing from the log"
            + (f" ({len(missing)} in all)" if len(missing) > 1 else "")
            + ": the log was cut or lines were removed.",
        )
    ]


def _logged_but_not_recorded(
    log: LogRead, recorded: list[int], head_sequence: int
) -> list[Problem]:
    """Each checkpoint also wrote an event right after the head it anchored; when that event is
    gone the chain lost its tail, or what followed the checkpoint was replaced."""
    numbers = set(recorded)
    for entry in log.entries:
        if entry.checkpoint in numbers:
            continue
        written = f"checkpoint #{entry.checkpoint} (written right after event #{entry.sequence}"
        if head_sequence > entry.sequence:
            return [
                Problem(
                    "forged_append",
                    f"The events after #{entry.sequence} do not include the one that recorded "
                    f"{written}, {entry.at}): they were replaced by forged ones.",
                    entry.sequence + 1,
                )
            ]
        return [
            Problem(
                "tail_deleted",
                f"The event that recorded {written}, {entry.at}) is gone: the chain's tail "
                "was deleted.",
                entry.sequence + 1,
            )
        ]
    return []


def _against_the_table(entries: list[Checkpoint], head_sequence: int) -> list[Problem]:
    if not entries:
        return []
    hashes = dict(
        AuditEvent.objects.filter(sequence__in={e.sequence for e in entries}).values_list(
            "sequence", "hash"
        )
    )
    problems: list[Problem] = []
    matched: Checkpoint | None = None
    if head_sequence == 0:
        first = entries[0]
        return [
            Problem(
                "table_truncated",
                f"The audit table is empty, but checkpoint #{first.checkpoint} ({first.at}) "
                f"recorded events up to #{first.sequence}: the table was truncated.",
                1,
            )
        ]
    for entry in entries:
        if entry.sequence > head_sequence:
            break
        if hashes.get(entry.sequence) != entry.head_hash:
            problems.append(_replaced(entry, matched))
            break
        matched = entry
    last = entries[-1]
    if last.sequence > head_sequence:
        problems.append(
            Problem(
                "tail_deleted",
                f"The chain ends at event #{head_sequence}, but checkpoint #{last.checkpoint} "
                f"({last.at}) recorded events up to #{last.sequence}: events "
                f"#{head_sequence + 1}–#{last.sequence} (at least) were deleted.",
                head_sequence + 1,
            )
        )
    if not problems and matched is not None:
        problems.extend(_backdated_after(matched))
    return problems


def _replaced(entry: Checkpoint, matched: Checkpoint | None) -> Problem:
    name = f"checkpoint #{entry.checkpoint} ({entry.at})"
    event = AuditEvent.objects.filter(sequence=entry.sequence).values("occurred_at").first()
    since = (
        f"after checkpoint #{matched.checkpoint} (event #{matched.sequence}), which still matches"
        if matched
        else "from the first event on"
    )
    taken = entry.time
    if event and taken and event["occurred_at"] > taken:
        return Problem(
            "forged_append",
            f"Event #{entry.sequence} is dated {audit.canonical_time(event['occurred_at'])}, "
            f"after {name} that recorded another event at that number: events were deleted and "
            f"forged ones appended in their place ({since}).",
            entry.sequence,
        )
    return Problem(
        "chain_rewritten",
        f"Event #{entry.sequence} does not have the hash {name} recorded: the chain was rewritten "
        f"({since}).",
        entry.sequence,
    )


def _backdated_after(last: Checkpoint) -> list[Problem]:
    """Events appended after the last checkpoint but dated before it were not there when it
    was taken (checkpoints are taken under the chain lock)."""
    taken = last.time
    if taken is None:
        return []
    skew = timedelta(seconds=settings.PORTAL_AUDIT_CLOCK_SKEW_SECONDS)
    event = (
        AuditEvent.objects.filter(sequence__gt=last.sequence, occurred_at__lt=taken - skew)
        .order_by("sequence")
        .values("sequence", "occurred_at")
        .first()
    )
    if event is None:
        return []
    return [
        Problem(
            "forged_append",
            f"Event #{event['sequence']} comes after checkpoint #{last.checkpoint} (event "
            f"#{last.sequence}, {last.at}) but is dated "
            f"{audit.canonical_time(event['occurred_at'])}, before it: it was appended later "
            "and backdated.",
            event["sequence"],
        )
    ]
