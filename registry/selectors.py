"""Registry reads. Each takes the user, checks the role once and brings the joins its page needs,
so query counts stay flat however many rows are shown."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from governance.roles import Action, require
from mlops_portal.errors import first_or_not_found
from registry.filters import DatasetFilter, ModelFilter, VersionFilter
from registry.models import DatasetVersion, ModelVersion, RegisteredModel, Tag


def model_list(*, user, filters=None) -> QuerySet[RegisteredModel]:
    require(user, Action.MODEL_VIEW)
    models = RegisteredModel.objects.select_related("owner_group").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )
    return ModelFilter.apply(filters, models).order_by("name")


def model_get(*, user, name: str) -> RegisteredModel:
    return first_or_not_found(
        model_list(user=user).filter(name=name), f"name: no model named {name!r}.", field="name"
    )


def version_list(*, user, filters=None) -> QuerySet[ModelVersion]:
    require(user, Action.MODEL_VIEW)
    versions = ModelVersion.objects.select_related(
        "model", "model__owner_group", "created_by", "parent", "parent__model"
    ).prefetch_related("trained_on", "evaluated_on")
    return VersionFilter.apply(filters, versions).order_by("model__name", "-version")


def version_get(*, user, model_name: str, number: int) -> ModelVersion:
    return first_or_not_found(
        version_list(user=user).filter(model__name=model_name, version=number),
        f"version: {model_name!r} has no version {number}.",
        field="version",
    )


def version_get_by_id(*, user, pk: int) -> ModelVersion:
    return first_or_not_found(
        version_list(user=user).filter(pk=pk).order_by(),  # one row: no list ordering to join
        f"id: no model version {pk}.",
        field="id",
    )


def dataset_list(*, user, filters=None) -> QuerySet[DatasetVersion]:
    require(user, Action.MODEL_VIEW)
    datasets = DatasetVersion.objects.select_related("owner_group", "created_by").prefetch_related(
        "derived_from"
    )
    return DatasetFilter.apply(filters, datasets).order_by("name", "-created_at")


def dataset_get(*, user, pk: int) -> DatasetVersion:
    return first_or_not_found(
        dataset_list(user=user).filter(pk=pk), f"id: no dataset version {pk}."
    )


# --- lineage ---------------------------------------------------------------------------------


@dataclass
class LineageGraph:
    """Nodes are ``version:<id>`` / ``dataset:<id>``; edges point from source to product."""

    root: str
    nodes: dict[str, dict] = field(default_factory=dict)
    edges: set[tuple[str, str, str]] = field(default_factory=set)

    def as_dict(self) -> dict:
        return {
            "root": self.root,
            "nodes": sorted(self.nodes.values(), key=lambda node: node["id"]),
            "edges": [
                {
                    "source": s,
                    "target": t,
                    "relation": r,
                    "source_label": self.nodes[s]["label"],
                    "target_label": self.nodes[t]["label"],
                }
                for s, t, r in sorted(self.edges)
            ],
        }


def _version_node(version: ModelVersion) -> dict:
    return {
        "id": f"version:{version.pk}",
        "kind": "model_version",
        "label": f"{version.model.name} v{version.version}",
        "model": version.model.name,
        "version": version.version,
        "stage": version.stage,
    }


def _dataset_node(dataset: DatasetVersion) -> dict:
    return {
        "id": f"dataset:{dataset.pk}",
        "kind": "dataset_version",
        "label": f"{dataset.name}@{dataset.version}",
        "name": dataset.name,
        "version": dataset.version,
    }


def lineage_graph(*, user, root: ModelVersion | DatasetVersion, depth: int = 10) -> LineageGraph:
    """Upstream and downstream lineage of one version or dataset, ``depth`` hops each way.

    Walks level by level with a fixed number of queries per level, never one per node.
    """
    require(user, Action.MODEL_VIEW)
    trained = ModelVersion.trained_on.through
    evaluated = ModelVersion.evaluated_on.through
    derived = DatasetVersion.derived_from.through
    is_version = isinstance(root, ModelVersion)
    graph = LineageGraph(root=f"{'version' if is_version else 'dataset'}:{root.pk}")
    versions_seen: set[int] = set()
    datasets_seen: set[int] = set()

    for upstream in (True, False):
        frontier_v = {root.pk} if is_version else set()
        frontier_d = set() if is_version else {root.pk}
        for _ in range(depth):
            next_v: set[int] = set()
            next_d: set[int] = set()
            if frontier_v:
                version_edges = (
                    ModelVersion.objects.filter(pk__in=frontier_v, parent__isnull=False)
                    if upstream
                    else ModelVersion.objects.filter(parent_id__in=frontier_v)
                ).values_list("parent_id", "pk")
                for parent_id, child_id in version_edges:
                    graph.edges.add((f"version:{parent_id}", f"version:{child_id}", "derived_from"))
                    next_v.add(parent_id if upstream else child_id)
                for through, relation in ((trained, "trained_on"), (evaluated, "evaluated_on")):
                    if upstream:
                        rows = through.objects.filter(modelversion_id__in=frontier_v)
                    else:
                        rows = through.objects.none()
                    for dataset_id, version_id in rows.values_list(
                        "datasetversion_id", "modelversion_id"
                    ):
                        graph.edges.add(
                            (f"dataset:{dataset_id}", f"version:{version_id}", relation)
                        )
                        next_d.add(dataset_id)
            if frontier_d:
                if upstream:
                    rows = derived.objects.filter(from_datasetversion_id__in=frontier_d)
                    for product, source in rows.values_list(
                        "from_datasetversion_id", "to_datasetversion_id"
                    ):
                        graph.edges.add((f"dataset:{source}", f"dataset:{product}", "derived_from"))
                        next_d.add(source)
                else:
                    rows = derived.objects.filter(to_datasetversion_id__in=frontier_d)
                    for product, source in rows.values_list(
                        "from_datasetversion_id", "to_datasetversion_id"
                    ):
                        graph.edges.add((f"dataset:{source}", f"dataset:{product}", "derived_from"))
                        next_d.add(product)
                    for through, relation in ((trained, "trained_on"), (evaluated, "evaluated_on")):
                        for dataset_id, version_id in through.objects.filter(
                            datasetversion_id__in=frontier_d
                        ).values_list("datasetversion_id", "modelversion_id"):
                            graph.edges.add(
                                (f"dataset:{dataset_id}", f"version:{version_id}", relation)
                            )
                            next_v.add(version_id)
            versions_seen |= frontier_v
            datasets_seen |= frontier_d
            frontier_v = next_v - versions_seen
            frontier_d = next_d - datasets_seen
            if not frontier_v and not frontier_d:
                break
        versions_seen |= frontier_v
        datasets_seen |= frontier_d

    for version in ModelVersion.objects.filter(pk__in=versions_seen).select_related("model"):
        graph.nodes[f"version:{version.pk}"] = _version_node(version)
    for dataset in DatasetVersion.objects.filter(pk__in=datasets_seen):
        graph.nodes[f"dataset:{dataset.pk}"] = _dataset_node(dataset)
    # Edges reaching past the depth limit point at nodes we did not load: drop them.
    graph.edges = {e for e in graph.edges if e[0] in graph.nodes and e[1] in graph.nodes}
    return graph
