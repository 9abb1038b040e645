"""``python -m api``: serve the booking API and the operator console with uvicorn."""

from __future__ import annotations

import argparse
import logging
import os
import sys

import uvicorn

from api.privacy import install_pii_filter
from api.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api", description="Kanra-Tomioka shared taxi booking API")
    parser.add_argument("--host", help="listen address (default KANRA_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default KANRA_PORT or 8000)")
    parser.add_argument("--log-level", default=os.environ.get("KANRA_LOG_LEVEL", "info"))
    parser.add_argument("--no-access-log", action="store_true",
                        help="no access log (it never carries query strings, where phone searches live)")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"python -m api: {exc}", file=sys.stderr)
        return 2
    if not settings.api_keys:
        print("python -m api: no API keys configured; set KANRA_API_KEYS=key:role,... or KANRA_API_KEYS_FILE",
              file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    install_pii_filter()
    from api.app import create_app

    uvicorn.run(create_app(settings), host=args.host or settings.host, port=args.port or settings.port,
                log_level=args.log_level.lower(), access_log=not args.no_access_log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
