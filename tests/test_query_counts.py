"""List pages and list endpoints: the number of queries does not grow with the rows shown."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import services
from registry.models import RegisteredModel
from tests.factories import DatasetVersionFactory, GroupFactory, ModelVersionFactory

PAGES = ["/", "/models/", "/models/m-0000/", "/datasets/", "/audit/"]
ENDPOINTS = [
    "/api/v1/models/?page_size=500",
    "/api/v1/versions/?page_size=500",
    "/api/v1/datasets/?page_size=500",
    "/api/v1/audit/events/?page_size=500",
]


def _fleet(n: int, actor) -> None:
    team = GroupFactory(name="team-q")
    raw = DatasetVersionFactory(name="raw")
    model = services.model_create(actor=actor, name="m-0000", owner_group=team, tags=["a", "b"])
    for i in range(1, n):
        services.model_create(actor=actor, name=f"m-{i:04d}", owner_group=team, tags=["a"])
    for i in range(n):
        ModelVersionFactory(model=model, version=i + 1, metrics={"auc": 0.5 + i / 1000})
        dataset = DatasetVersionFactory()
        dataset.derived_from.add(raw)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize("url", PAGES + ENDPOINTS)
def test_query_count_is_flat_from_5_to_200_rows(url, admin_user, client, db):
    client.force_login(admin_user)
    _fleet(5, admin_user)
    small = _queries(client, url)
    # Grow every list to 200 rows (and the audit log with them) and ask again: same count.
    first = RegisteredModel.objects.get(name="m-0000")
    for i in range(5, 200):
        services.model_create(actor=admin_user, name=f"m-{i:04d}", tags=["a"])
        ModelVersionFactory(model=first, version=i + 1)
        DatasetVersionFactory()
    large = _queries(client, url)
    assert large == small, f"{url}: {small} queries with 5 rows, {large} with 200"


def test_list_endpoint_stays_under_a_fixed_budget(
    admin_user, client, db, django_assert_max_num_queries
):
    client.force_login(admin_user)
    _fleet(50, admin_user)
    with django_assert_max_num_queries(12):
        listed = client.get("/api/v1/versions/?page_size=500")
    assert listed.status_code == 200 and len(listed.json()["results"]) == 50
    with django_assert_max_num_queries(12):
        page = client.get("/models/")
    assert page.status_code == 200 and page.content.decode().count('href="/models/m-') == 50
