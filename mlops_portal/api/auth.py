"""API token authentication: knox tokens, checked in one query with the user and their groups."""

from __future__ import annotations

import binascii
from functools import cache
from hmac import compare_digest

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

from governance.roles import Role, user_groups_preload
from mlops_portal import db


@cache
def _token_sql(vendor: str) -> str:
    """The token, its user, the user's group ids and role names: one statement, built once per
    database vendor (it runs on every API call, and compiling it as an ORM query cost more than
    running it)."""
    user_model = get_user_model()
    members = user_model.groups.through
    table, column = db.quoted_table, db.quoted_column
    member_user, member_group = column(members, "user"), column(members, "group")
    user_id, group_id, group_name = (
        column(user_model, "pk"),
        column(Group, "pk"),
        column(Group, "name"),
    )
    group_ids = f"SELECT {db.comma_joined_sql(f'm.{member_group}')} FROM {table(members)} m"
    role_names = (
        f"SELECT {db.comma_joined_sql(f'g.{group_name}')}"
        f" FROM {table(Group)} g"
        f" INNER JOIN {table(members)} m ON m.{member_group} = g.{group_id}"
    )
    roles = ", ".join(["%s"] * len(Role))
    return (
        f"SELECT {db.columns_sql(AuthToken, 't')}, {db.columns_sql(user_model, 'u')},"
        f" ({group_ids} WHERE m.{member_user} = u.{user_id}),"
        f" ({role_names} WHERE m.{member_user} = u.{user_id} AND g.{group_name} IN ({roles}))"
        f" FROM {table(AuthToken)} t"
        f" INNER JOIN {table(user_model)} u ON u.{user_id} = t.{column(AuthToken, 'user')}"
        f" WHERE t.{column(AuthToken, 'token_key')} = %s"
    )


def _token_candidates(token_key: str):
    """(AuthToken with its user set, the user's group ids, role names) for each stored token
    with this key."""
    params = [*(role.value for role in Role), token_key]
    for row in db.fetch_all(_token_sql(connection.vendor), params):
        auth_token, user = db.from_joined_row((AuthToken, get_user_model()), row)
        auth_token.user = user
        group_ids, role_names = row[-2:]
        yield auth_token, _split_ints(group_ids), (role_names or "").split(",")


def _split_ints(joined: str | None) -> list[int]:
    return [int(value) for value in joined.split(",")] if joined else []


class PortalTokenAuthentication(TokenAuthentication):
    """Knox's check (SHA-512 digest, constant-time compare) with two differences that matter on
    every API call: the token, its user and the user's groups come in one query (the role and
    ownership checks that follow need none), and there is no sweep of the user's other expired
    tokens (a query per call, and unaudited deletes). An expired token is refused and stays
    listed, as expired, on the profile page until its owner revokes it."""

    def authenticate_credentials(self, token: bytes):
        message = "Invalid token."
        token = token.decode("utf-8")
        for auth_token, group_ids, role_names in _token_candidates(
            token[: CONSTANTS.TOKEN_KEY_LENGTH]
        ):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed(message) from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                user_groups_preload(auth_token.user, group_ids, role_names)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(message)

    def _cleanup_token(self, auth_token) -> bool:
        return auth_token.expiry is not None and auth_token.expiry < timezone.now()


class PortalTokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of knox tokens, for this subclass too."""

    target_class = "mlops_portal.api.auth.PortalTokenAuthentication"
