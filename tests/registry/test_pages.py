"""Registry pages as a person uses them: search, filter, drill down, change a stage."""

import pytest

from registry import services
from tests.factories import GroupFactory


@pytest.fixture
def fleet(data_scientist, admin_user):
    team = GroupFactory(name="team-pages")
    data_scientist.groups.add(team)
    churn = services.model_create(
        actor=data_scientist, name="churn", owner_group=team, tags=["customer"], risk_tier="high"
    )
    services.model_create(actor=data_scientist, name="demand", task_type="regression")
    raw = services.dataset_version_create(actor=data_scientist, name="events", version="1")
    v1 = services.model_version_create(
        actor=data_scientist,
        model=churn,
        metrics={"auc": 0.8123},
        signature={"inputs": [{"name": "tenure", "type": "integer"}]},
        trained_on=[raw],
    )
    services.model_version_stage_set(actor=admin_user, version=v1, stage="Production")
    return {"churn": churn, "v1": v1, "raw": raw}


def test_model_list_searches_and_filters(client, viewer, fleet):
    client.force_login(viewer)
    page = client.get("/models/?search=chu").content.decode()
    assert "churn" in page and "demand" not in page
    page = client.get("/models/?task_type=regression").content.decode()
    assert "demand" in page and ">churn<" not in page
    page = client.get("/models/?stage=Production").content.decode()
    assert "churn" in page and "demand" not in page


def test_viewer_sees_no_register_button_data_scientist_does(client, viewer, data_scientist, fleet):
    client.force_login(viewer)
    assert "Register model" not in client.get("/models/").content.decode()
    client.force_login(data_scientist)
    assert "Register model" in client.get("/models/").content.decode()


def test_register_model_through_the_form(client, data_scientist):
    client.force_login(data_scientist)
    response = client.post(
        "/models/new/", {"name": "risk-score", "task_type": "classification",
                         "risk_tier": "high", "tags": "credit, regulated"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/models/risk-score/"
    page = client.get("/models/risk-score/").content.decode()
    assert "credit" in page and "regulated" in page


def test_register_form_shows_a_duplicate_name_on_the_field(client, data_scientist, fleet):
    client.force_login(data_scientist)
    page = client.post("/models/new/", {"name": "churn", "task_type": "classification",
                                        "risk_tier": "low"}).content.decode()  # fmt: skip
    assert "already exists" in page


def test_version_page_shows_signature_metrics_and_lineage(client, viewer, fleet):
    client.force_login(viewer)
    page = client.get("/models/churn/versions/1/").content.decode()
    assert "tenure" in page and "0.8123" in page
    assert "lineage-figure" in page and "events@1" in page
    assert "vendor/plotly/plotly.min.js" in page
    assert "Change stage" not in page  # only admins may


def test_admin_changes_a_stage_from_the_version_page(client, admin_user, data_scientist, fleet):
    v2 = services.model_version_create(actor=data_scientist, model=fleet["churn"])
    client.force_login(admin_user)
    assert "Change stage" in client.get("/models/churn/versions/2/").content.decode()
    refused = client.post("/models/churn/versions/2/stage/", {"stage": "Production"}, follow=True)
    assert "already has a Production version" in refused.content.decode()
    client.post(
        "/models/churn/versions/2/stage/", {"stage": "Production", "archive_existing": "on"}
    )
    v2.refresh_from_db()
    fleet["v1"].refresh_from_db()
    assert (v2.stage, fleet["v1"].stage) == ("Production", "Archived")


def test_object_history_lists_the_models_events(client, approver, fleet):
    client.force_login(approver)
    page = client.get(f"/audit/history/registry.registeredmodel/{fleet['churn'].pk}/")
    assert "registry.model.created" in page.content.decode()


def test_audit_log_filters_and_exports_csv(client, approver, fleet):
    client.force_login(approver)
    page = client.get("/audit/?action=registry.model_version").content.decode()
    assert "registry.model_version.stage_changed" in page
    assert "registry.model.created" not in page
    export = client.get("/audit/?export=csv")
    rows = b"".join(export.streaming_content).decode().splitlines()
    assert rows[0].startswith("sequence,occurred_at,actor_username,action")
    assert len(rows) > 3


def test_profile_shows_a_new_token_once(client, viewer):
    client.force_login(viewer)
    client.post("/accounts/profile/tokens/")
    first = client.get("/accounts/profile/").content.decode()
    assert 'id="new-token"' in first
    assert 'id="new-token"' not in client.get("/accounts/profile/").content.decode()


def test_unknown_pages_render_the_error_page(client, viewer):
    client.force_login(viewer)
    response = client.get("/models/no-such-model/")
    assert response.status_code == 404
    assert "no model named" in response.content.decode()
