"""The console's message catalogue (``api/static/messages.json``), read by the server too, so a refusal
reaches every client in Japanese first and English second from the same words the console shows.

The catalogue is a flat JSON object: ``"<prefix>.<name>": {"ja": ..., "en": ...}`` with keys sorted and
prefixes ``common``, ``desk``, ``refusal`` and ``status``; ``{name}`` marks a parameter.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

CATALOGUE = Path(__file__).resolve().parent / "static" / "messages.json"
PREFIXES = ("admin", "common", "desk", "dispatch", "driver", "refusal", "status")
_PARAM = re.compile(r"\{(\w+)\}")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """The catalogue as loaded from :data:`CATALOGUE` (read once per process)."""
    return json.loads(CATALOGUE.read_text(encoding="utf-8"))


def _fill(text: str, params: dict[str, Any]) -> str:
    return _PARAM.sub(lambda m: str(params[m.group(1)]) if m.group(1) in params else m.group(0), text)


def text(key: str, lang: str = "ja", **params: Any) -> str:
    """The message ``key`` in ``lang`` (``ja`` or ``en``) with its parameters filled; KeyError if unknown."""
    return _fill(catalogue()[key][lang], params)


def both(key: str, **params: Any) -> dict[str, str]:
    """``{"ja": ..., "en": ...}`` of ``key`` with its parameters filled."""
    return {"ja": text(key, "ja", **params), "en": text(key, "en", **params)}


def has(key: str) -> bool:
    return key in catalogue()
