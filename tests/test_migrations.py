"""The Alembic migrations and the models describe the same schema, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from community.db import make_engine, upgrade
from community.models import Base


def _diff(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)


def test_migrations_build_exactly_the_models_schema(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    assert _diff(engine) == []
    assert set(inspect(engine).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
    engine.dispose()


def test_upgrade_on_start_is_idempotent_and_downgrade_reverses_it(db_url):
    from alembic import command

    from community.db import alembic_config

    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)  # every start runs this; the second time it must do nothing
    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert _diff(engine) == []
    engine.dispose()
