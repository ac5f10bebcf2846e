"""Monitors: create, change, delete — each keeps its celery-beat entry in step, in one transaction.

The beat entry is a ``django_celery_beat.PeriodicTask`` named ``monitoring.monitor:<id>`` that
calls ``monitoring.monitor_scheduled_run`` (``TaskName.MONITOR_SCHEDULED_RUN``) with the
monitor's id, on the monitor's interval or crontab, enabled exactly when the monitor is. Beat's
database scheduler notices the change (``PeriodicTasks.changed``) on its next tick.
"""

from __future__ import annotations

import json
import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from drift import CORRECTIONS, DriftConfig, DriftConfigError
from governance import audit
from governance.roles import Action, require
from mlops_portal.errors import Conflict, ValidationFailed
from monitoring.alerts.services import alert_rules_create_defaults
from monitoring.dispatch import TaskName
from monitoring.models import Monitor, ReferenceDataset, ScheduleKind
from monitoring.validation import full_clean
from registry.models import ModelVersion

MONITOR_FIELDS = (
    "name",
    "description",
    "reference",
    "window_seconds",
    "schedule_kind",
    "interval_seconds",
    "crontab",
    "features",
    "method_overrides",
    "threshold_overrides",
    "default_method_numerical",
    "default_method_categorical",
    "drift_share_threshold",
    "correction",
    "preset",
    "preset_overrides",
    "effect_threshold",
    "min_sample_size",
    "enabled",
)
CRONTAB_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


def periodic_task_name(monitor: Monitor) -> str:
    return f"monitoring.monitor:{monitor.pk}"


def monitor_snapshot(monitor: Monitor) -> dict:
    snapshot = {field: getattr(monitor, field) for field in MONITOR_FIELDS if field != "reference"}
    snapshot.update(model_version=str(monitor.model_version), reference=monitor.reference_id)
    return snapshot


def drift_config(monitor: Monitor) -> DriftConfig:
    return DriftConfig(
        method_overrides=dict(monitor.method_overrides or {}),
        threshold_overrides=dict(monitor.threshold_overrides or {}),
        default_method_numerical=monitor.default_method_numerical or None,
        default_method_categorical=monitor.default_method_categorical or None,
        drift_share=monitor.drift_share_threshold,
        correction=monitor.correction or None,
        preset=monitor.preset,
        preset_overrides=dict(monitor.preset_overrides or {}),
        effect_threshold=monitor.effect_threshold,
        min_sample_size=monitor.min_sample_size,
    )


def _config_error_field(message: str) -> str:
    """The monitor field a drift-engine configuration error is about (its messages name the
    engine's parameters)."""
    if message.startswith("column") and "preset" in message:
        return "preset_overrides"
    for parameter, name in (
        ("default_method_numerical", "default_method_numerical"),
        ("default_method_categorical", "default_method_categorical"),
        ("drift_share", "drift_share_threshold"),
        ("correction", "correction"),
        ("effect threshold", "effect_threshold"),
        ("effect_threshold", "effect_threshold"),
        ("min_sample_size", "min_sample_size"),
        ("preset", "preset"),
    ):
        if parameter in message:
            return name
    return "threshold_overrides" if "threshold" in message else "method_overrides"


def _validate_features(monitor: Monitor, types: dict[str, str]) -> dict[str, str]:
    features = monitor.features
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise ValidationFailed("features: must be a list of column names.", field="features")
    if len(set(features)) != len(features):
        raise ValidationFailed("features: names a column twice.", field="features")
    unknown = [name for name in features if name not in types]
    if unknown:
        raise ValidationFailed(
            f"features: {unknown[0]!r} is not a profiled column of the reference "
            f"(available: {', '.join(sorted(types)) or 'none'}).",
            field="features",
        )
    return {name: types[name] for name in (features or types)}


def _validate_overrides(monitor: Monitor) -> None:
    for name in ("method_overrides", "threshold_overrides"):
        value = getattr(monitor, name)
        if not isinstance(value, dict):
            raise ValidationFailed(f"{name}: must be an object keyed by column.", field=name)
    for column, method in monitor.method_overrides.items():
        if not isinstance(method, str):
            raise ValidationFailed(
                f"method_overrides.{column}: must be a method name.", field="method_overrides"
            )
    for column, threshold in monitor.threshold_overrides.items():
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, int | float)
            or not math.isfinite(threshold)
        ):
            raise ValidationFailed(
                f"threshold_overrides.{column}: must be a finite number.",
                field="threshold_overrides",
            )


def _validate_schedule(monitor: Monitor) -> None:
    if monitor.schedule_kind == ScheduleKind.INTERVAL:
        if not monitor.interval_seconds:
            raise ValidationFailed(
                "interval_seconds: required when the schedule is an interval.",
                field="interval_seconds",
            )
        if monitor.crontab:
            raise ValidationFailed(
                "crontab: leave empty when the schedule is an interval.", field="crontab"
            )
        return
    if monitor.interval_seconds is not None:
        raise ValidationFailed(
            "interval_seconds: leave empty when the schedule is a crontab.",
            field="interval_seconds",
        )
    _crontab_parts(monitor.crontab)


def _crontab_parts(expression: str) -> dict[str, str]:
    parts = (expression or "").split()
    if len(parts) != 5:
        raise ValidationFailed(
            "crontab: needs five fields: minute hour day-of-month month day-of-week "
            "(e.g. '0 * * * *').",
            field="crontab",
        )
    values = dict(zip(CRONTAB_FIELDS, parts, strict=True))
    try:
        CrontabSchedule(**values, timezone=settings.TIME_ZONE).full_clean(
            exclude=["timezone"], validate_unique=False
        )
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValidationFailed(f"crontab: {field}: {messages[0]}", field="crontab") from exc
    return values


def _validate(monitor: Monitor) -> None:
    full_clean(monitor, exclude=["periodic_task", "model_version", "reference"])
    reference: ReferenceDataset = monitor.reference
    if reference.model_version_id != monitor.model_version_id:
        raise ValidationFailed(
            f"reference: {reference.pk} belongs to another model version.", field="reference"
        )
    if not reference.is_ready:  # a state to wait for, not bad input: 409
        raise Conflict(
            f"reference: {reference.name!r} is not profiled yet (status {reference.status}); "
            "wait until its profile is ready.",
            field="reference",
        )
    selected = _validate_features(monitor, dict(reference.column_types))
    if not selected:
        raise ValidationFailed("reference: has no drift-testable columns.", field="reference")
    _validate_overrides(monitor)
    if (monitor.correction or None) not in CORRECTIONS:
        raise ValidationFailed(
            f"correction: use one of {', '.join(c for c in CORRECTIONS if c)} or leave empty.",
            field="correction",
        )
    try:
        config = drift_config(monitor)
        config.check_columns(selected)
    except DriftConfigError as exc:
        field = _config_error_field(str(exc))
        raise ValidationFailed(f"{field}: {exc}", field=field) from exc
    _validate_schedule(monitor)


def _sync_periodic_task(monitor: Monitor) -> PeriodicTask:
    task = monitor.periodic_task or PeriodicTask(name=periodic_task_name(monitor))
    if monitor.schedule_kind == ScheduleKind.INTERVAL:
        task.interval = IntervalSchedule.objects.get_or_create(
            every=monitor.interval_seconds, period=IntervalSchedule.SECONDS
        )[0]
        task.crontab = None
    else:
        task.crontab = CrontabSchedule.objects.get_or_create(
            **_crontab_parts(monitor.crontab), timezone=settings.TIME_ZONE
        )[0]
        task.interval = None
    task.task = TaskName.MONITOR_SCHEDULED_RUN
    task.args = json.dumps([monitor.pk])
    task.kwargs = "{}"
    task.enabled = monitor.enabled
    task.description = f"Drift checks for {monitor}"[:200]
    task.save()
    if monitor.periodic_task_id != task.pk:
        monitor.periodic_task = task
        monitor.save(update_fields=["periodic_task"])
    return task


def _save(monitor: Monitor) -> None:
    try:
        with transaction.atomic():
            monitor.save()
    except IntegrityError as exc:
        raise Conflict(
            f"name: {monitor.model_version} already has a monitor named {monitor.name!r}.",
            field="name",
        ) from exc


def monitor_create(
    *,
    actor,
    model_version: ModelVersion,
    reference: ReferenceDataset,
    name: str,
    **fields,
) -> Monitor:
    require(actor, Action.MONITOR_CONFIGURE, model_version)
    unknown = set(fields) - set(MONITOR_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationFailed(f"{field}: unknown field.", field=field)
    if fields.get("schedule_kind") == ScheduleKind.CRONTAB:
        fields.setdefault("interval_seconds", None)
    elif "interval_seconds" not in fields and not fields.get("crontab"):
        fields["interval_seconds"] = 3600
    monitor = Monitor(
        model_version=model_version, reference=reference, name=name, created_by=actor, **fields
    )
    _validate(monitor)
    with transaction.atomic(durable=True):
        _save(monitor)
        _sync_periodic_task(monitor)
        audit.record(
            action="monitoring.monitor.created",
            actor=actor,
            target=monitor,
            changes=audit.created(monitor_snapshot(monitor)),
        )
        alert_rules_create_defaults(actor=actor, monitor=monitor)
    return monitor


def monitor_update(*, actor, monitor: Monitor, **fields) -> Monitor:
    require(actor, Action.MONITOR_CONFIGURE, monitor)
    unknown = set(fields) - set(MONITOR_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationFailed(f"{field}: cannot be changed.", field=field)
    with transaction.atomic(durable=True):
        monitor = (
            Monitor.objects.select_for_update(of=("self",))
            .select_related("model_version__model", "reference", "periodic_task")
            .get(pk=monitor.pk)
        )
        before = monitor_snapshot(monitor)
        if fields.get("schedule_kind") == ScheduleKind.INTERVAL:
            fields.setdefault("crontab", "")
        elif fields.get("schedule_kind") == ScheduleKind.CRONTAB:
            fields.setdefault("interval_seconds", None)
        for field, value in fields.items():
            setattr(monitor, field, value)
        _validate(monitor)
        _save(monitor)
        _sync_periodic_task(monitor)
        changes = audit.diff(before, monitor_snapshot(monitor))
        if changes:
            audit.record(
                action="monitoring.monitor.updated", actor=actor, target=monitor, changes=changes
            )
    return monitor


def monitor_delete(*, actor, monitor: Monitor) -> None:
    """Remove the monitor, its runs and its beat entry together."""
    require(actor, Action.MONITOR_CONFIGURE, monitor)
    with transaction.atomic(durable=True):
        monitor = Monitor.objects.select_for_update().get(pk=monitor.pk)
        snapshot = monitor_snapshot(monitor)
        target = {"target_type": "monitoring.monitor", "target_id": str(monitor.pk)}
        label = str(monitor)
        task_id = monitor.periodic_task_id
        monitor.delete()
        if task_id is not None:
            for task in PeriodicTask.objects.filter(pk=task_id):
                task.delete()  # the instance delete tells beat its schedule changed
        audit.record(
            action="monitoring.monitor.deleted",
            actor=actor,
            target_label=label,
            changes={key: {"before": value, "after": None} for key, value in snapshot.items()},
            **target,
        )
