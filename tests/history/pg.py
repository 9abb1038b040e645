"""A real PostgreSQL database for the history tests: created empty, migrated, dropped afterwards.

The server is ``KANRA_TEST_POSTGRES`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432``); a test is
skipped with a hint when nothing answers there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

TEST_POSTGRES = os.environ.get("KANRA_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432").rstrip("/")


@contextmanager
def fresh_database(name: str) -> Iterator[str]:
    """The URL of an empty database ``name_<pid>`` (dropped first if a killed run left it), dropped after the
    block. The process id keeps two suites on one server (two checkouts) out of each other's databases."""
    name = f"{name}_{os.getpid()}"
    admin = create_engine(f"{TEST_POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        admin.dispose()
        pytest.skip(f"no PostgreSQL at {TEST_POSTGRES}: start one with `make postgres`")
    try:
        yield f"{TEST_POSTGRES}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
