"""Registry API: what a client sends, what it gets back, and what (if anything) is written."""

import pytest

from governance.audit import AuditEvent
from registry import services
from registry.models import DatasetVersion, ModelVersion, RegisteredModel
from tests.factories import GroupFactory


@pytest.fixture
def team(data_scientist):
    group = GroupFactory(name="team-fraud")
    data_scientist.groups.add(group)
    return group


@pytest.fixture
def model(data_scientist, team):
    return services.model_create(actor=data_scientist, name="fraud", owner_group=team)


def _counts():
    return (
        RegisteredModel.objects.count(),
        ModelVersion.objects.count(),
        DatasetVersion.objects.count(),
        AuditEvent.objects.count(),
    )


def assert_refused(response, status: int, field: str | None, before: tuple):
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == {"error"}
    assert body["error"]["field"] == field
    assert body["error"]["message"]
    assert _counts() == before, "a refused request must write nothing, audit included"


def test_register_model_then_version_with_lineage(api_as, data_scientist, team):
    api = api_as(data_scientist)
    response = api.post(
        "/api/v1/models/",
        {"name": "credit", "owner_group": "team-fraud", "risk_tier": "high", "tags": ["loans"]},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["owner_group"] == "team-fraud"
    dataset = api.post(
        "/api/v1/datasets/",
        {"name": "loans", "version": "2026-01", "row_count": 10, "schema": []},
        format="json",
    ).json()
    version = api.post(
        "/api/v1/versions/",
        {
            "model": "credit",
            "artifact_uri": "s3://m/credit/1",
            "metrics": {"auc": 0.91},
            "signature": {"inputs": [{"name": "income", "type": "float"}]},
            "trained_on": [dataset["id"]],
        },
        format="json",
    )
    assert version.status_code == 201, version.json()
    body = version.json()
    assert (body["version"], body["stage"], body["trained_on"][0]["name"]) == (1, "None", "loans")
    lineage = api.get(f"/api/v1/versions/{body['id']}/lineage/").json()
    assert {"source": f"dataset:{dataset['id']}", "target": f"version:{body['id']}",
            "relation": "trained_on", "source_label": "loans@2026-01",
            "target_label": "credit v1"} in lineage["edges"]  # fmt: skip


def test_version_numbers_follow_each_other(api_as, data_scientist, model):
    api = api_as(data_scientist)
    numbers = [
        api.post("/api/v1/versions/", {"model": "fraud"}, format="json").json()["version"]
        for _ in range(3)
    ]
    assert numbers == [1, 2, 3]


def test_list_filters_search_order_and_paginate(api_as, data_scientist, team):
    for name, tags in (("alpha", ["x"]), ("beta", ["y"]), ("gamma", ["x"])):
        services.model_create(actor=data_scientist, name=name, tags=tags, owner_group=team)
    api = api_as(data_scientist)
    assert [m["name"] for m in api.get("/api/v1/models/?tag=x").json()["results"]] == [
        "alpha",
        "gamma",
    ]
    assert [m["name"] for m in api.get("/api/v1/models/?search=bet").json()["results"]] == ["beta"]
    ordered = api.get("/api/v1/models/?ordering=-name&page_size=2").json()
    assert ordered["count"] == 3 and [m["name"] for m in ordered["results"]] == ["gamma", "beta"]
    assert ordered["next"]


def test_model_pages_count_every_match(api_as, data_scientist, team):
    for index in range(7):
        model = services.model_create(
            actor=data_scientist, name=f"m-{index}", description="churn" if index % 2 else ""
        )
        if index < 3:  # three models, two versions each: the stage filter needs DISTINCT
            for _ in range(2):
                services.model_version_create(actor=data_scientist, model=model)
    api = api_as(data_scientist)

    def names(body):
        return [row["name"] for row in body["results"]]

    first = api.get("/api/v1/models/?page_size=3").json()
    assert (first["count"], names(first)) == (7, ["m-0", "m-1", "m-2"])
    last = api.get("/api/v1/models/?page_size=3&page=3").json()
    assert (last["count"], names(last), last["next"]) == (7, ["m-6"], None)
    searched = api.get("/api/v1/models/?search=churn&page_size=2&page=2").json()
    assert (searched["count"], names(searched)) == (3, ["m-5"])
    staged = api.get("/api/v1/models/?stage=None&page_size=2").json()
    assert (staged["count"], names(staged)) == (3, ["m-0", "m-1"])
    assert api.get("/api/v1/models/?search=nothing-like-it").json() == {
        "count": 0, "next": None, "previous": None, "results": []
    }  # fmt: skip
    beyond = api.get("/api/v1/models/?page_size=3&page=4")
    assert beyond.status_code == 404 and beyond.json()["error"]["code"] == "not_found"


def test_duplicate_model_name_is_refused(api_as, data_scientist, model):
    before = _counts()
    response = api_as(data_scientist).post("/api/v1/models/", {"name": "fraud"}, format="json")
    assert_refused(response, 409, "name", before)
    assert "already exists" in response.json()["error"]["message"]


def test_unknown_field_is_refused_by_name(api_as, data_scientist):
    before = _counts()
    response = api_as(data_scientist).post(
        "/api/v1/models/", {"name": "ok", "colour": "blue"}, format="json"
    )
    assert_refused(response, 400, "colour", before)


def test_malformed_json_is_refused(api_as, data_scientist):
    before = _counts()
    response = api_as(data_scientist).post(
        "/api/v1/models/", '{"name": "x"', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert _counts() == before


def test_non_json_content_type_is_refused(api_as, data_scientist):
    response = api_as(data_scientist).post("/api/v1/models/", "name=x", content_type="text/plain")
    assert response.status_code == 415


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": 123}, "name"),
        ({"name": "ok", "tags": "not-a-list"}, "tags"),
        ({"name": "ok", "risk_tier": "extreme"}, "risk_tier"),
        ({"name": "has spaces"}, "name"),
        ({"name": "ok", "owner_group": 7}, "owner_group"),
        ({"name": "ok", "owner_group": ["team-fraud"]}, "owner_group"),
    ],
)
def test_wrong_types_are_refused_by_field(api_as, data_scientist, payload, field):
    before = _counts()
    assert_refused(
        api_as(data_scientist).post("/api/v1/models/", payload, format="json"), 400, field, before
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"model": "fraud", "metrics": {"auc": "high"}}, "metrics.auc"),
        ({"model": "fraud", "signature": {"inputs": [{"name": "a", "type": "blob"}]}},
         "signature.inputs.0.type"),
        ({"model": "fraud", "signature": {"inputs": [{"name": "a"}]}}, "signature.inputs.0.type"),
        ({"model": "fraud", "signature": {"inputs": [{"name": "  ", "type": "float"}]}},
         "signature.inputs.0.name"),
        ({"model": "fraud", "signature": {"inputs": [{"name": "a" * 201, "type": "float"}]}},
         "signature.inputs.0.name"),
        ({"model": "fraud", "signature": {"inputs": [{"name": "a\x00", "type": "float"}]}},
         "signature.inputs.0.name"),
        ({"model": "fraud", "signature": {"outputs": [{"name": "s", "type": "float", "x": 1}]}},
         "signature.outputs.0.x"),
        ({"model": "fraud", "signature": {"inputs": [
            {"name": "a", "type": "float"}, {"name": " a ", "type": "integer"}]}},
         "signature.inputs.1.name"),
        ({"model": "fraud", "signature": {"inputs": "a,b"}}, "signature.inputs"),
        ({"model": "fraud", "signature": {"features": []}}, "signature.features"),
        ({"model": "fraud", "signature": ["a"]}, "signature"),
        ({"model": "fraud", "artifact_sha256": "xyz"}, "artifact_sha256"),
        ({"model": 12}, "model"),
        ({"model": {"name": "fraud"}}, "model"),
        ({"model": ""}, "model"),
    ],
)  # fmt: skip
def test_bad_version_input_is_refused_by_field(api_as, data_scientist, model, payload, field):
    before = _counts()
    response = api_as(data_scientist).post("/api/v1/versions/", payload, format="json")
    assert_refused(response, 400, field, before)


def test_signature_names_and_descriptions_are_stored_trimmed(api_as, data_scientist, model):
    signature = {
        "inputs": [{"name": " income ", "type": "float", "description": " per year "}],
        "outputs": [{"name": "score", "type": "float"}],
    }
    body = {"model": "fraud", "signature": signature}
    created = api_as(data_scientist).post("/api/v1/versions/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["signature"]["inputs"] == [{"name": "income", "type": "float"}]
    stored = ModelVersion.objects.get(pk=created.json()["id"]).signature
    assert stored["inputs"] == [{"name": "income", "type": "float", "description": "per year"}]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"model": "no-such-model"}, "model"),
        ({"model": "fraud", "trained_on": [9999]}, "trained_on"),
    ],
)
def test_references_to_missing_objects_are_404_naming_the_field(
    api_as, data_scientist, model, payload, field
):
    before = _counts()
    response = api_as(data_scientist).post("/api/v1/versions/", payload, format="json")
    assert_refused(response, 404, field, before)


def test_lineage_cycle_is_refused(api_as, data_scientist, model):
    api = api_as(data_scientist)
    first = api.post("/api/v1/versions/", {"model": "fraud"}, format="json").json()
    second = api.post(
        "/api/v1/versions/", {"model": "fraud", "parent": first["id"]}, format="json"
    ).json()
    before = _counts()
    response = api.patch(
        f"/api/v1/versions/{first['id']}/", {"parent": second["id"]}, format="json"
    )
    assert_refused(response, 400, "parent", before)


def test_dataset_lineage_cycle_is_refused(api_as, data_scientist):
    api = api_as(data_scientist)
    raw = api.post("/api/v1/datasets/", {"name": "raw", "version": "1"}, format="json").json()
    clean = api.post(
        "/api/v1/datasets/", {"name": "clean", "version": "1", "derived_from": [raw["id"]]},
        format="json",
    ).json()  # fmt: skip
    before = _counts()
    response = api.patch(
        f"/api/v1/datasets/{raw['id']}/", {"derived_from": [clean["id"]]}, format="json"
    )
    assert_refused(response, 400, "derived_from", before)


def test_invalid_stage_is_refused(api_as, admin_user, data_scientist, model):
    version = services.model_version_create(actor=data_scientist, model=model)
    before = _counts()
    response = api_as(admin_user).post(
        f"/api/v1/versions/{version.pk}/stage/", {"stage": "Live"}, format="json"
    )
    assert_refused(response, 400, "stage", before)


def test_non_admin_stage_change_is_refused(api_as, data_scientist, model):
    version = services.model_version_create(actor=data_scientist, model=model)
    before = _counts()
    response = api_as(data_scientist).post(
        f"/api/v1/versions/{version.pk}/stage/", {"stage": "Production"}, format="json"
    )
    assert_refused(response, 403, None, before)
    version.refresh_from_db()
    assert version.stage == "None"


def test_second_production_version_is_refused_unless_archiving(
    api_as, admin_user, data_scientist, model
):
    first = services.model_version_create(actor=data_scientist, model=model)
    second = services.model_version_create(actor=data_scientist, model=model)
    api = api_as(admin_user)
    assert (
        api.post(f"/api/v1/versions/{first.pk}/stage/", {"stage": "Production"}).status_code == 200
    )
    before = _counts()
    refused = api.post(f"/api/v1/versions/{second.pk}/stage/", {"stage": "Production"})
    assert_refused(refused, 409, "stage", before)
    assert "v1" in refused.json()["error"]["message"]

    promoted = api.post(
        f"/api/v1/versions/{second.pk}/stage/",
        {"stage": "Production", "archive_existing": True},
        format="json",
    )
    assert promoted.json()["stage"] == "Production"
    first.refresh_from_db()
    assert first.stage == "Archived"


def test_database_allows_only_one_production_version(data_scientist, model):
    from django.db import IntegrityError, transaction

    first = services.model_version_create(actor=data_scientist, model=model)
    second = services.model_version_create(actor=data_scientist, model=model)
    ModelVersion.objects.filter(pk=first.pk).update(stage="Production")
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=second.pk).update(stage="Production")


def test_data_scientist_cannot_edit_another_teams_model(api_as, make_user, model):
    outsider = make_user("data_scientist", username="outsider")
    before = _counts()
    response = api_as(outsider).patch(
        "/api/v1/models/fraud/", {"description": "mine now"}, format="json"
    )
    assert_refused(response, 403, None, before)
    response = api_as(outsider).post("/api/v1/versions/", {"model": "fraud"}, format="json")
    assert_refused(response, 403, None, before)


def test_missing_objects_are_404_in_the_error_contract(api_as, viewer):
    api = api_as(viewer)
    for url in ("/api/v1/models/nope/", "/api/v1/versions/999/", "/api/v1/datasets/999/"):
        response = api.get(url)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_a_missing_version_is_404_naming_the_id_even_beyond_the_id_range(api_as, viewer):
    api = api_as(viewer)
    for number in ("999", "99999999999999999999999"):
        response = api.get(f"/api/v1/versions/{number}/")
        assert response.status_code == 404
        assert response.json()["error"] == {
            "code": "not_found",
            "message": f"id: no model version {number}.",
            "field": "id",
        }


def test_token_auth_and_token_lifecycle(client, viewer):
    from rest_framework.test import APIClient

    client.force_login(viewer)
    created = client.post("/api/v1/auth/tokens/")
    assert created.status_code == 201
    token = created.json()["token"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").json()["roles"] == ["viewer"]
    key = created.json()["token_key"]
    assert api.delete(f"/api/v1/auth/tokens/{key}/").status_code == 204
    assert api.get("/api/v1/me/").status_code == 401


def test_tokens_are_stored_hashed(client, viewer):
    from knox.models import AuthToken

    client.force_login(viewer)
    token = client.post("/api/v1/auth/tokens/").json()["token"]
    stored = AuthToken.objects.get(user=viewer)
    assert token not in (stored.digest, stored.token_key)
    assert len(stored.digest) == 128


def test_an_expired_token_is_refused_and_shown_as_expired(client, viewer):
    from datetime import timedelta

    from django.utils import timezone
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    client.force_login(viewer)
    old = client.post("/api/v1/auth/tokens/").json()
    fresh = client.post("/api/v1/auth/tokens/").json()
    AuthToken.objects.filter(token_key=old["token_key"]).update(
        expiry=timezone.now() - timedelta(days=1)
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {old['token']}")
    assert api.get("/api/v1/me/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {fresh['token']}")
    assert api.get("/api/v1/me/").status_code == 200
    # Nothing is deleted behind the owner's back: the expired token stays listed until revoked.
    tokens = api.get("/api/v1/auth/tokens/").json()["results"]
    listed = {token["token_key"]: token["expired"] for token in tokens}
    assert listed == {old["token_key"]: True, fresh["token_key"]: False}
    page = client.get("/accounts/profile/").content.decode()
    assert page.count(">expired</span>") == 1


def test_a_token_check_costs_two_queries_and_ownership_through_a_team_holds(
    django_assert_num_queries, make_user, data_scientist, viewer, team, model
):
    from rest_framework.test import APIClient

    from governance.services import api_token_create

    def client_for(user):
        _instance, token = api_token_create(user=user, actor=user)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return api

    teammate = make_user("data_scientist", username="tess")
    teammate.groups.add(team)
    outsider = make_user("data_scientist", username="otto")
    scientist, colleague = client_for(data_scientist), client_for(teammate)
    stranger, reader = client_for(outsider), client_for(viewer)
    with django_assert_num_queries(2):  # the token with its user, then the user's groups
        assert scientist.get("/api/v1/me/").json()["roles"] == ["data_scientist"]
    created = colleague.post("/api/v1/versions/", {"model": "fraud"}, format="json")
    assert created.status_code == 201
    assert stranger.post("/api/v1/versions/", {"model": "fraud"}, format="json").status_code == 403
    assert reader.post("/api/v1/versions/", {"model": "fraud"}, format="json").status_code == 403
    assert reader.get("/api/v1/models/fraud/").json()["version_count"] == 1
