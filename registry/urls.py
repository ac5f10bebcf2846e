from django.urls import path

from registry import views

urlpatterns = [
    path("models/", views.model_list, name="model-list"),
    path("models/new/", views.model_create, name="model-create"),
    path("models/<slug:name>/", views.model_detail, name="model-detail"),
    path("models/<slug:name>/versions/<int:number>/", views.version_detail, name="version-detail"),
    path(
        "models/<slug:name>/versions/<int:number>/stage/",
        views.version_stage_change,
        name="version-stage",
    ),
    path("datasets/", views.dataset_list, name="dataset-list"),
    path("datasets/<int:pk>/", views.dataset_detail, name="dataset-detail"),
]
