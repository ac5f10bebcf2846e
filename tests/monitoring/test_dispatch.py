"""Dispatch: tasks named once, queued after commit, a lost broker logged with what becomes of
the work, anything else raised."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

from mlops_portal.celery import app
from monitoring import tasks
from monitoring.dispatch import TaskName, send_on_commit


def test_every_task_name_is_a_registered_task():
    for name in TaskName:
        assert app.tasks[name].name == name.value
    assert (
        tasks.drift_run_execute.name == TaskName.DRIFT_RUN_EXECUTE == "monitoring.drift_run_execute"
    )


def test_a_name_with_no_task_fails_in_the_caller():
    with pytest.raises(KeyError):
        send_on_commit("monitoring.drift_run_exceute", 1, if_lost="-")


class _Task:
    def __init__(self, error):
        self.error = error

    def delay(self, *args):
        raise self.error


@pytest.mark.django_db
@pytest.mark.parametrize("error", [BrokerUnavailable("refused"), FileNotFoundError("queue dir")])
def test_a_broker_that_cannot_be_reached_is_logged_with_what_becomes_of_the_work(
    error, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    monkeypatch.setitem(app.tasks, TaskName.PERFORMANCE_REFRESH.value, _Task(error))
    with (
        caplog.at_level(logging.ERROR, logger="monitoring"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        send_on_commit(TaskName.PERFORMANCE_REFRESH, 7, if_lost="lost for good")
    assert "could not queue monitoring.performance_refresh(7,): lost for good" in caplog.text


@pytest.mark.django_db
def test_any_other_error_is_a_bug_and_is_raised(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setitem(app.tasks, TaskName.PERFORMANCE_REFRESH.value, _Task(TypeError("bad")))
    with pytest.raises(TypeError), django_capture_on_commit_callbacks(execute=True):
        send_on_commit(TaskName.PERFORMANCE_REFRESH, 7, if_lost="-")


@pytest.mark.django_db(transaction=True)
def test_nothing_is_queued_when_the_transaction_rolls_back(monkeypatch):
    sent = []
    monkeypatch.setattr(
        app.tasks[TaskName.PERFORMANCE_REFRESH], "delay", lambda *args: sent.append(args)
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        send_on_commit(TaskName.PERFORMANCE_REFRESH, 7, if_lost="-")
        raise RuntimeError("the write failed")
    assert sent == []
    send_on_commit(TaskName.PERFORMANCE_REFRESH, 8, if_lost="-")  # no transaction: at once
    assert sent == [(8,)]
