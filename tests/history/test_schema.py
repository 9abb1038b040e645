"""The history schema: ``alembic upgrade head`` brings an empty database to the models, and back down."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, inspect

from api.history.migrate import downgrade, upgrade
from api.history.models import Base

from .pg import fresh_database

REPO = Path(__file__).resolve().parents[2]


def test_alembic_upgrade_head_from_empty_matches_the_models():
    with fresh_database("kanra_test_history_schema") as url:
        env = {**os.environ, "KANRA_HISTORY_URL": url, "PYTHONPATH": str(REPO)}
        done = subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        engine = create_engine(url)
        try:
            inspector = inspect(engine)
            tables = set(inspector.get_table_names()) - {"alembic_version"}
            assert tables == set(Base.metadata.tables)
            for name, table in Base.metadata.tables.items():
                columns = {c["name"] for c in inspector.get_columns(name)}
                assert columns == {c.name for c in table.columns}, name
                assert inspector.get_pk_constraint(name)["constrained_columns"] == [c.name for c in
                                                                                    table.primary_key.columns]
            fks = {fk["referred_table"] for fk in inspector.get_foreign_keys("bookings")}
            assert fks == {"riders"}
            downgrade(url)
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
            upgrade(url)
            assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
