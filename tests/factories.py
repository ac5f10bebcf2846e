"""factory_boy factories for every app's models (writes through the ORM: test set-up only)."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from registry.models import DatasetVersion, ModelVersion, RegisteredModel
from registry.services import model_figures_refresh


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-for-tests")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            # get_or_create: transactional tests flush the groups the data migration made.
            self.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in extracted))
            self.is_staff = "admin" in extracted
            self.save(update_fields=["is_staff"])


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"team-{n}")


class RegisteredModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegisteredModel

    name = factory.Sequence(lambda n: f"model-{n:04d}")
    description = factory.Faker("sentence")
    task_type = "classification"
    risk_tier = "medium"


class DatasetVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DatasetVersion

    name = factory.Sequence(lambda n: f"dataset-{n:04d}")
    version = "v1"
    uri = factory.LazyAttribute(lambda d: f"s3://lake/{d.name}/{d.version}/")
    row_count = 1000
    schema = factory.LazyFunction(lambda: [{"name": "x", "type": "float"}])


class ModelVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelVersion
        skip_postgeneration_save = True

    model = factory.SubFactory(RegisteredModelFactory)
    version = factory.Sequence(lambda n: n + 1)
    artifact_uri = factory.LazyAttribute(lambda v: f"s3://models/{v.model.name}/{v.version}/")
    framework = "scikit-learn"
    signature = factory.LazyFunction(
        lambda: {
            "inputs": [{"name": "x", "type": "float"}, {"name": "c", "type": "category"}],
            "outputs": [{"name": "score", "type": "float"}],
        }
    )
    metrics = factory.LazyFunction(lambda: {"auc": 0.81, "f1": 0.64})
    params = factory.LazyFunction(lambda: {"max_depth": 6})

    @factory.post_generation
    def model_figures(self, create, extracted, **kwargs):
        # Written around the services, so the model's version figures are refreshed here.
        if create:
            model_figures_refresh(self.model)
