"""Alert pages: the list (filters: state, severity, model, monitor), one alert with the run that
fired it, its chart and its timeline, acknowledge / resolve / silence for those allowed, and a
monitor's rules. Thin views over selectors; writes go through the services."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from governance.roles import Action, may, require
from mlops_portal.api.base import filled
from mlops_portal.errors import PortalError
from monitoring import charts
from monitoring import selectors as monitoring_selectors
from monitoring.alerts import selectors, services
from monitoring.alerts.forms import AlertRuleForm, NoteForm, SilenceForm
from monitoring.alerts.models import AlertState, RuleKind
from monitoring.ingest import selectors as ingest_selectors
from notifications.models import Severity

PAGE_SIZE = 50


def _report(request, error: PortalError) -> None:
    messages.error(request, error.message)


def alert_list(request):
    filters = filled(request.GET)
    alerts = selectors.alert_list(user=request.user, filters=filters)
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    silences = list(selectors.silence_list(user=request.user, filters={"active": "true"})[:50])
    return render(
        request,
        "monitoring/alerts/alert_list.html",
        {
            "page": page,
            "filters": request.GET,
            "states": AlertState.choices,
            "severities": Severity.choices,
            "silences": silences,
            "can_respond": may(request.user, Action.ALERT_RESPOND),
        },
    )


def _chart(request, alert):
    """The chart that shows what fired it: drift share, performance or data quality."""
    monitor = alert.monitor
    kind = alert.rule.kind
    if kind == RuleKind.DATA_QUALITY and alert.rule.quality_check != "low_volume":
        quality = ingest_selectors.batch_quality_history(
            user=request.user, version=monitor.model_version
        )
        return charts.quality_chart(quality)
    if kind in (RuleKind.SILENT_FEED, RuleKind.RUN_FAILED):
        return None
    history = monitoring_selectors.run_history(user=request.user, monitor=monitor)
    if kind == RuleKind.PERFORMANCE:
        return charts.performance_chart(history)
    return charts.drift_share_chart(history, monitor.drift_share_threshold)


def alert_detail(request, pk: int):
    alert = selectors.alert_get(user=request.user, pk=pk)
    return render(
        request,
        "monitoring/alerts/alert_detail.html",
        {
            "alert": alert,
            "rule": alert.rule,
            "monitor": alert.monitor,
            "version": alert.monitor.model_version,
            "chart": _chart(request, alert),
            "events": list(alert.events.all()),
            "silences": selectors.silences_covering(user=request.user, alert=alert),
            "note_form": NoteForm(),
            "silence_form": SilenceForm(),
            "can_respond": may(request.user, Action.ALERT_RESPOND, alert),
        },
    )


@require_POST
def alert_acknowledge(request, pk: int):
    alert = selectors.alert_get(user=request.user, pk=pk)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.alert_acknowledge(actor=request.user, alert=alert, note=note)
    except PortalError as error:
        if error.status == 403:
            raise
        _report(request, error)
    else:
        messages.success(request, "Alert acknowledged: no more reminders.")
    return redirect("alert-detail", pk=pk)


@require_POST
def alert_resolve(request, pk: int):
    alert = selectors.alert_get(user=request.user, pk=pk)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.alert_resolve(actor=request.user, alert=alert, note=note)
    except PortalError as error:
        if error.status == 403:
            raise
        _report(request, error)
    else:
        messages.success(request, "Alert resolved.")
    return redirect("alert-detail", pk=pk)


@require_POST
def alert_silence(request, pk: int):
    """Silence the alert's rule, monitor or model for some hours."""
    alert = selectors.alert_get(user=request.user, pk=pk)
    require(request.user, Action.ALERT_RESPOND, alert)
    form = SilenceForm(request.POST)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        messages.error(request, f"{field}: {errors[0]}")
        return redirect("alert-detail", pk=pk)
    scope = form.cleaned_data["scope"]
    target = {"rule": alert.rule, "monitor": alert.monitor, "model": alert.model}[scope]
    try:
        services.silence_create(
            actor=request.user,
            ends_at=timezone.now() + timedelta(hours=form.cleaned_data["hours"]),
            reason=form.cleaned_data["reason"],
            **{scope: target},
        )
    except PortalError as error:
        if error.status == 403:
            raise
        _report(request, error)
    else:
        messages.success(request, f"{scope.capitalize()} silenced.")
    return redirect("alert-detail", pk=pk)


@require_POST
def silence_expire(request, pk: int):
    silence = selectors.silence_get(user=request.user, pk=pk)
    try:
        services.silence_expire(actor=request.user, silence=silence)
    except PortalError as error:
        if error.status == 403:
            raise
        _report(request, error)
    else:
        messages.success(request, "Silence ended.")
    return redirect("alert-list")


def monitor_alert_rules(request, pk: int):
    """A monitor's rules; its owners add rules here and edit them on ``alert_rule_edit``."""
    monitor = monitoring_selectors.monitor_get(user=request.user, pk=pk)
    rules = selectors.alert_rule_list(user=request.user, filters={"monitor": pk})
    can_configure = may(request.user, Action.ALERT_RULE_CONFIGURE, monitor)
    form = AlertRuleForm(request.POST or None)
    if request.method == "POST":
        require(request.user, Action.ALERT_RULE_CONFIGURE, monitor)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["channels"] = list(data["channels"])
            try:
                services.alert_rule_create(actor=request.user, monitor=monitor, **data)
            except PortalError as error:
                if error.status == 403:
                    raise
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, "Alert rule added.")
                return redirect("monitor-alert-rules", pk=pk)
    return render(
        request,
        "monitoring/alerts/rules.html",
        {
            "monitor": monitor,
            "version": monitor.model_version,
            "rules": list(rules),
            "form": form,
            "can_configure": can_configure,
            "firing": selectors.firing_alerts(user=request.user, monitor=monitor),
        },
    )


def alert_rule_edit(request, pk: int):
    """One rule's form, filled with what it is now; the update service validates and audits."""
    rule = selectors.alert_rule_get(user=request.user, pk=pk)
    require(request.user, Action.ALERT_RULE_CONFIGURE, rule)
    initial = {field: getattr(rule, field) for field in AlertRuleForm.base_fields}
    initial["channels"] = [channel.pk for channel in rule.channels.all()]
    form = AlertRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["channels"] = list(data["channels"])
        try:
            services.alert_rule_update(actor=request.user, rule=rule, **data)
        except PortalError as error:
            if error.status == 403:
                raise
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, "Alert rule saved.")
            return redirect("monitor-alert-rules", pk=rule.monitor_id)
    return render(
        request,
        "monitoring/alerts/rule_form.html",
        {"form": form, "rule": rule, "monitor": rule.monitor},
    )


@require_POST
def alert_rule_delete(request, pk: int):
    rule = selectors.alert_rule_get(user=request.user, pk=pk)
    monitor_pk = rule.monitor_id
    services.alert_rule_delete(actor=request.user, rule=rule)
    messages.success(request, "Alert rule deleted with its alerts.")
    return redirect("monitor-alert-rules", pk=monitor_pk)
