"""Upload pages: a CSV or Parquet file of production rows or labels, posted from a version's
monitoring page, which shows what was stored or what was wrong.

Upload views are ``csrf_exempt`` on the outside and ``csrf_protect`` inside (Django's documented
pattern): the CSRF check reads the POST body, so the request must first be told to stream its
files to the data root with the size limit.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from governance.roles import Action, require
from mlops_portal.errors import PortalError
from monitoring.ingest import storage
from monitoring.ingest.forms import UploadForm
from monitoring.ingest.quality import BaselineLookup
from monitoring.ingest.services import batches
from registry.selectors import version_get


def report(request, error: PortalError) -> None:
    """Show a service's refusal on the next page; a permission error stays an error page."""
    if error.status == 403:
        raise error
    messages.error(request, error.message)


def streamed_upload(view):
    """Outer view: stream uploads to the data root, then check CSRF (see module docstring)."""
    protected = csrf_protect(view)

    @csrf_exempt
    @require_POST
    def wrapper(request, *args, **kwargs):
        storage.use_data_root_uploads(request)
        return protected(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def uploaded_form(request, form_class, action: Action, version):
    """The bound upload form, or None after saying what is wrong with it."""
    require(request.user, action, version)
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        messages.error(request, f"{field}: {errors[0]}")
        return None
    return form


def _ingest_upload(request, name: str, number: int, kind, noun: str, *, baseline_of=None):
    """Store an uploaded CSV or Parquet file as a batch of ``kind`` (measured against
    ``baseline_of(version)`` when given) and say what was stored, or what was wrong, on the
    version's monitoring page."""
    version = version_get(user=request.user, model_name=name, number=number)
    form = uploaded_form(request, UploadForm, Action.DATA_INGEST, version)
    if form is not None:
        upload = form.cleaned_data["file"]
        try:
            with storage.uploaded_path(upload) as path:
                result = batches.batch_ingest_file(
                    kind=kind,
                    actor=request.user,
                    model_version=version,
                    path=path,
                    filename=upload.name or "",
                    skip_bad_rows=form.cleaned_data["skip_bad_rows"],
                    baseline=baseline_of(version) if baseline_of else None,
                )
        except PortalError as error:
            report(request, error)
        else:
            batch = result.batch
            skipped = f", {batch.skipped_rows} bad rows skipped" if batch.skipped_rows else ""
            messages.success(request, f"Stored {batch.row_count} {noun}{skipped}.")
    return redirect("version-monitoring", name=name, number=number)


@streamed_upload
def batch_upload(request, name: str, number: int, *, baseline_of: BaselineLookup):
    """Upload a CSV or Parquet file of production rows for the version; the URL conf passes
    ``baseline_of``, which finds what its quality is measured against."""
    return _ingest_upload(
        request, name, number, batches.PRODUCTION, "rows", baseline_of=baseline_of
    )


@streamed_upload
def label_upload(request, name: str, number: int):
    """Upload ground-truth labels (prediction_id, label) for the version."""
    return _ingest_upload(request, name, number, batches.LABELS, "labels")
