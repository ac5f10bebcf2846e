"""Evaluating alert rules: after a drift run finishes (or fails), after a performance refresh,
after a production batch is stored, and on the clock for silent feeds (the tasks of
``TaskName.ALERTS_*``, queued by name when the work that triggers them commits).

Each entry point reads what it judges and the rules in a fixed number of queries (not one per
rule), turns each rule into a ``Finding`` (firing, clear, or cannot judge), and ``apply``
moves the alerts in one transaction:

- firing, no open alert: a new alert (``monitoring.alert.fired``), notified unless silenced;
- firing, an open alert: its last-seen time and count move on (one update for all of them); a
  reminder goes out once the rule's repeat interval has passed while it is still firing and
  unacknowledged (or its first notification, when it fired under a silence that has ended);
- clear, an open alert: resolved (``monitoring.alert.resolved``), and whoever was told it fired
  is told it resolved;
- cannot judge (too few rows to test, no labels, a failed run for a drift rule): nothing moves.

The transaction first locks the rules it moves alerts for (``select_for_update``, in id order),
so two evaluations of one monitor (two runs finishing together, a task delivered twice) take
turns: the second sees the first's alert and counts it instead of opening another. The partial
unique constraint on open alerts backs that up. Only a monitor's latest finished window is
judged: a backfilled older window never resolves or re-fires what the newest one says.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Max, OuterRef, Subquery
from django.utils import timezone

from governance import audit
from monitoring.alerts import notifying
from monitoring.alerts.models import (
    OPEN_STATES,
    SEVERITY_ORDER,
    Alert,
    AlertEvent,
    AlertEventKind,
    AlertRule,
    AlertState,
    QualityCheck,
    RuleKind,
)
from monitoring.ingest.models import InferenceBatch
from monitoring.models import FINISHED, DriftRun, FeatureDrift, JobStatus, Monitor

logger = logging.getLogger("monitoring")

TESTED = ("ok", "constant")  # feature statuses with a verdict; the rest were not tested
RUN_KINDS = (
    RuleKind.DATASET_DRIFT,
    RuleKind.DRIFT_SHARE_ABOVE,
    RuleKind.FEATURE_DRIFT,
    RuleKind.PERFORMANCE,
    RuleKind.DATA_QUALITY,
    RuleKind.RUN_FAILED,
)


@dataclass(frozen=True)
class Finding:
    rule: AlertRule
    firing: bool | None  # None: cannot judge (nothing moves)
    summary: str = ""
    value: float | None = None
    subject: str = ""


@dataclass
class Evaluation:
    """What one evaluation did, by alert id."""

    fired: list[int] = field(default_factory=list)
    continued: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    notified: list[int] = field(default_factory=list)


def _rules(monitors, kinds: Iterable[str]) -> list[AlertRule]:
    """The enabled rules of these kinds on these (enabled) monitors: two queries."""
    return list(
        AlertRule.objects.filter(
            monitor__in=monitors, monitor__enabled=True, enabled=True, kind__in=list(kinds)
        )
        .select_related("monitor__model_version__model")
        .prefetch_related("channels")
        .order_by("pk")
    )


# --- findings --------------------------------------------------------------------------------


def _compare(rule: AlertRule, value: float) -> bool:
    if rule.direction == "below":
        return value < rule.threshold
    return value > rule.threshold


def run_finding(rule: AlertRule, run: DriftRun, features: dict[str, tuple[bool, str]]) -> Finding:
    """What a finished run says about one rule."""
    window = f"window {run.window_start:%Y-%m-%d %H:%M}"
    if rule.kind == RuleKind.RUN_FAILED:
        if run.status == JobStatus.FAILED:
            return Finding(rule, True, f"drift run of {window} failed: {run.error}"[:500])
        return Finding(rule, False, f"drift run of {window} succeeded")
    if run.status != JobStatus.SUCCEEDED:
        return Finding(rule, None)
    insufficient = not run.n_tested  # nothing could be tested: too few rows to judge drift
    if rule.kind == RuleKind.DATASET_DRIFT:
        if insufficient or run.dataset_drift is None:
            return Finding(rule, None)
        verdict = "dataset drift" if run.dataset_drift else "no dataset drift"
        return Finding(
            rule,
            bool(run.dataset_drift),
            f"{verdict}: {run.n_drifted} of {run.n_tested} features drifted "
            f"({run.drift_share:.0%}) in {window}",
            run.drift_share,
        )
    if rule.kind == RuleKind.DRIFT_SHARE_ABOVE:
        if insufficient or run.drift_share is None:
            return Finding(rule, None)
        return Finding(
            rule,
            run.drift_share > rule.threshold,
            f"drift share {run.drift_share:.0%} (limit {rule.threshold:.0%}) in {window}",
            run.drift_share,
        )
    if rule.kind == RuleKind.FEATURE_DRIFT:
        drifted, status = features.get(rule.feature, (False, "missing_column"))
        if status not in TESTED:
            return Finding(rule, None, subject=rule.feature)
        verb = "drifted" if drifted else "did not drift"
        return Finding(
            rule, drifted, f"feature {rule.feature} {verb} in {window}", subject=rule.feature
        )
    if rule.kind == RuleKind.PERFORMANCE:
        value = (run.performance or {}).get(rule.metric)
        if not isinstance(value, int | float):
            return Finding(rule, None, subject=rule.metric)
        return Finding(
            rule,
            _compare(rule, value),
            f"{rule.metric} {value:.4g} (alert {rule.direction} {rule.threshold:g}) in {window}",
            float(value),
            subject=rule.metric,
        )
    if rule.kind == RuleKind.DATA_QUALITY and rule.quality_check == QualityCheck.LOW_VOLUME:
        rows = run.current_rows or 0
        return Finding(
            rule,
            rows < rule.threshold,
            f"{rows} rows in {window} (alert below {rule.threshold:g})",
            float(rows),
        )
    return Finding(rule, None)


def batch_finding(rule: AlertRule, batch: InferenceBatch) -> Finding:
    """What a production batch's data-quality summary says about one data-quality rule."""
    quality = batch.quality or {}
    rows = quality.get("row_count") or 0
    columns = quality.get("columns") or {}
    if rule.feature:
        columns = {rule.feature: columns[rule.feature]} if rule.feature in columns else {}
    shares: dict[str, float] = {}
    for name, column in columns.items():
        if rule.quality_check == QualityCheck.NULL_RATE:
            value = column.get("null_rate")
        else:
            count = column.get(rule.quality_check)
            value = count / rows if count is not None and rows else None
        if value is not None:
            shares[name] = float(value)
    if not shares:
        return Finding(rule, None)  # no baseline to compare with, or no such column
    worst = max(shares, key=shares.get)
    value = shares[worst]
    label = rule.get_quality_check_display().lower().removesuffix(" above")
    return Finding(
        rule,
        value > rule.threshold,
        f"{label} {value:.1%} in column {worst} (limit {rule.threshold:.0%}), batch {batch.pk}",
        value,
    )


def silent_finding(rule: AlertRule, last_batch_at: datetime | None, now: datetime) -> Finding:
    since = last_batch_at or rule.created_at
    hours = (now - since).total_seconds() / 3600
    what = "no batch yet" if last_batch_at is None else f"last batch {hours:.1f} h ago"
    return Finding(
        rule,
        hours > rule.silent_hours,
        f"silent feed: {what} (limit {rule.silent_hours:g} h)",
        hours,
    )


# --- entry points ----------------------------------------------------------------------------


def alerts_evaluate_run(*, run_id: int) -> Evaluation | None:
    """After a drift run finished or failed. Only the monitor's latest finished window is
    judged (a later one already speaks for the monitor)."""
    run = DriftRun.objects.select_related("monitor").filter(pk=run_id, status__in=FINISHED).first()
    if run is None:
        return None
    later = DriftRun.objects.filter(
        monitor_id=run.monitor_id, status__in=FINISHED, window_end__gt=run.window_end
    ).exists()
    if later:
        return None
    rules = _rules([run.monitor_id], RUN_KINDS)
    if not rules:
        return None
    features = {
        name: (drifted, status)
        for name, drifted, status in FeatureDrift.objects.filter(run=run).values_list(
            "feature", "drifted", "status"
        )
    }
    return apply([run_finding(rule, run, features) for rule in rules], run=run)


def alerts_evaluate_performance(*, model_version_id: int) -> Evaluation | None:
    """After a performance refresh: the performance rules against each monitor's latest run."""
    rules = _rules(
        Monitor.objects.filter(model_version_id=model_version_id), [RuleKind.PERFORMANCE]
    )
    if not rules:
        return None
    latest = DriftRun.objects.filter(monitor=OuterRef("pk"), status__in=FINISHED).order_by(
        "-window_end", "-pk"
    )
    latest_ids = Monitor.objects.filter(pk__in={r.monitor_id for r in rules}).values_list(
        "pk", Subquery(latest.values("pk")[:1])
    )
    wanted = {run_id for _monitor, run_id in latest_ids if run_id}
    runs = {run.monitor_id: run for run in DriftRun.objects.filter(pk__in=wanted)}
    findings = [
        run_finding(rule, runs[rule.monitor_id], {}) for rule in rules if rule.monitor_id in runs
    ]
    return apply(findings)


def alerts_evaluate_batch(*, model_version_id: int) -> Evaluation | None:
    """After a production batch: data quality against the newest batch; the feed is live."""
    rules = _rules(
        Monitor.objects.filter(model_version_id=model_version_id),
        [RuleKind.DATA_QUALITY, RuleKind.SILENT_FEED],
    )
    if not rules:
        return None
    batch = (
        InferenceBatch.objects.filter(model_version_id=model_version_id)
        .order_by("-created_at", "-pk")
        .only("pk", "quality", "created_at")
        .first()
    )
    if batch is None:
        return None
    now = timezone.now()
    findings = []
    for rule in rules:
        if rule.kind == RuleKind.SILENT_FEED:
            findings.append(silent_finding(rule, batch.created_at, now))
        elif rule.quality_check != QualityCheck.LOW_VOLUME:
            findings.append(batch_finding(rule, batch))
    return apply(findings, now=now)


def alerts_check_silent_feeds(*, now: datetime | None = None) -> Evaluation:
    """The periodic check: every silent-feed rule against its version's newest batch."""
    now = now or timezone.now()
    rules = _rules(Monitor.objects.all(), [RuleKind.SILENT_FEED])
    versions = {rule.monitor.model_version_id for rule in rules}
    last = dict(
        InferenceBatch.objects.filter(model_version_id__in=versions)
        .values("model_version_id")
        .annotate(last=Max("created_at"))
        .values_list("model_version_id", "last")
    )
    findings = [
        silent_finding(rule, last.get(rule.monitor.model_version_id), now) for rule in rules
    ]
    return apply(findings, now=now)


# --- moving alerts ---------------------------------------------------------------------------


def apply(
    findings: Iterable[Finding], *, run: DriftRun | None = None, now: datetime | None = None
) -> Evaluation:
    """Move the alerts the findings speak for, in one transaction (see the module's doc)."""
    now = now or timezone.now()
    findings = [finding for finding in findings if finding.firing is not None]
    result = Evaluation()
    if not findings:
        return result
    rule_ids = sorted({finding.rule.pk for finding in findings})
    with transaction.atomic(durable=True):
        locked = set(
            AlertRule.objects.select_for_update()
            .filter(pk__in=rule_ids, enabled=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        open_alerts = {
            (alert.rule_id, alert.subject): alert
            for alert in Alert.objects.filter(rule_id__in=locked, state__in=OPEN_STATES)
        }
        silences = notifying.active_silences(
            rule_ids=locked,
            monitor_ids={f.rule.monitor_id for f in findings},
            model_ids={f.rule.monitor.model_version.model_id for f in findings},
            at=now,
        )
        continuing: list[tuple[Alert, Finding]] = []
        for finding in findings:
            if finding.rule.pk not in locked:
                continue  # disabled or deleted meanwhile
            alert = open_alerts.get((finding.rule.pk, finding.subject))
            if finding.firing and alert is None:
                alert = _fire(finding, run, now, silences, result)
                if alert is not None:
                    open_alerts[(finding.rule.pk, finding.subject)] = alert
            elif finding.firing:
                continuing.append((alert, finding))
            elif alert is not None:
                _resolve(alert, finding, run, now, silences, result)
        if continuing:
            _still_firing(continuing, run, now, silences, result)
    return result


def _fire(finding: Finding, run, now, silences, result: Evaluation) -> Alert | None:
    rule = finding.rule
    muted = notifying.is_muted(rule, silences)
    alert = Alert(
        rule=rule,
        monitor_id=rule.monitor_id,
        model_id=rule.monitor.model_version.model_id,
        subject=finding.subject,
        state=AlertState.FIRING,
        severity=rule.severity,
        severity_rank=SEVERITY_ORDER[rule.severity],
        summary=finding.summary[:500],
        value=finding.value,
        run=run,
        started_at=now,
        last_seen_at=now,
        silenced=muted,
    )
    try:
        with transaction.atomic():
            alert.save(force_insert=True)
    except IntegrityError:  # the rule lock makes this unreachable; the constraint backs it up
        logger.warning("alert for rule %s (%r) already open", rule.pk, finding.subject)
        return None
    result.fired.append(alert.pk)
    audit.record(
        action="monitoring.alert.fired",
        target=alert,
        changes=audit.created(
            {
                "rule": rule.pk,
                "kind": rule.kind,
                "subject": alert.subject,
                "severity": alert.severity,
                "summary": alert.summary,
                "value": alert.value,
                "run": alert.run_id,
                "silenced": muted,
            }
        ),
    )
    events = [
        AlertEvent(
            alert=alert,
            kind=AlertEventKind.FIRED,
            at=now,
            value=finding.value,
            run=run,
            note=finding.summary[:2000],
        )
    ]
    if muted:
        events.append(
            AlertEvent(alert=alert, kind=AlertEventKind.MUTED, at=now, note="silenced: not sent")
        )
    else:
        notification = notifying.send_firing(alert, rule)
        Alert.objects.filter(pk=alert.pk).update(notification=notification, last_notified_at=now)
        alert.notification, alert.last_notified_at = notification, now
        events.append(
            AlertEvent(alert=alert, kind=AlertEventKind.NOTIFIED, at=now, notification=notification)
        )
        result.notified.append(alert.pk)
    AlertEvent.objects.bulk_create(events)
    return alert


def _still_firing(continuing, run, now, silences, result: Evaluation) -> None:
    """One update for every alert still firing, one insert for their timeline; notifications
    only for the few whose reminder is due (or that fired under a silence now over)."""
    Alert.objects.filter(pk__in=[alert.pk for alert, _f in continuing]).update(
        last_seen_at=now, count=F("count") + 1
    )
    events = []
    for alert, finding in continuing:
        result.continued.append(alert.pk)
        alert.last_seen_at, alert.count = now, alert.count + 1
        events.append(
            AlertEvent(alert=alert, kind=AlertEventKind.SEEN, at=now, value=finding.value, run=run)
        )
        rule = finding.rule
        if alert.state != AlertState.FIRING or notifying.is_muted(rule, silences):
            continue
        if alert.notification_id is None:  # fired under a silence that has ended
            claimed = Alert.objects.filter(pk=alert.pk, notification__isnull=True).update(
                silenced=False, last_notified_at=now
            )
            kind, reminder = AlertEventKind.NOTIFIED, False
        else:
            interval = rule.repeat_interval
            if interval is None or alert.last_notified_at is None:
                continue
            if now - alert.last_notified_at < interval:
                continue
            claimed = Alert.objects.filter(
                pk=alert.pk, last_notified_at=alert.last_notified_at
            ).update(last_notified_at=now)
            kind, reminder = AlertEventKind.REMINDED, True
        if not claimed:
            continue
        notification = notifying.send_firing(alert, rule, reminder=reminder)
        if not reminder:
            Alert.objects.filter(pk=alert.pk).update(notification=notification)
            alert.notification = notification
        events.append(AlertEvent(alert=alert, kind=kind, at=now, notification=notification))
        result.notified.append(alert.pk)
    AlertEvent.objects.bulk_create(events)


def _resolve(alert: Alert, finding: Finding, run, now, silences, result: Evaluation) -> None:
    moved = Alert.objects.filter(pk=alert.pk, state__in=OPEN_STATES).update(
        state=AlertState.RESOLVED, resolved_at=now, last_seen_at=max(now, alert.last_seen_at)
    )
    if not moved:
        return
    before = alert.state
    alert.state, alert.resolved_at = AlertState.RESOLVED, now
    result.resolved.append(alert.pk)
    audit.record(
        action="monitoring.alert.resolved",
        target=alert,
        changes={
            "state": {"before": before, "after": AlertState.RESOLVED},
            "resolved_by": {"before": None, "after": "evaluation"},
            "finding": {"before": None, "after": finding.summary},
        },
    )
    events = [
        AlertEvent(
            alert=alert,
            kind=AlertEventKind.RESOLVED,
            at=now,
            value=finding.value,
            run=run,
            note=f"condition clear: {finding.summary}"[:2000],
        )
    ]
    if not notifying.is_muted(finding.rule, silences):
        notification = notifying.send_follow_up(alert, finding.rule, notifying.EVENT_RESOLVED)
        if notification is not None:
            events.append(
                AlertEvent(
                    alert=alert, kind=AlertEventKind.NOTIFIED, at=now, notification=notification
                )
            )
    AlertEvent.objects.bulk_create(events)
