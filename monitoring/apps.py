from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self) -> None:
        # Dispatch looks tasks up by name in the Celery app: register them in every process
        # (web and beat too, not only the worker that autodiscovers them).
        from monitoring import tasks  # noqa: F401
