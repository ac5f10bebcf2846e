"""Monitoring pages: thin views over selectors and chart builders; writes go through services.

The upload pages of production rows and labels are ingest's (``monitoring.ingest.views``); the
reference upload here streams its file the same way.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from governance.roles import Action, may, require
from mlops_portal.api.base import filled
from mlops_portal.errors import PortalError
from monitoring import charts, selectors
from monitoring.forms import BackfillForm, MonitorForm, ReferenceUploadForm
from monitoring.ingest import selectors as ingest_selectors
from monitoring.ingest import storage
from monitoring.ingest.forms import UploadForm
from monitoring.ingest.views import report, streamed_upload, uploaded_form
from monitoring.models import FINISHED, JobStatus, Monitor
from monitoring.services import monitors, references, scheduling
from registry.selectors import version_get

PAGE_SIZE = 50
CHART_KEYS = ("drift-share", "heatmap", "distribution", "quality", "performance")


def _page(request, queryset, size: int = PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


# --- monitors --------------------------------------------------------------------------------


def monitor_list(request):
    page = _page(request, selectors.monitor_list(user=request.user, filters=filled(request.GET)))
    return render(request, "monitoring/monitor_list.html", {"page": page, "filters": request.GET})


def _distribution(request, history: list):
    """The run and feature the distribution chart shows (from ?run= and ?feature=)."""
    run = None
    run_id = request.GET.get("run", "")
    if run_id.isdigit():
        run = next((r for r in history if r.pk == int(run_id)), None)
    if run is None and history:
        with_rows = [r for r in history if r.current_rows]
        run = (with_rows or history)[-1]
    if run is None:
        return None, None, [], None
    features = [f.feature for f in run.features.all()]
    feature = request.GET.get("feature", "")
    if feature not in features:
        drifted = [f.feature for f in run.features.all() if f.drifted]
        feature = (drifted or features or [""])[0]
    result = selectors.feature_drift_get(user=request.user, run=run, feature=feature)
    return run, feature, features, result


def _monitor_charts(request, monitor: Monitor) -> tuple[list, dict]:
    history = selectors.run_history(user=request.user, monitor=monitor)
    quality = ingest_selectors.batch_quality_history(
        user=request.user, version=monitor.model_version
    )
    run, feature, features, result = _distribution(request, history)
    chart_list = [
        charts.drift_share_chart(history, monitor.drift_share_threshold),
        charts.feature_heatmap_chart(history),
        charts.distribution_chart(result),
        charts.quality_chart(quality),
        charts.performance_chart(history),
    ]
    selection = {"run": run, "feature": feature, "features": features, "history": history}
    return chart_list, selection


def monitor_detail(request, pk: int):
    monitor = selectors.monitor_get(user=request.user, pk=pk)
    chart_list, selection = _monitor_charts(request, monitor)
    recent = selectors.drift_run_list(user=request.user, filters={"monitor": pk})
    active_runs = list(recent.filter(status__in=[JobStatus.PENDING, JobStatus.RUNNING])[:20])
    backfills = list(
        selectors.backfill_list(user=request.user, filters={"monitor": pk}).exclude(
            status__in=FINISHED
        )[:5]
    )
    return render(
        request,
        "monitoring/monitor_detail.html",
        {
            "monitor": monitor,
            "version": monitor.model_version,
            "charts": chart_list,
            "selection": selection,
            "recent_runs": list(recent[:20]),
            "active_runs": active_runs,
            "backfills": backfills,
            "backfill_form": BackfillForm(),
            "can_configure": may(request.user, Action.MONITOR_CONFIGURE, monitor),
        },
    )


class _Echo:
    def write(self, value):
        return value


def monitor_chart_csv(request, pk: int, chart: str):
    """The numbers behind one chart of the monitor page, as CSV."""
    if chart not in CHART_KEYS:
        raise Http404
    monitor = selectors.monitor_get(user=request.user, pk=pk)
    chart_list, _selection = _monitor_charts(request, monitor)
    selected = next(c for c in chart_list if c.key == chart)
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(selected.columns)
        for row in selected.rows:
            yield writer.writerow(["" if value is None else value for value in row])

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="monitor-{pk}-{chart}.csv"'
    return response


def drift_run_page(request, pk: int, run_pk: int):
    monitor = selectors.monitor_get(user=request.user, pk=pk)
    run = selectors.drift_run_get(user=request.user, pk=run_pk)
    if run.monitor_id != monitor.pk:
        raise Http404
    results = list(run.features.all())
    names = [r.feature for r in results]
    feature = request.GET.get("feature", "")
    if feature not in names:
        feature = next((r.feature for r in results if r.drifted), names[0] if names else "")
    result = next((r for r in results if r.feature == feature), None)
    return render(
        request,
        "monitoring/run_detail.html",
        {
            "monitor": monitor,
            "run": run,
            "results": results,
            "feature": feature,
            "chart": charts.distribution_chart(result),
        },
    )


def _show_on_form(form, error: PortalError) -> None:
    """A service's refusal, on the form field it names (a permission error stays an error)."""
    if error.status == 403:
        raise error
    form.add_error(error.field if error.field in form.fields else None, error.message)


def monitor_create(request, name: str, number: int):
    version = version_get(user=request.user, model_name=name, number=number)
    require(request.user, Action.MONITOR_CONFIGURE, version)
    form = MonitorForm(request.POST or None, version=version)
    if request.method == "POST" and form.is_valid():
        try:
            monitor = monitors.monitor_create(
                actor=request.user, model_version=version, **form.cleaned_data
            )
        except PortalError as error:
            _show_on_form(form, error)
        else:
            messages.success(request, f"Monitor {monitor.name} created.")
            return redirect("monitor-detail", pk=monitor.pk)
    return render(
        request, "monitoring/monitor_form.html", {"form": form, "version": version, "monitor": None}
    )


def monitor_edit(request, pk: int):
    monitor = selectors.monitor_get(user=request.user, pk=pk)
    require(request.user, Action.MONITOR_CONFIGURE, monitor)
    initial = {
        field: getattr(monitor, field)
        for field in MonitorForm.base_fields
        if field not in ("features", "reference")
    }
    initial.update(features=", ".join(monitor.features), reference=monitor.reference_id)
    form = MonitorForm(request.POST or None, initial=initial, version=monitor.model_version)
    if request.method == "POST" and form.is_valid():
        try:
            monitors.monitor_update(actor=request.user, monitor=monitor, **form.cleaned_data)
        except PortalError as error:
            _show_on_form(form, error)
        else:
            messages.success(request, f"Monitor {monitor.name} saved.")
            return redirect("monitor-detail", pk=monitor.pk)
    return render(
        request,
        "monitoring/monitor_form.html",
        {"form": form, "version": monitor.model_version, "monitor": monitor},
    )


@require_POST
def monitor_delete(request, pk: int):
    monitor = selectors.monitor_get(user=request.user, pk=pk)
    version = monitor.model_version
    monitors.monitor_delete(actor=request.user, monitor=monitor)
    messages.success(request, f"Monitor {monitor.name} deleted with its runs and schedule.")
    return redirect("version-monitoring", name=version.model.name, number=version.version)


@require_POST
def monitor_run_now(request, pk: int):
    monitor = selectors.monitor_get(user=request.user, pk=pk)
    try:
        run = scheduling.drift_run_now(actor=request.user, monitor=monitor)
    except PortalError as error:
        report(request, error)
    else:
        window = f"the window starting {run.window_start:%Y-%m-%d %H:%M}"
        if run.status == JobStatus.RUNNING:
            messages.info(request, f"The run for {window} is running: {run.stage or 'started'}.")
        else:
            messages.success(request, f"Run for {window} queued.")
    return redirect("monitor-detail", pk=pk)


@require_POST
def monitor_backfill(request, pk: int):
    monitor = selectors.monitor_get(user=request.user, pk=pk)
    require(request.user, Action.MONITOR_CONFIGURE, monitor)
    form = BackfillForm(request.POST)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        messages.error(request, f"{field}: {errors[0]}")
        return redirect("monitor-detail", pk=pk)
    try:
        backfill = scheduling.drift_backfill_request(
            actor=request.user, monitor=monitor, windows=form.cleaned_data["windows"]
        )
    except PortalError as error:
        report(request, error)
    else:
        messages.success(request, f"Backfill of {backfill.windows} windows started.")
    return redirect("monitor-detail", pk=pk)


# --- a version's monitoring data -------------------------------------------------------------


def version_monitoring(request, name: str, number: int):
    version = version_get(user=request.user, model_name=name, number=number)
    user = request.user
    return render(
        request,
        "monitoring/version_monitoring.html",
        {
            "version": version,
            "model": version.model,
            "monitors": list(
                selectors.monitor_list(user=user, filters={"model_version": version.pk})
            ),
            "references": list(selectors.reference_list(user=user, model_version=version)[:20]),
            "page": _page(request, ingest_selectors.batch_list(user=user, model_version=version)),
            "labels": list(
                ingest_selectors.label_batch_list(user=user, model_version=version)[:10]
            ),
            "upload_form": UploadForm(),
            "reference_form": ReferenceUploadForm(),
            "can_configure": may(user, Action.MONITOR_CONFIGURE, version),
            "can_ingest": may(user, Action.DATA_INGEST, version),
        },
    )


def reference_page(request, pk: int):
    reference = selectors.reference_get(user=request.user, pk=pk)
    columns = sorted((reference.summary or {}).get("columns", {}).items())
    return render(
        request,
        "monitoring/reference_detail.html",
        {
            "reference": reference,
            "version": reference.model_version,
            "columns": columns,
            "can_configure": may(request.user, Action.MONITOR_CONFIGURE, reference),
        },
    )


@require_POST
def reference_requeue(request, pk: int):
    reference = selectors.reference_get(user=request.user, pk=pk)
    try:
        references.reference_profile_requeue(actor=request.user, reference=reference)
    except PortalError as error:
        report(request, error)
    return redirect("reference-page", pk=pk)


@streamed_upload
def reference_upload(request, name: str, number: int):
    """Upload a reference dataset for the version (then profiled in the background)."""
    version = version_get(user=request.user, model_name=name, number=number)
    form = uploaded_form(request, ReferenceUploadForm, Action.MONITOR_CONFIGURE, version)
    if form is None:
        return redirect("version-monitoring", name=name, number=number)
    upload = form.cleaned_data["file"]
    try:
        with storage.uploaded_path(upload) as path:
            reference = references.reference_dataset_create(
                actor=request.user,
                model_version=version,
                upload_path=path,
                filename=upload.name or "",
                name=form.cleaned_data["name"],
            )
    except PortalError as error:
        report(request, error)
        return redirect("version-monitoring", name=name, number=number)
    messages.success(request, f"Reference {reference.name} uploaded; profiling it now.")
    return redirect("reference-page", pk=reference.pk)
