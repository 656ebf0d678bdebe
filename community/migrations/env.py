"""Alembic environment: runs on the engine handed over by `community.db.upgrade`,
or on DATABASE_URL when called from the alembic command line."""

from alembic import context

from community.db import make_engine
from community.models import Base

config = context.config
engine = config.attributes.get("engine") or make_engine()

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
