"""A demo fleet for a first look: users for every role, teams, models, versions, lineage.

Every object is made through its service, in the service's own transaction, as a user's would
be. Idempotent: a second run finds the demo and adds nothing.
"""

import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from governance.services import portal_user_create
from mlops_portal.management.commands._monitoring_demo import seed_monitoring_demo
from registry import services as registry

DEMO_PASSWORD = "portal-demo"
DEMO_USERS = (  # username, roles, teams
    ("admin", ["admin"], []),
    ("alice", ["data_scientist"], ["team-risk", "team-growth"]),
    ("bob", ["approver"], []),
    ("carol", ["risk_officer"], []),
    ("victor", ["viewer"], []),
)

CHURN_SIGNATURE = {
    "inputs": [
        {"name": "tenure_months", "type": "integer"},
        {"name": "monthly_charges", "type": "float"},
        {"name": "total_charges", "type": "float"},
        {"name": "support_calls", "type": "integer"},
        {"name": "contract", "type": "category"},
        {"name": "payment_method", "type": "category"},
    ],
    "outputs": [{"name": "churn_probability", "type": "float"}],
}
CREDIT_SIGNATURE = {
    "inputs": [
        {"name": "income", "type": "float"},
        {"name": "debt_ratio", "type": "float"},
        {"name": "age", "type": "integer"},
        {"name": "open_accounts", "type": "integer"},
        {"name": "region", "type": "category"},
    ],
    "outputs": [{"name": "default_probability", "type": "float"}],
}
DEMAND_SIGNATURE = {
    "inputs": [
        {"name": "price", "type": "float"},
        {"name": "promo", "type": "boolean"},
        {"name": "store_size", "type": "float"},
        {"name": "weekday", "type": "category"},
    ],
    "outputs": [{"name": "units", "type": "float"}],
}


class Command(BaseCommand):
    help = "Seed a demo fleet (idempotent): users for each role, teams, models, versions, lineage."

    def add_arguments(self, parser):
        parser.add_argument(
            "--registry-only",
            action="store_true",
            help="Skip the monitoring demo (reference data, batches, drift runs).",
        )

    def handle(self, *args, **options):
        if get_user_model().objects.filter(username="alice").exists():
            self.stdout.write("Demo already seeded; nothing added.")
        else:
            self._seed()
            self.stdout.write(self.style.SUCCESS("Demo registry seeded."))
        if not options["registry_only"]:
            # Its own idempotent step: reference data, a monitor, batches, labels, drift runs.
            seed_monitoring_demo()
        self.stdout.write(
            f"Demo logins (password '{DEMO_PASSWORD}'): "
            + ", ".join(f"{name} ({roles[0]})" for name, roles, _teams in DEMO_USERS)
        )

    def _seed(self) -> None:
        users = {
            name: portal_user_create(
                username=name,
                email=f"{name}@example.com",
                password=DEMO_PASSWORD,
                roles=roles,
                teams=teams,
            )
            for name, roles, teams in DEMO_USERS
        }
        teams = {group.name: group for group in users["alice"].groups.all()}
        alice, admin = users["alice"], users["admin"]
        rng = random.Random(7)

        raw = registry.dataset_version_create(
            actor=alice,
            name="customer-events",
            version="2026-10",
            uri="s3://lake/customer-events/2026-10/",
            row_count=4_200_000,
            schema=[
                {"name": "customer_id", "type": "string"},
                {"name": "event", "type": "category"},
            ],
            description="Raw customer events, monthly snapshot.",
            owner_group=teams["team-growth"],
        )
        features = registry.dataset_version_create(
            actor=alice,
            name="churn-features",
            version="2026-10",
            uri="s3://lake/churn-features/2026-10/train.parquet",
            row_count=180_000,
            schema=CHURN_SIGNATURE["inputs"],
            description="Churn training features built from customer events.",
            derived_from=[raw],
            owner_group=teams["team-growth"],
        )
        holdout = registry.dataset_version_create(
            actor=alice,
            name="churn-holdout",
            version="2026-10",
            uri="s3://lake/churn-features/2026-10/holdout.parquet",
            row_count=20_000,
            schema=CHURN_SIGNATURE["inputs"],
            derived_from=[raw],
            owner_group=teams["team-growth"],
        )
        specs = (
            ("churn-classifier", "Predicts which subscribers cancel within 30 days.",
             "team-growth", "classification", "medium", ["customer", "tabular"], CHURN_SIGNATURE),
            ("credit-default", "Probability that a loan applicant defaults within 12 months.",
             "team-risk", "classification", "high", ["credit", "regulated"], CREDIT_SIGNATURE),
            ("store-demand", "Daily unit demand per store and product family.",
             "team-growth", "regression", "low", ["forecasting"], DEMAND_SIGNATURE),
        )  # fmt: skip
        for name, description, team, task, risk, tags, signature in specs:
            model = registry.model_create(
                actor=alice,
                name=name,
                description=description,
                owner_group=teams[team],
                task_type=task,
                risk_tier=risk,
                tags=tags,
            )
            parent = None
            for number in range(1, 4):
                metrics = (
                    {"auc": round(0.78 + 0.02 * number + rng.random() / 100, 4),
                     "f1": round(0.61 + 0.02 * number, 4)}
                    if task == "classification"
                    else {"mae": round(14 - number, 3), "rmse": round(19 - number, 3)}
                )  # fmt: skip
                parent = registry.model_version_create(
                    actor=alice,
                    model=model,
                    description=f"Iteration {number}.",
                    artifact_uri=f"s3://models/{name}/{number}/model.pkl",
                    artifact_sha256=f"{rng.getrandbits(256):064x}",
                    framework="scikit-learn",
                    signature=signature,
                    params={"n_estimators": 100 * number, "max_depth": 4 + number},
                    metrics=metrics,
                    code_repository=f"git.example.com/ml/{name}",
                    code_commit=f"{rng.getrandbits(160):040x}",
                    run_id=f"run-{rng.getrandbits(32):08x}",
                    trained_on=[features] if name == "churn-classifier" else [],
                    evaluated_on=[holdout] if name == "churn-classifier" else [],
                    parent=parent,
                )
            versions = list(model.versions.order_by("version"))
            registry.model_version_stage_set(actor=admin, version=versions[1], stage="Production")
            registry.model_version_stage_set(actor=admin, version=versions[2], stage="Staging")
