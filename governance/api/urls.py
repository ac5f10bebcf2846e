from django.urls import path
from rest_framework.routers import SimpleRouter

from governance.api.views import ApiTokenApi, AuditEventApi, MeApi

router = SimpleRouter()
router.register("audit/events", AuditEventApi, basename="audit-event")
router.register("auth/tokens", ApiTokenApi, basename="api-token")

urlpatterns = [path("me/", MeApi.as_view(), name="me"), *router.urls]
