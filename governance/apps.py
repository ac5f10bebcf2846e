from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"

    def ready(self) -> None:
        from django.contrib.auth import signals

        from governance import audit

        signals.user_logged_in.connect(audit.on_user_logged_in, dispatch_uid="audit-login")
        signals.user_logged_out.connect(audit.on_user_logged_out, dispatch_uid="audit-logout")
        signals.user_login_failed.connect(
            audit.on_user_login_failed, dispatch_uid="audit-login-failed"
        )
