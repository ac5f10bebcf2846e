"""Shared API building blocks: strict input serializers and the role check every API view uses."""

from __future__ import annotations

from datetime import UTC
from functools import reduce
from operator import or_

import django_filters
from django import forms as django_forms
from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import BasePermission

from governance.roles import may
from mlops_portal.errors import ValidationFailed


class _StringsOnly:
    """Refuses numbers and booleans instead of quietly turning them to text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(_StringsOnly, serializers.CharField):
    """Text, and only text."""


class StrictSlugField(_StringsOnly, serializers.SlugField):
    """Letters, digits, hyphens and underscores only, sent as text."""


class StrictFilterSet(django_filters.FilterSet):
    """A filter given an empty value is refused (django-filter would silently ignore it),
    except free-text filters, where empty means 'any'. Selectors apply it with ``apply``, for
    the pages (``request.GET``) and the API (``request.query_params``) alike."""

    @classmethod
    def apply(cls, filters, queryset):
        """``queryset`` narrowed by ``filters``; a bad value is a 400 naming its filter. With no
        filters there is nothing to check (and no form to build)."""
        if not filters:
            return queryset
        filterset = cls(filters, queryset)
        if not filterset.is_valid():
            field, errors = next(iter(filterset.errors.items()))
            raise ValidationFailed(f"{field}: {errors[0]}", field=field)
        return filterset.qs

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, value in self.data.items():
            spec = self.filters.get(name)
            if value == "" and spec is not None and type(spec) is not django_filters.CharFilter:
                self.form.add_error(name, "Must not be empty.")
                valid = False
        return valid


def filled(query) -> dict[str, str]:
    """A page's filter form as filters: its blank fields ("any stage") name no filter."""
    return {key: value.strip() for key, value in query.items() if value.strip()}


def search_filter(*fields: str) -> django_filters.CharFilter:
    """``?search=``: every word must appear (case-insensitively) in one of ``fields``."""

    def search(queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(
                reduce(or_, (Q(**{f"{field}__icontains": word}) for field in fields))
            )
        return queryset.distinct() if any("__" in field for field in fields) else queryset

    return django_filters.CharFilter(method=search, label=f"Words to find in {', '.join(fields)}.")


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})
class IdFilter(django_filters.Filter):
    """A row id: a whole number in the database's range (anything else is a 400, not a 500)."""

    field_class = django_forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "string", "enum": ["true", "false"]})
class TrueFalseFilter(django_filters.TypedChoiceFilter):
    """``true`` or ``false`` only (django-filter's BooleanFilter quietly ignores other text)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", (("true", "true"), ("false", "false")))
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


class _UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value):
        parsed = super().to_python(value)
        try:
            # In UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 allows.
            return parsed.astimezone(UTC) if parsed and parsed.tzinfo else parsed
        except OverflowError as exc:
            raise django_forms.ValidationError("Date-time out of range.") from exc


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time filter whose value reaches the database in UTC."""

    field_class = _UtcIsoDateTimeField


class StrictSlugRelatedField(serializers.SlugRelatedField):
    """A reference by a unique name: a string without NUL characters, not empty and not a
    number."""

    def run_validation(self, data=serializers.empty):
        if data == "" or (isinstance(data, str) and "\x00" in data):
            self.fail("invalid")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})
class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference by id: a JSON integer ("5" is refused like any other wrong type)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class StrictInputSerializer(serializers.Serializer):
    """Input serializers reject fields they do not know, naming them."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({unknown[0]: ["Unknown field."]})
        return super().to_internal_value(data)


@extend_schema_field({"type": "object", "additionalProperties": {}})
class JSONObjectField(serializers.JSONField):
    """A JSON field that must be an object (dict)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return value


def validated(serializer_class: type[serializers.Serializer], data) -> dict:
    """Run an input serializer; a failure raises the 400 of the error contract."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


NO_NUL = "^[^\\u0000]*$"
SCALAR_SCHEMA = {
    "oneOf": [
        {"type": "string", "pattern": NO_NUL, "nullable": True},
        {"type": "number"},
        {"type": "boolean"},
    ]
}


def _has_nul(value) -> bool:
    return isinstance(value, str) and "\x00" in value


@extend_schema_field({"type": "object", "additionalProperties": SCALAR_SCHEMA})
class ScalarMapField(serializers.JSONField):
    """Name → string, number, boolean or null (like MLflow params); no NUL characters, which
    PostgreSQL cannot store."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        for key, item in value.items():
            if _has_nul(key) or _has_nul(item):
                raise serializers.ValidationError(f"{key!r}: NUL characters are not allowed.")
            if isinstance(item, dict | list):
                raise serializers.ValidationError(f"{key!r}: must be a string, number or boolean.")
        return value


@extend_schema_field({"type": "object", "additionalProperties": {"type": "number"}})
class NumberMapField(ScalarMapField):
    """Name → number (metrics); finiteness is checked by the service."""


class RolePermission(BasePermission):
    """Applies ``view.required_actions[request method or view action]`` via governance.roles.

    Object-level rules (ownership) are enforced by the services, which call roles.require with
    the object; this check refuses early anyone whose role cannot take the action at all.
    """

    def has_permission(self, request, view) -> bool:
        actions = getattr(view, "required_actions", None)
        if actions is None:
            return False  # a view that forgot to declare its rule is closed, not open
        key = getattr(view, "action", None) or request.method.lower()
        action = actions.get(key, actions.get(request.method.lower()))
        if action is None:
            return False
        return may(request.user, action)


ACCESS_HOOKS = (
    "authentication_classes",
    "permission_classes",
    "get_authenticators",
    "get_permissions",
)


class PortalApi:
    """The first base of every API view: authenticated, role-checked (``required_actions``),
    the one error contract. A subclass cannot change who gets in: overriding an access hook is
    refused when the class is defined, unless the class is named ``Unsafe…`` (a deliberate,
    reviewed bypass: the metrics scrape token). ``tests/test_api_base.py`` holds every API route
    to this base."""

    permission_classes = [RolePermission]
    required_actions: dict[str, str] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        overridden = [hook for hook in ACCESS_HOOKS if hook in vars(cls)]
        if overridden and not cls.__name__.startswith("Unsafe"):
            raise TypeError(
                f"{cls.__name__} overrides {', '.join(overridden)}: API access is decided by "
                "required_actions and governance.roles (name a deliberate bypass Unsafe…)."
            )

    def list_filters(self):
        """What the view's selector filters by: the query string for a list; nothing for a
        detail URL, which names one object whatever its query string says."""
        return self.request.query_params if getattr(self, "action", "list") == "list" else None

    def filter_queryset(self, queryset):
        """Ordering shapes lists only."""
        if getattr(self, "action", "list") != "list":
            return queryset
        return super().filter_queryset(queryset)


class StrictIntegerField(serializers.IntegerField):
    """An IntegerField that refuses strings and floats ("5", 5.0) instead of coercing them."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A BooleanField that takes only JSON true/false."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class FilterSetDocumentation(DjangoFilterBackend):
    """Documents a list view's ``filterset_class`` as query parameters in the schema, and
    filters nothing: the view's selector applies the same FilterSet (``StrictFilterSet.apply``),
    so a filter is defined once and applied once, for pages and API alike."""

    def filter_queryset(self, request, queryset, view):
        return queryset


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=`` names only the view's ordering fields (``-`` for descending); anything
    else is a 400 naming the bad term instead of being silently ignored."""

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if raw is None:
            return self.get_default_ordering(view)
        allowed = {
            name for name, _label in self.get_valid_fields(queryset, view, {"request": request})
        }
        terms = [term.strip() for term in raw.split(",")]
        for term in terms:
            if term.lstrip("-") not in allowed:
                raise ValidationError(
                    {self.ordering_param: [f"{term!r} is not one of {', '.join(sorted(allowed))}."]}
                )
        return terms

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        fields = "|".join(sorted(getattr(view, "ordering_fields", None) or []))
        for parameter in parameters:
            if fields:
                parameter["schema"]["pattern"] = f"^-?({fields})(,-?({fields}))*$"
        return parameters
