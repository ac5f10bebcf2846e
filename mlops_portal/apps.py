from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "mlops_portal"
    verbose_name = "MLOps Portal"

    def ready(self) -> None:
        from pathlib import Path

        from django.conf import settings

        from mlops_portal.celery import ensure_broker_dirs

        # The embedded default keeps everything under var/: make sure its folders exist.
        for folder in (settings.VAR_DIR, settings.DATA_ROOT, settings.STATIC_ROOT):
            Path(folder).mkdir(parents=True, exist_ok=True)
        ensure_broker_dirs()
