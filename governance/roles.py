"""Who may do what: the one place that decides.

Roles are Django groups (created by a data migration). API permissions, HTML views, templates
(to hide buttons) and tests all ask :func:`may` / :func:`require`; nothing else checks roles.
Superusers hold every role.
"""

from __future__ import annotations

from enum import StrEnum

from mlops_portal.errors import PermissionDenied


class Role(StrEnum):
    VIEWER = "viewer"
    DATA_SCIENTIST = "data_scientist"
    APPROVER = "approver"
    RISK_OFFICER = "risk_officer"
    ADMIN = "admin"


# What each role can do in the portal as built (shown on the profile page).
ROLE_DESCRIPTIONS = {
    Role.VIEWER: "Reads models, versions, datasets, lineage and monitors; not the audit log.",
    Role.DATA_SCIENTIST: "Registers models, versions and datasets and edits what they own; "
    "configures monitoring and sends reference, production and label data for it.",
    Role.APPROVER: "Reads everything, including the audit log (filter, export, chain check).",
    Role.RISK_OFFICER: "Reads everything, including the audit log (filter, export, chain check).",
    Role.ADMIN: "Everything, including changing a version's stage, reading the monitoring "
    "metrics and administering users in the admin site.",
}

READERS = frozenset(Role)
AUDITORS = frozenset({Role.APPROVER, Role.RISK_OFFICER, Role.ADMIN})
AUTHORS = frozenset({Role.DATA_SCIENTIST, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})


class Action(StrEnum):
    MODEL_VIEW = "registry.model.view"
    MODEL_CREATE = "registry.model.create"
    MODEL_EDIT = "registry.model.edit"
    VERSION_CREATE = "registry.version.create"
    VERSION_EDIT = "registry.version.edit"
    VERSION_STAGE_CHANGE = "registry.version.stage_change"
    DATASET_CREATE = "registry.dataset.create"
    DATASET_EDIT = "registry.dataset.edit"
    AUDIT_VIEW = "governance.audit.view"
    TOKEN_MANAGE_OWN = "governance.token.manage_own"
    TOKEN_REVOKE_OWN = "governance.token.revoke_own"
    MONITOR_VIEW = "monitoring.monitor.view"
    MONITOR_CONFIGURE = "monitoring.monitor.configure"
    DATA_INGEST = "monitoring.data.ingest"
    METRICS_VIEW = "monitoring.metrics.view"
    NOTIFICATION_INBOX_OWN = "notifications.inbox.own"
    NOTIFICATION_SUBSCRIBE_OWN = "notifications.subscription.manage_own"
    NOTIFICATION_CHANNEL_MANAGE = "notifications.channel.manage"
    NOTIFICATION_DELIVERY_VIEW = "notifications.delivery.view"
    ALERT_VIEW = "monitoring.alert.view"
    ALERT_RULE_CONFIGURE = "monitoring.alert_rule.configure"
    ALERT_RESPOND = "monitoring.alert.respond"


# Which roles may attempt an action at all. ``ANY_USER``: every signed-in user, even with no role
# (revoking your own token must always work, e.g. after your roles were taken away).
ANY_USER = None
MATRIX: dict[Action, frozenset[Role] | None] = {
    Action.MODEL_VIEW: READERS,
    Action.MODEL_CREATE: AUTHORS,
    Action.MODEL_EDIT: AUTHORS,
    Action.VERSION_CREATE: AUTHORS,
    Action.VERSION_EDIT: AUTHORS,
    Action.VERSION_STAGE_CHANGE: ADMINS,
    Action.DATASET_CREATE: AUTHORS,
    Action.DATASET_EDIT: AUTHORS,
    Action.AUDIT_VIEW: AUDITORS,
    Action.TOKEN_MANAGE_OWN: READERS,
    Action.TOKEN_REVOKE_OWN: ANY_USER,
    Action.MONITOR_VIEW: READERS,
    Action.MONITOR_CONFIGURE: AUTHORS,
    Action.DATA_INGEST: AUTHORS,
    Action.METRICS_VIEW: ADMINS,
    # Anyone signed in reads their own inbox (even with no role: what was sent to them);
    # subscribing needs a role that may read models; channels and deliveries are admins'.
    Action.NOTIFICATION_INBOX_OWN: ANY_USER,
    Action.NOTIFICATION_SUBSCRIBE_OWN: READERS,
    Action.NOTIFICATION_CHANNEL_MANAGE: ADMINS,
    Action.NOTIFICATION_DELIVERY_VIEW: ADMINS,
    # Alerts: everyone with a role reads them; the model's owners (data scientists in its
    # owner group or its creator) and admins configure rules, acknowledge, resolve and silence.
    Action.ALERT_VIEW: READERS,
    Action.ALERT_RULE_CONFIGURE: AUTHORS,
    Action.ALERT_RESPOND: AUTHORS,
}

# Actions on an object that a data scientist may take only on what they own.
OWNERSHIP_REQUIRED = frozenset(
    {
        Action.MODEL_EDIT,
        Action.VERSION_CREATE,
        Action.VERSION_EDIT,
        Action.DATASET_EDIT,
        Action.MONITOR_CONFIGURE,
        Action.DATA_INGEST,
        Action.ALERT_RULE_CONFIGURE,
        Action.ALERT_RESPOND,
    }
)


def user_roles(user) -> frozenset[Role]:
    """The user's roles, read once per request object and cached on it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    if getattr(user, "_portal_roles", None) is None:
        _groups_load(user)
    return user._portal_roles


def _group_ids(user) -> frozenset[int]:
    if getattr(user, "_portal_group_ids", None) is None:
        _groups_load(user)
    return user._portal_group_ids


def _groups_load(user) -> None:
    """One query for both what roles and ownership need: the user's group ids and names."""
    groups = list(user.groups.values_list("id", "name"))
    names = {name for _id, name in groups}
    user._portal_group_ids = frozenset(group_id for group_id, _name in groups)
    user._portal_roles = (
        frozenset(Role) if user.is_superuser else frozenset(r for r in Role if r.value in names)
    )


def owns(user, obj) -> bool:
    """Ownership: the user created the object, or belongs to its owner group.

    Objects take part by exposing ``created_by_id`` and optionally ``owner_group_id``; objects
    owned through a parent (a version through its model) expose ``ownership_root``.
    """
    root = getattr(obj, "ownership_root", obj)
    if getattr(root, "created_by_id", None) == user.pk:
        return True
    group_id = getattr(root, "owner_group_id", None)
    return group_id is not None and group_id in _group_ids(user)


def may(user, action: Action | str, obj=None) -> bool:
    action = Action(action)
    roles = user_roles(user)
    allowed = MATRIX[action]
    if allowed is ANY_USER:
        return bool(getattr(user, "is_authenticated", False))
    if not roles & allowed:
        return False
    if Role.ADMIN in roles:
        return True
    if obj is not None and action in OWNERSHIP_REQUIRED:
        return owns(user, obj)
    return True


def require(user, action: Action | str, obj=None) -> None:
    """Raise the project's PermissionDenied (403) unless :func:`may` allows it."""
    if not may(user, action, obj):
        raise PermissionDenied(f"Your role does not allow {Action(action).value}.")
