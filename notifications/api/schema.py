"""OpenAPI helpers for the notifications API."""

from __future__ import annotations

from drf_spectacular.serializers import PolymorphicProxySerializerExtension
from drf_spectacular.utils import PolymorphicProxySerializer


class RequiredOneOf(PolymorphicProxySerializer):
    """A request body that is one of ``serializers``, each of which requires ``required``:
    documented as ``oneOf`` with those properties required (so the body itself is required)."""

    def __init__(self, *, component_name: str, serializers, required: list[str]):
        super().__init__(
            component_name=component_name, serializers=serializers, resource_type_field_name=None
        )
        self.required_properties = list(required)


class RequiredOneOfExtension(PolymorphicProxySerializerExtension):
    target_class = "notifications.api.schema.RequiredOneOf"
    priority = 0  # above drf-spectacular's own extension for its parent class

    def map_serializer(self, auto_schema, direction):
        schema = super().map_serializer(auto_schema, direction)
        return {**schema, "required": self.target.required_properties}
