"""Every API view stands on the portal's base, which no subclass can quietly open up."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import generics
from rest_framework.views import APIView

from mlops_portal.api.base import PortalApi


def _api_view_classes(patterns=None) -> set[type]:
    found: set[type] = set()
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            found |= _api_view_classes(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            view_class = getattr(entry.callback, "cls", None)
            if isinstance(view_class, type) and issubclass(view_class, APIView):
                found.add(view_class)
    return found


def test_every_api_view_uses_the_portal_base_or_is_a_named_bypass():
    classes = _api_view_classes()
    assert len(classes) > 10
    outside = sorted(
        cls.__qualname__
        for cls in classes
        if not issubclass(cls, PortalApi)
        and not cls.__name__.startswith("Unsafe")
        and cls.__module__.split(".")[0] in {"registry", "monitoring", "governance", "mlops_portal"}
    )
    assert outside == []


@pytest.mark.parametrize("hook", ["permission_classes", "authentication_classes"])
def test_a_view_that_changes_its_access_rules_is_refused_when_defined(hook):
    with pytest.raises(TypeError, match=hook):
        type("OpenDoorApi", (PortalApi, generics.GenericAPIView), {hook: []})


def test_a_view_that_overrides_get_permissions_is_refused_when_defined():
    with pytest.raises(TypeError, match="get_permissions"):

        class OpenDoorApi(PortalApi, generics.GenericAPIView):
            def get_permissions(self):
                return []


def test_a_named_bypass_may_set_its_own_rules():
    bypass = type("UnsafeScrapeApi", (PortalApi, APIView), {"permission_classes": []})
    assert bypass.permission_classes == []
