from rest_framework.routers import SimpleRouter

from registry.api.views import DatasetVersionApi, ModelApi, ModelVersionApi

router = SimpleRouter()
router.register("models", ModelApi, basename="model")
router.register("versions", ModelVersionApi, basename="model-version")
router.register("datasets", DatasetVersionApi, basename="dataset-version")

urlpatterns = router.urls
