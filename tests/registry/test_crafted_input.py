"""Crafted input that once broke the API (500s, unbounded text, role groups as owners) now gets a
4xx naming the field, with nothing written."""

import pytest

from tests.registry.test_api import _counts, assert_refused, model, team  # noqa: F401


def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize("url", ["/api/v1/models/", "/api/v1/versions/"])
@pytest.mark.parametrize("depth", [33, 100_000])
def test_deeply_nested_json_is_refused(api_as, data_scientist, url, depth):
    before = _counts()
    response = api_as(data_scientist).generic(
        "POST", url, _nested(depth), content_type="application/json"
    )
    assert_refused(response, 400, "body", before)
    assert "nested more than 32 levels" in response.json()["error"]["message"]


def test_an_integer_metric_beyond_a_double_is_refused_by_the_service(data_scientist, model):  # noqa: F811
    from mlops_portal.errors import ValidationFailed
    from registry import services

    with pytest.raises(ValidationFailed) as refused:
        services.model_version_create(actor=data_scientist, model=model, metrics={"auc": 10**400})
    assert refused.value.field == "metrics.auc"
    with pytest.raises(ValidationFailed) as refused:
        services.model_version_create(actor=data_scientist, model=model, params={"seed": 10**400})
    assert refused.value.field == "params.seed"


def test_moderately_nested_params_are_accepted(api_as, data_scientist, model):  # noqa: F811
    response = api_as(data_scientist).post(
        "/api/v1/versions/", {"model": "fraud", "params": {"grid": "a"}}, format="json"
    )
    assert response.status_code == 201


def test_a_body_over_the_json_limit_is_a_json_413(api_as, data_scientist, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = _counts()
    response = api_as(data_scientist).post(
        "/api/v1/models/", {"name": "big", "description": "x" * 2000}, format="json"
    )
    assert_refused(response, 413, "body", before)
    assert "1,000 bytes" in response.json()["error"]["message"]


@pytest.mark.parametrize("part", ["metrics", "params"])
def test_a_401_digit_integer_is_refused(api_as, data_scientist, model, part):  # noqa: F811
    before = _counts()
    body = '{"model": "fraud", "%s": {"x": %s}}' % (part, "9" * 401)  # noqa: UP031
    response = api_as(data_scientist).generic(
        "POST", "/api/v1/versions/", body, content_type="application/json"
    )
    assert_refused(response, 400, "body", before)
    assert "number is infinity" in response.json()["error"]["message"]


def test_a_column_both_input_and_output_is_refused(api_as, data_scientist, model):  # noqa: F811
    before = _counts()
    signature = {
        "inputs": [{"name": "amount", "type": "float"}, {"name": "score", "type": "float"}],
        "outputs": [{"name": "score", "type": "float"}],
    }
    response = api_as(data_scientist).post(
        "/api/v1/versions/", {"model": "fraud", "signature": signature}, format="json"
    )
    assert_refused(response, 400, "signature.outputs.0.name", before)


def test_a_signature_over_the_column_limit_is_refused(api_as, data_scientist, model):  # noqa: F811
    before = _counts()
    inputs = [{"name": f"c{i}", "type": "float"} for i in range(2001)]
    response = api_as(data_scientist).post(
        "/api/v1/versions/", {"model": "fraud", "signature": {"inputs": inputs}}, format="json"
    )
    assert_refused(response, 400, "signature.inputs", before)


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        ("/api/v1/models/", {"name": "m1", "description": "x" * 20_001}, "description"),
        (
            "/api/v1/datasets/",
            {"name": "d", "version": "1", "description": "x" * 20_001},
            "description",
        ),
    ],
)
def test_descriptions_are_bounded(api_as, data_scientist, url, payload, field):
    before = _counts()
    assert_refused(api_as(data_scientist).post(url, payload, format="json"), 400, field, before)


def test_a_long_version_description_is_refused(api_as, data_scientist, model):  # noqa: F811
    before = _counts()
    response = api_as(data_scientist).post(
        "/api/v1/versions/", {"model": "fraud", "description": "x" * 20_001}, format="json"
    )
    assert_refused(response, 400, "description", before)


def test_a_role_group_cannot_own_a_model(api_as, data_scientist, model):  # noqa: F811
    before = _counts()
    api = api_as(data_scientist)
    created = api.post(
        "/api/v1/models/", {"name": "open", "owner_group": "data_scientist"}, format="json"
    )
    assert_refused(created, 400, "owner_group", before)
    assert "role" in created.json()["error"]["message"]
    changed = api.patch("/api/v1/models/fraud/", {"owner_group": "viewer"}, format="json")
    assert_refused(changed, 400, "owner_group", before)


def test_a_role_group_cannot_own_a_dataset(api_as, data_scientist):
    before = _counts()
    response = api_as(data_scientist).post(
        "/api/v1/datasets/", {"name": "d", "version": "1", "owner_group": "admin"}, format="json"
    )
    assert_refused(response, 400, "owner_group", before)


def test_a_numeric_id_sent_as_a_string_is_refused(api_as, data_scientist, model):  # noqa: F811
    parent = api_as(data_scientist).post("/api/v1/versions/", {"model": "fraud"}, format="json")
    before = _counts()
    response = api_as(data_scientist).post(
        "/api/v1/versions/", {"model": "fraud", "parent": str(parent.json()["id"])}, format="json"
    )
    assert_refused(response, 400, "parent", before)
    dataset = api_as(data_scientist).post(
        "/api/v1/datasets/", {"name": "d", "version": "1"}, format="json"
    )
    before = _counts()
    response = api_as(data_scientist).post(
        "/api/v1/versions/",
        {"model": "fraud", "trained_on": [str(dataset.json()["id"])]},
        format="json",
    )
    assert_refused(response, 400, "trained_on", before)
