"""Concurrent writers on PostgreSQL (real threads; SQLite would just serialize them)."""

import threading

import pytest
from django.db import connection

from governance import audit
from registry import services
from registry.models import ModelVersion, RegisteredModel
from tests.conftest import requires_postgres

THREADS = 20


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_version_creation_numbers_consecutively_and_keeps_the_chain(make_user):
    author = make_user("data_scientist", username="racer")
    model = services.model_create(actor=author, name="contended")
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def create_one() -> None:
        try:
            barrier.wait(timeout=30)
            fresh = RegisteredModel.objects.get(pk=model.pk)
            services.model_version_create(actor=author, model=fresh)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=create_one) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    numbers = sorted(ModelVersion.objects.filter(model=model).values_list("version", flat=True))
    assert numbers == list(range(1, THREADS + 1))
    model.refresh_from_db()
    assert model.version_count == THREADS  # the list pages' figure, kept under the same lock
    report = audit.verify()
    assert report.intact, report.problem
    assert report.checked == THREADS + 1  # the model's creation, then one per version
