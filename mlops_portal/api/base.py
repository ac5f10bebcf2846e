"""Shared API building blocks: strict input serializers and the role check every API view uses."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import BasePermission

from governance.roles import may


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of quietly turning them to text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictSlugField(serializers.SlugField):
    """Letters, digits, hyphens and underscores only; numbers are not quietly made text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFilterSet(django_filters.FilterSet):
    """A filter given an empty value is refused (django-filter would silently ignore it),
    except free-text filters, where empty means 'any'."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, value in self.data.items():
            spec = self.filters.get(name)
            if value == "" and spec is not None and type(spec) is not django_filters.CharFilter:
                self.form.add_error(name, "Must not be empty.")
                valid = False
        return valid


class StrictSlugRelatedField(serializers.SlugRelatedField):
    """A reference by name: an empty string is refused, not read as 'none'."""

    def run_validation(self, data=serializers.empty):
        if data == "":
            self.fail("invalid")
        return super().run_validation(data)


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


class PortalApiMixin:
    """Every API view: authenticated, role-checked, the one error contract."""

    permission_classes = [RolePermission]
    required_actions: dict[str, str] = {}


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
