from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        # Register the delivery tasks in every process (web, worker, beat), so dispatch can look
        # them up by name.
        from notifications import tasks  # noqa: F401
