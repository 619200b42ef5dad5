"""Alembic environment: migrations run online against the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from services.storage.schema import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url")
if not url:
    from services.common.settings import CommonSettings

    url = CommonSettings().database_url

connectable = create_engine(url, poolclass=pool.NullPool)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
connectable.dispose()
