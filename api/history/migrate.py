"""Bring a history database to the current schema (what ``alembic upgrade head`` does), from Python."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

REPO = Path(__file__).resolve().parents[2]


def alembic_config(url: str) -> Config:
    """The project's ``alembic.ini`` pointed at ``url``."""
    config = Config(str(REPO / "alembic.ini"))
    config.set_main_option("script_location", str(REPO / "alembic"))
    config.attributes["url"] = url
    config.attributes["quiet"] = True
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
