"""``python -m api.archive``: move closed service days from Redis into the history (PostgreSQL).

Reads the same environment as the API and the worker (``REDIS_URL``, ``KANRA_*``) plus the history
settings (:mod:`api.history.settings`, ``KANRA_HISTORY_URL``). Exit 0 on success, 2 on bad arguments or
settings, 1 when a day failed verification (nothing of it was trimmed).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import datetime

import redis
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.history.archive import Archiver, VerificationFailed
from api.history.riders import RiderPolicy, forget_rider
from api.history.settings import HistorySettings, HistorySettingsError
from api.history.store import connect
from api.privacy import install_pii_filter
from api.redis_client import sync_client
from api.settings import Settings, SettingsError
from api.timefmt import JST


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m api.archive",
                                     description="終了した運行日を履歴DBへ移す / archive closed service days")
    parser.add_argument("--now", help="run as if it were this moment (ISO 8601, Tokyo time if no offset)")
    parser.add_argument("--retention-days", type=int, help="finished days Redis keeps (default 7)")
    parser.add_argument("--migrate", action="store_true", help="bring the database to the schema first")
    parser.add_argument("--forget-rider", metavar="RIDER_ID",
                        help="delete a rider from the history on request (and do nothing else)")
    parser.add_argument("--log-level", default=os.environ.get("KANRA_LOG_LEVEL", "INFO"))
    return parser


def _fail(message: str) -> int:
    print(f"python -m api.archive: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    install_pii_filter()
    try:
        history = HistorySettings.from_env()
        settings = Settings.from_env()
    except (HistorySettingsError, SettingsError) as exc:
        return _fail(str(exc))
    if args.retention_days is not None:
        if args.retention_days < 0:
            return _fail("--retention-days must not be negative / 0 以上を指定してください")
        from dataclasses import replace

        history = replace(history, retention_days=args.retention_days)
    now = None
    if args.now:
        try:
            moment = datetime.fromisoformat(args.now)
        except ValueError:
            return _fail(f"--now {args.now!r} is not an ISO 8601 time / 日時の形式が正しくありません")
        now = (moment if moment.tzinfo else moment.replace(tzinfo=JST)).timestamp()
    engine = connect(history.url)
    try:
        if args.migrate:
            from api.history.migrate import upgrade

            upgrade(history.url)
        if args.forget_rider:
            with Session(engine) as session, session.begin():
                unlinked = forget_rider(session, RiderPolicy(history.rider_secret), rider_id=args.forget_rider)
            print(f"利用者を履歴から削除しました / rider deleted from the history ({unlinked} bookings unlinked)")
            return 0
        with engine.connect():  # fail fast, before the road network is loaded
            pass
        from api.world import World

        world = World.from_settings(settings)
        client = sync_client(settings.redis_url, decode_responses=True, socket_timeout=30)
        report = Archiver(client, settings, world, engine, history).run_once(now)
    except VerificationFailed as exc:
        print(f"検証に失敗しました / verification failed: {exc}", file=sys.stderr)
        return 1
    except (SQLAlchemyError, redis.exceptions.RedisError) as exc:
        print(f"python -m api.archive: store unavailable / 接続できません: {str(exc).splitlines()[0]}",
              file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(report.summary())
    for name, reason in sorted(report.waiting.items()):
        print(f"  {name}: 未終了 not closed: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
