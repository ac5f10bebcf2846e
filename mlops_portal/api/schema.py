"""OpenAPI post-processing: document the one error contract on every operation."""

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "field"],
            "properties": {
                "code": {"type": "string", "example": "invalid"},
                "message": {"type": "string", "example": "name: This field is required."},
                "field": {"type": "string", "nullable": True, "example": "name"},
                "details": {"description": "Every field's errors, for validation failures."},
            },
        }
    },
}

COMMON_ERRORS = {
    "400": "Bad input: the message names the field and the problem.",
    "401": "Not authenticated.",
    "403": "Your role does not allow this.",
    "404": "Not found.",
}
WRITE_ERRORS = {
    "409": "Conflicts with the current state (duplicate, one Production version, ...).",
    "413": "Upload too large.",
    "415": "Unsupported content type.",
}


NO_NUL_PATTERN = "^[^\\u0000]*$"
# Required text is trimmed of surrounding whitespace first, so it needs one visible character.
NOT_BLANK_PATTERN = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"


def _forbid_nul(schema: dict) -> None:
    """Text fields refuse NUL characters (PostgreSQL cannot store them): say so in the schema."""
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not ({"pattern", "enum", "format"} & set(schema)):
        schema["pattern"] = NOT_BLANK_PATTERN if schema.get("minLength") else NO_NUL_PATTERN
    for child in schema.get("properties", {}).values():
        _forbid_nul(child)
    _forbid_nul(schema.get("items"))


def add_error_responses(result, generator, request, public):
    """Every operation documents the error contract; request bodies refuse unknown fields."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for name, component in schemas.items():
        # Request components come from StrictInputSerializer, which rejects unknown fields.
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
            _forbid_nul(component)
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            errors = dict(COMMON_ERRORS)
            if method in {"post", "put", "patch", "delete"}:
                errors |= WRITE_ERRORS
            for parameter in operation.get("parameters", []):
                _forbid_nul(parameter.get("schema"))
            responses = operation.setdefault("responses", {})
            for code, description in errors.items():
                responses.setdefault(code, {"description": description, "content": reference})
    return result
