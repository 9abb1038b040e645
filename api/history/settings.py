"""Settings of the history store, read from the environment.

Environment variables
---------------------
KANRA_HISTORY_URL
    SQLAlchemy URL of the history database, e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/kanra``.
KANRA_HISTORY_RETENTION_DAYS
    Finished days Redis keeps after archiving (default 7); older ones are trimmed once verified.
KANRA_HISTORY_CLOSE_MARGIN_H
    Hours after a service day's midnight end before it may close (default 2).
KANRA_HISTORY_RIDER_SECRET
    Secret of the pseudonymous rider key (HMAC-SHA256 of the rider id). Set it in production and keep it:
    a new secret gives every rider a new key.
KANRA_HISTORY_PII_MUNICIPALITIES
    JIS codes (comma-separated) whose rules allow keeping riders' names, phone numbers, booking notes and
    exact address points in the history; everyone else is kept only by key, with points rounded to ~100 m.
KANRA_HISTORY_POSITION_SAMPLE_S
    Keep at most one position per vehicle per this many seconds (default 60).
KANRA_COST_RULE
    JSON file of the cost-share rule of the reports (:class:`api.history.costrule.CostRule`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/kanra"
DEV_SECRET = "kanra-history-development-only"


class HistorySettingsError(ValueError):
    """A history setting is malformed; the message names the variable."""


def history_url(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get("KANRA_HISTORY_URL") or DEFAULT_URL


@dataclass(frozen=True)
class HistorySettings:
    """What the archiver is configured with (days, hours and seconds as the names say)."""

    url: str = DEFAULT_URL
    retention_days: int = 7
    close_margin_h: float = 2.0
    rider_secret: str = DEV_SECRET
    pii_municipalities: frozenset[str] = field(default_factory=frozenset)
    position_sample_s: int = 60

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HistorySettings:
        env = os.environ if env is None else env
        return cls(
            url=history_url(env),
            retention_days=int(_number(env, "KANRA_HISTORY_RETENTION_DAYS", 7)),
            close_margin_h=_number(env, "KANRA_HISTORY_CLOSE_MARGIN_H", 2.0),
            rider_secret=env.get("KANRA_HISTORY_RIDER_SECRET") or DEV_SECRET,
            pii_municipalities=frozenset(c.strip() for c in env.get("KANRA_HISTORY_PII_MUNICIPALITIES", "").split(",")
                                         if c.strip()),
            position_sample_s=int(_number(env, "KANRA_HISTORY_POSITION_SAMPLE_S", 60)),
        )


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise HistorySettingsError(f"{name}={raw!r} is not a number") from None
    if value < 0:
        raise HistorySettingsError(f"{name}={raw!r} must not be negative")
    return value
