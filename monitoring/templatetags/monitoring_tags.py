"""Monitoring template tags: status badges and the monitor summary shown on registry pages.

The registry never imports monitoring; its templates ``{% load monitoring_tags %}`` and call
``{% monitor_summary version %}`` (or a model), which asks the monitoring selectors.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from monitoring import selectors
from monitoring.models import JobStatus
from registry.models import ModelVersion

register = template.Library()


def _badge(css: str, text: str):
    return format_html('<span class="badge {}">{}</span>', css, text)


def verdict_badge(status, dataset_drift, progress=None):
    if status is None:
        return _badge("", "no runs")
    if status == JobStatus.FAILED:
        return _badge("risk-high", "failed")
    if status in (JobStatus.PENDING, JobStatus.RUNNING):
        suffix = f" {progress}%" if progress else ""
        return _badge("risk-medium", f"{status}{suffix}")
    if dataset_drift:
        return _badge("risk-high", "drift")
    return _badge("risk-low", "no drift")


@register.simple_tag
def run_badge(run):
    """Verdict of one run: drift / no drift / failed / running 40%."""
    return verdict_badge(run.status, run.dataset_drift, run.progress)


@register.simple_tag
def latest_badge(monitor):
    """Verdict of a monitor's latest run (from the selector's annotations)."""
    return verdict_badge(
        getattr(monitor, "latest_run_status", None), getattr(monitor, "latest_dataset_drift", None)
    )


@register.simple_tag
def job_badge(job):
    css = {
        JobStatus.SUCCEEDED: "risk-low",
        JobStatus.FAILED: "risk-high",
    }.get(job.status, "risk-medium")
    return _badge(
        css, job.get_status_display() if hasattr(job, "get_status_display") else job.status
    )


@register.filter
def percent(value) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


@register.filter
def cell(value) -> str:
    """A chart table cell: floats shortened, missing values as a dash."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


@register.inclusion_tag("monitoring/_monitor_summary.html", takes_context=True)
def monitor_summary(context, obj):
    """``{% monitor_summary version %}`` or ``{% monitor_summary model %}``: monitors and their
    latest status (nothing for users who may not read monitoring)."""
    user = context["request"].user
    if isinstance(obj, ModelVersion):
        monitors = selectors.monitor_summaries(user=user, version=obj)
        return {"monitors": monitors, "version": obj, "model": obj.model, "per_version": False}
    monitors = selectors.monitor_summaries(user=user, model=obj)
    return {"monitors": monitors, "version": None, "model": obj, "per_version": True}
