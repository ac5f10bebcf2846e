from django.urls import path

from monitoring.alerts import views

urlpatterns = [
    path("alerts/", views.alert_list, name="alert-list"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert-detail"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert-acknowledge"),
    path("alerts/<int:pk>/resolve/", views.alert_resolve, name="alert-resolve"),
    path("alerts/<int:pk>/silence/", views.alert_silence, name="alert-silence"),
    path("silences/<int:pk>/expire/", views.silence_expire, name="silence-expire-page"),
    path("monitors/<int:pk>/alert-rules/", views.monitor_alert_rules, name="monitor-alert-rules"),
    path("alert-rules/<int:pk>/edit/", views.alert_rule_edit, name="alert-rule-edit"),
    path("alert-rules/<int:pk>/delete/", views.alert_rule_delete, name="alert-rule-delete"),
]
