from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from mlops_portal import health, views

api_v1 = [
    path("", include("registry.api.urls")),
    path("", include("governance.api.urls")),
    path("", include("monitoring.api.urls")),
    path("", include("notifications.api.urls")),
]

urlpatterns = [
    # First: the API is called far more often than pages are opened, and Django tries the
    # patterns in order (a page request skips this include on its prefix alone).
    path("api/v1/", include((api_v1, "api"))),
    path("", views.overview, name="overview"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("registry.urls")),
    path("", include("governance.urls")),
    path("", include("monitoring.urls")),
    path("", include("notifications.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's setup as a script file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

handler403 = "mlops_portal.views.error_403"
handler404 = "mlops_portal.views.error_404"
handler500 = "mlops_portal.health.error_500"  # a database outage is a 503
