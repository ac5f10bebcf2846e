"""Governance writes about accounts: API tokens and users. Each audited in its own transaction."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from knox.models import AuthToken

from governance import audit
from governance.roles import Action, Role, require
from mlops_portal.errors import Conflict, NotFound, ValidationFailed


def api_token_create(*, user, actor) -> tuple[AuthToken, str]:
    """A new API token for ``user``; the plain token is returned once and stored only hashed."""
    if actor.pk != user.pk:
        require(actor, Action.TOKEN_MANAGE_OWN)
    require(user, Action.TOKEN_MANAGE_OWN)
    with transaction.atomic():
        instance, token = AuthToken.objects.create(user=user)
        audit.record(
            action="governance.api_token.created",
            actor=actor,
            target_type="knox.authtoken",
            target_id=instance.token_key,
            target_label=f"token {instance.token_key}… of {user.get_username()}",
            changes=audit.created({"expiry": instance.expiry}),
        )
    return instance, token


def api_token_revoke(*, user, token_key: str, actor) -> None:
    require(actor, Action.TOKEN_REVOKE_OWN)
    with transaction.atomic():
        token = AuthToken.objects.filter(user=user, token_key=token_key).first()
        if token is None:
            raise NotFound(f"token_key: no token {token_key!r} belongs to you.", field="token_key")
        token.delete()
        audit.record(
            action="governance.api_token.revoked",
            actor=actor,
            target_type="knox.authtoken",
            target_id=token_key,
            target_label=f"token {token_key}… of {user.get_username()}",
        )


def portal_user_create(
    *,
    username: str,
    email: str = "",
    password: str | None,
    roles: list[str],
    teams: list[str] = (),
    actor=None,
):
    """A user with the given roles (and team groups, created if new); for the CLI and the demo."""
    User = get_user_model()
    unknown = sorted(set(roles) - {role.value for role in Role})
    if unknown:
        raise ValidationFailed(f"role: unknown role {unknown[0]!r}.", field="role")
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise Conflict(f"username: {username!r} already exists.", field="username")
        user = User(username=username, email=email)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.is_staff = Role.ADMIN.value in roles
        user.full_clean()
        user.save()
        # Role groups come from a data migration; get_or_create also heals a flushed database.
        names = [*roles, *teams]
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in names])
        audit.record(
            action="governance.user.created",
            actor=actor,
            target=user,
            target_type="auth.user",
            target_label=username,
            changes=audit.created(
                {
                    "username": username,
                    "email": email,
                    "roles": sorted(roles),
                    "teams": sorted(teams),
                }
            ),
        )
    return user
