from django.urls import path

from governance import views

urlpatterns = [
    path("audit/", views.audit_log, name="audit-log"),
    path("audit/verify/", views.audit_verify, name="audit-verify"),
    path(
        "audit/history/<str:target_type>/<str:target_id>/",
        views.object_history,
        name="object-history",
    ),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/profile/tokens/", views.token_create, name="token-create"),
    path(
        "accounts/profile/tokens/<str:token_key>/revoke/", views.token_revoke, name="token-revoke"
    ),
]
