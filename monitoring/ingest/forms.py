"""HTML form of the upload pages (the services do the real validation)."""

from __future__ import annotations

from django import forms


class UploadForm(forms.Form):
    file = forms.FileField(allow_empty_file=True)
    skip_bad_rows = forms.BooleanField(required=False, label="Skip bad rows")
