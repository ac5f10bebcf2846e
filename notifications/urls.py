from django.urls import path

from notifications import views

urlpatterns = [
    path("notifications/", views.inbox, name="notification-inbox"),
    path("notifications/read/", views.inbox_read, name="notification-read"),
    path("notifications/subscriptions/", views.subscription_settings, name="subscription-settings"),
    path(
        "notifications/subscriptions/<int:pk>/delete/",
        views.subscription_delete,
        name="subscription-delete",
    ),
    path("notifications/channels/", views.channel_list, name="channel-list"),
    path("notifications/channels/<int:pk>/", views.channel_detail, name="channel-detail"),
    path("notifications/channels/<int:pk>/test/", views.channel_test, name="channel-test"),
    path("notifications/channels/<int:pk>/delete/", views.channel_delete, name="channel-delete"),
    path(
        "notifications/channels/<int:pk>/subscriptions/",
        views.channel_subscription_set,
        name="channel-subscription-set",
    ),
    path("notifications/deliveries/", views.delivery_list, name="delivery-list"),
    path("notifications/allowlist/", views.allowlist, name="outbound-allowlist"),
    path(
        "notifications/allowlist/<int:pk>/delete/",
        views.allowlist_delete,
        name="outbound-allowlist-delete",
    ),
]
