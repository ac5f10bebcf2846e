"""Registry pages: thin views over selectors; writes go through services."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from governance.roles import Action, require
from mlops_portal.api.base import filled
from mlops_portal.errors import PortalError
from registry import charts, selectors, services
from registry.forms import ModelCreateForm, StageChangeForm
from registry.models import RiskTier, Stage, TaskType

PAGE_SIZE = 50


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def model_list(request):
    page = _page(request, selectors.model_list(user=request.user, filters=filled(request.GET)))
    return render(
        request,
        "registry/model_list.html",
        {
            "page": page,
            "filters": request.GET,
            "stages": Stage.values,
            "task_types": TaskType.choices,
            "risk_tiers": RiskTier.choices,
        },
    )


def model_create(request):
    require(request.user, Action.MODEL_CREATE)
    form = ModelCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            model = services.model_create(actor=request.user, **form.cleaned_data)
        except PortalError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"Model {model.name} registered.")
            return redirect("model-detail", name=model.name)
    return render(request, "registry/model_form.html", {"form": form})


def model_detail(request, name: str):
    model = selectors.model_get(user=request.user, name=name)
    versions = selectors.version_list(user=request.user, filters={"model": name})
    page = _page(request, versions)
    metric_names = sorted({key for version in page for key in version.metrics})[:6]
    return render(
        request,
        "registry/model_detail.html",
        {"model": model, "page": page, "metric_names": metric_names},
    )


def version_detail(request, name: str, number: int):
    version = selectors.version_get(user=request.user, model_name=name, number=number)
    graph = selectors.lineage_graph(user=request.user, root=version)
    return render(
        request,
        "registry/version_detail.html",
        {
            "version": version,
            "model": version.model,
            "lineage": graph.as_dict(),
            "lineage_figure": charts.lineage_figure(graph).to_plotly_json(),
            "stage_form": StageChangeForm(initial={"stage": version.stage}),
        },
    )


@require_POST
def version_stage_change(request, name: str, number: int):
    version = selectors.version_get(user=request.user, model_name=name, number=number)
    form = StageChangeForm(request.POST)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        messages.error(request, f"{field}: {errors[0]}")
        return redirect("version-detail", name=name, number=number)
    try:
        services.model_version_stage_set(actor=request.user, version=version, **form.cleaned_data)
    except PortalError as error:
        if error.status == 403:
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, f"{version} moved to {form.cleaned_data['stage']}.")
    return redirect("version-detail", name=name, number=number)


def dataset_list(request):
    page = _page(request, selectors.dataset_list(user=request.user, filters=filled(request.GET)))
    return render(request, "registry/dataset_list.html", {"page": page, "filters": request.GET})


def dataset_detail(request, pk: int):
    dataset = selectors.dataset_get(user=request.user, pk=pk)
    graph = selectors.lineage_graph(user=request.user, root=dataset)
    return render(
        request,
        "registry/dataset_detail.html",
        {
            "dataset": dataset,
            "lineage": graph.as_dict(),
            "lineage_figure": charts.lineage_figure(graph).to_plotly_json(),
        },
    )
