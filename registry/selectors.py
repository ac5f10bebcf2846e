"""Registry reads. Each takes the user, checks the role once and brings the joins its page needs,
so query counts stay flat however many rows are shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery

from governance.roles import Action, require
from mlops_portal import db
from mlops_portal.db import CommaJoined
from mlops_portal.errors import NotFound, first_or_not_found
from registry.models import DatasetVersion, ModelVersion, RegisteredModel, Tag


def model_list(*, user, filters: dict | None = None) -> QuerySet[RegisteredModel]:
    require(user, Action.MODEL_VIEW)
    filters = filters or {}
    models = RegisteredModel.objects.select_related("owner_group").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )
    if filters.get("q"):
        query = filters["q"]
        models = models.filter(Q(name__icontains=query) | Q(description__icontains=query))
    if filters.get("owner"):
        models = models.filter(owner_group__name=filters["owner"])
    if filters.get("tag"):
        models = models.filter(tags__name=filters["tag"])
    if filters.get("task_type"):
        models = models.filter(task_type=filters["task_type"])
    if filters.get("risk_tier"):
        models = models.filter(risk_tier=filters["risk_tier"])
    if filters.get("stage"):
        models = models.filter(versions__stage=filters["stage"]).distinct()
    return models.order_by("name")


def _tag_names_joined():
    return Subquery(
        RegisteredModel.tags.through.objects.filter(registeredmodel_id=OuterRef("pk"))
        .order_by()
        .values("registeredmodel_id")
        .annotate(names=CommaJoined("tag__name"))
        .values("names")
    )


MODEL_ROW_FIELDS = (
    "id",
    "name",
    "description",
    "owner",
    "task_type",
    "risk_tier",
    "tag_names",
    "version_count",
    "production_version",
    "created_at",
    "updated_at",
)


# Built once (like a DRF view's ``queryset``) and cloned per request with ``.all()``: building
# the annotated query costs more than running it.
_MODEL_ROWS = (
    RegisteredModel.objects.annotate(owner=F("owner_group__name"), tag_names=_tag_names_joined())
    .values(*MODEL_ROW_FIELDS)
    .order_by("name")
)


def model_rows(*, user) -> QuerySet[dict]:
    """Models as plain rows (``MODEL_ROW_FIELDS``) for the API, which lists 100 at a time:
    one query per page with the tags (comma-joined), no model objects. Filters, search and
    ordering apply to it like to ``model_list``."""
    require(user, Action.MODEL_VIEW)
    return _MODEL_ROWS.all()


def model_row_get(*, user, name: str) -> dict:
    return first_or_not_found(
        model_rows(user=user).filter(name=name), f"name: no model named {name!r}.", field="name"
    )


def model_get(*, user, name: str) -> RegisteredModel:
    return first_or_not_found(
        model_list(user=user).filter(name=name), f"name: no model named {name!r}.", field="name"
    )


def version_list(*, user, filters: dict | None = None) -> QuerySet[ModelVersion]:
    require(user, Action.MODEL_VIEW)
    filters = filters or {}
    versions = ModelVersion.objects.select_related(
        "model", "model__owner_group", "created_by", "parent", "parent__model"
    ).prefetch_related("trained_on", "evaluated_on")
    if filters.get("model"):
        versions = versions.filter(model__name=filters["model"])
    if filters.get("stage"):
        versions = versions.filter(stage=filters["stage"])
    if filters.get("owner"):
        versions = versions.filter(model__owner_group__name=filters["owner"])
    if filters.get("tag"):
        versions = versions.filter(model__tags__name=filters["tag"])
    return versions.order_by("model__name", "-version")


def version_get(*, user, model_name: str, number: int) -> ModelVersion:
    return first_or_not_found(
        version_list(user=user).filter(model__name=model_name, version=number),
        f"version: {model_name!r} has no version {number}.",
        field="version",
    )


def version_get_by_id(*, user, pk: int) -> ModelVersion:
    """The version with its model, owner group, parent and creator joined, for endpoints that act
    on it (monitoring's, under ``/versions/<id>/``): its datasets are not prefetched, two
    queries they would not use. ``version_detail`` reads what the API renders."""
    return first_or_not_found(
        version_list(user=user).prefetch_related(None).filter(pk=pk),
        f"id: no model version {pk}.",
    )


# The API's version read is, with the create, its busiest call. Building and compiling the
# joins and prefetches of ``version_list`` took about 1.4 ms of its 1.9 ms (running the SQL,
# 0.1 ms). ``version_detail`` reads the same objects with two statements built once per
# database vendor from the models' metadata (tests hold it to ``version_get_by_id``).


@cache
def _version_detail_sql(vendor: str) -> tuple[str, str]:
    """The version row (with its model, parent, parent's model and creator) and its datasets."""
    table, column = db.quoted_table, db.quoted_column
    version, model, user, dataset = ModelVersion, RegisteredModel, get_user_model(), DatasetVersion
    row = (
        f"SELECT {db.columns_sql(version, 'v')}, {db.columns_sql(model, 'm')},"
        f" {db.columns_sql(version, 'p')}, {db.columns_sql(model, 'pm')},"
        f" {db.columns_sql(user, 'u')}"
        f" FROM {table(version)} v"
        f" INNER JOIN {table(model)} m ON m.{column(model, 'pk')} = v.{column(version, 'model')}"
        f" LEFT JOIN {table(version)} p"
        f" ON p.{column(version, 'pk')} = v.{column(version, 'parent')}"
        f" LEFT JOIN {table(model)} pm ON pm.{column(model, 'pk')} = p.{column(version, 'model')}"
        f" LEFT JOIN {table(user)} u ON u.{column(user, 'pk')} = v.{column(version, 'created_by')}"
        f" WHERE v.{column(version, 'pk')} = %s"
    )
    datasets = " UNION ALL ".join(
        f"SELECT '{relation}', {db.columns_sql(dataset, 'd')}"
        f" FROM {table(through)} r INNER JOIN {table(dataset)} d"
        f" ON d.{column(dataset, 'pk')} = r.{column(through, 'datasetversion')}"
        f" WHERE r.{column(through, 'modelversion')} = %s"
        for relation in ("trained_on", "evaluated_on")
        for through in [getattr(version, relation).through]
    )
    return row, datasets


def version_detail(*, user, pk: int) -> tuple[ModelVersion, dict[str, list[DatasetVersion]]]:
    """One version as the API renders it: the version with its model, parent (and the parent's
    model) and creator set, and the datasets it was trained and evaluated on, by relation (for
    ``VersionOutputSerializer``'s ``lineage`` context)."""
    require(user, Action.MODEL_VIEW)
    low, high = connection.ops.integer_field_range(ModelVersion._meta.pk.get_internal_type())
    row_sql, datasets_sql = _version_detail_sql(connection.vendor)
    row = db.fetch_one(row_sql, [pk]) if low <= pk <= high else None
    if row is None:
        raise NotFound(f"id: no model version {pk}.", field="id")
    version, model, parent, parent_model, creator = db.from_joined_row(
        (ModelVersion, RegisteredModel, ModelVersion, RegisteredModel, get_user_model()), row
    )
    version.model, version.parent, version.created_by = model, parent, creator
    if parent is not None:
        parent.model = parent_model
    lineage: dict[str, list[DatasetVersion]] = {"trained_on": [], "evaluated_on": []}
    for relation, *values in db.fetch_all(datasets_sql, [pk, pk]):
        lineage[relation].append(db.from_row(DatasetVersion, values))
    return version, lineage


def dataset_list(*, user, filters: dict | None = None) -> QuerySet[DatasetVersion]:
    require(user, Action.MODEL_VIEW)
    filters = filters or {}
    datasets = DatasetVersion.objects.select_related("owner_group", "created_by").prefetch_related(
        "derived_from"
    )
    if filters.get("q"):
        datasets = datasets.filter(
            Q(name__icontains=filters["q"]) | Q(description__icontains=filters["q"])
        )
    if filters.get("name"):
        datasets = datasets.filter(name=filters["name"])
    return datasets.order_by("name", "-created_at")


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
