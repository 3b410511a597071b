"""Alembic environment: run by `lta_tui.store.migrate`, never from an alembic.ini."""

from __future__ import annotations

from alembic import context

from lta_tui.store import models
from lta_tui.store.types import Exact, UtcDateTime

config = context.config
target_metadata = models.metadata


def render_item(type_, obj, autogen_context):
    """Write our column types as the plain types they store, so migrations never import them."""
    if type_ == "type" and isinstance(obj, Exact):
        return "sa.BigInteger()"
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime()"
    return False


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: copy-and-move instead
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():  # pragma: no cover
    raise SystemExit("offline migrations are not supported")
run_migrations_online()
