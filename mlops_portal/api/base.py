"""Shared API building blocks: strict input serializers and the role check every API view uses."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.permissions import BasePermission

from governance.roles import may


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of quietly turning them to text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictInputSerializer(serializers.Serializer):
    """Input serializers reject fields they do not know, naming them."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({unknown[0]: ["Unknown field."]})
        return super().to_internal_value(data)


class JSONObjectField(serializers.JSONField):
    """A JSON field that must be an object (dict)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return value


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
