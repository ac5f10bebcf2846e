"""Database expressions and statements shared by the apps."""

from __future__ import annotations

from django.db import connection, models
from django.db.models import Aggregate, CharField, signals


class CommaJoined(Aggregate):
    """Values joined by commas, in no particular order: GROUP_CONCAT on SQLite, STRING_AGG on
    PostgreSQL (Django 5.2 has no portable string aggregate). Only for values without commas
    (slugs, role names)."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "STRING_AGG(%(expressions)s, ',')"
        return self.as_sql(compiler, connection, template=template, **extra_context)


# --- plain statements for the hot paths ------------------------------------------------------
#
# Compiling an ORM query costs 10 to 20 times what running it costs on SQLite (0.2 to 1 ms
# against about 30 µs). Most reads and writes are rare enough not to care, but a few run on
# every API call (the token check) or inside SQLite's single database write lock (numbering a
# version, appending its audit event), where every millisecond is one no other writer can have.
# Those statements are built once, from the models' metadata where they name many columns, and
# give the same values as the ORM (tests/test_db.py holds them to it on both backends).


def fetch_one(sql: str, params=()) -> tuple | None:
    """The first row of a query, or None."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fetch_all(sql: str, params=()) -> list[tuple]:
    """Every row of a query."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def execute(sql: str, params=()) -> int:
    """Run one statement; returns the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


_INSERT_SQL: dict[tuple[type[models.Model], str], tuple[str, list[models.Field]]] = {}


def _insert_statement(model: type[models.Model]) -> tuple[str, list[models.Field]]:
    key = (model, connection.vendor)
    if key not in _INSERT_SQL:
        meta, quote = model._meta, connection.ops.quote_name
        fields = [field for field in meta.concrete_fields if not field.primary_key]
        sql = "INSERT INTO {} ({}) VALUES ({})".format(
            quote(meta.db_table),
            ", ".join(quote(field.column) for field in fields),
            ", ".join(["%s"] * len(fields)),
        )
        if connection.features.can_return_columns_from_insert:
            sql += f" RETURNING {quote(meta.pk.column)}"
        _INSERT_SQL[key] = sql, fields
    return _INSERT_SQL[key]


def insert_row(instance: models.Model) -> None:
    """INSERT a new instance as ``save(force_insert=True)`` would, from SQL built once per
    model: the same values (each field's ``pre_save`` and ``get_db_prep_save``), the primary key
    set on the instance. Models with ``pre_save``/``post_save`` receivers or a primary key set
    by hand go through ``save()``, which sends the signals."""
    model = type(instance)
    if (
        instance.pk is not None
        or signals.pre_save.has_listeners(model)
        or signals.post_save.has_listeners(model)
    ):
        instance.save(force_insert=True)
        return
    sql, fields = _insert_statement(model)
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        pk = cursor.fetchone()[0] if cursor.description else cursor.lastrowid
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = connection.alias


def comma_joined_sql(expression: str) -> str:
    """SQL joining an expression's values with commas (see ``CommaJoined``)."""
    if connection.vendor == "postgresql":
        return f"STRING_AGG(({expression})::text, ',')"
    return f"GROUP_CONCAT({expression})"


def quoted_table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def quoted_column(model: type[models.Model], field_name: str) -> str:
    """A field's column, quoted; ``"pk"`` names the primary key."""
    meta = model._meta
    return connection.ops.quote_name(
        (meta.pk if field_name == "pk" else meta.get_field(field_name)).column
    )


def columns_sql(model: type[models.Model], alias: str) -> str:
    """The model's concrete columns, in ``_meta.concrete_fields`` order, for ``from_row``."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


_CONVERTERS: dict[tuple[type[models.Model], str], tuple[list[str], list[tuple]]] = {}


def from_row(model: type[models.Model], values) -> models.Model:
    """An instance from the values of ``columns_sql(model, …)``, each converted as the ORM
    converts it (time zones and booleans on SQLite, JSON, custom fields)."""
    key = (model, connection.vendor)
    if key not in _CONVERTERS:
        fields = model._meta.concrete_fields
        _CONVERTERS[key] = (
            [field.attname for field in fields],
            [
                (
                    column,
                    connection.ops.get_db_converters(column) + field.get_db_converters(connection),
                )
                for field in fields
                for column in [field.get_col(model._meta.db_table)]
            ],
        )
    attnames, converters_by_column = _CONVERTERS[key]
    converted = []
    for (column, converters), value in zip(converters_by_column, values, strict=True):
        for converter in converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, attnames, converted)


def from_joined_row(models_in_row, row) -> list[models.Model | None]:
    """Instances from a row of ``columns_sql`` blocks, one block per model in order (what
    ``select_related`` reads); None for a block whose primary key is NULL (a LEFT JOIN that found
    nothing). Values after the last block are left to the caller."""
    instances, start = [], 0
    for model in models_in_row:
        fields = model._meta.concrete_fields
        values = row[start : start + len(fields)]
        missing = values[fields.index(model._meta.pk)] is None
        instances.append(None if missing else from_row(model, values))
        start += len(fields)
    return instances


_GET_BY_SQL: dict[tuple[type[models.Model], str, str], str] = {}


def get_by(model: type[models.Model], field_name: str, value) -> models.Model | None:
    """The instance whose (unique) field has this value, or None: ``filter(...).first()``
    without compiling a query."""
    key = (model, field_name, connection.vendor)
    if key not in _GET_BY_SQL:
        _GET_BY_SQL[key] = (
            f"SELECT {columns_sql(model, 't')} FROM {quoted_table(model)} t"
            f" WHERE t.{quoted_column(model, field_name)} = %s"
        )
    row = fetch_one(_GET_BY_SQL[key], [value])
    return None if row is None else from_row(model, row)
