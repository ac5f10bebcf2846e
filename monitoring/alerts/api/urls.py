from rest_framework.routers import SimpleRouter

from monitoring.alerts.api import views

router = SimpleRouter()
router.register("alert-rules", views.AlertRuleApi, basename="alert-rule")
router.register("alerts", views.AlertApi, basename="alert")
router.register("silences", views.SilenceApi, basename="silence")

urlpatterns = router.urls
