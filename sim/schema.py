"""Strict conversion of parsed YAML into frozen dataclasses, with errors that name the bad key.

Scenario files are written by planners, so every mistake (an unknown key, a string where a number
belongs, a clock time like ``8:70``) is reported with its dotted path (``fleets[1].seats``) instead of
surfacing later as a stack trace.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Any, Union, get_args, get_origin, get_type_hints


class ScenarioError(ValueError):
    """A scenario or demand input is invalid; the message says where and what."""


class Clock(int):
    """Seconds since the service day's midnight, written ``"HH:MM"``/``"HH:MM:SS"`` or as an integer."""


class Duration(int):
    """Seconds, written as an integer number of seconds or ``"90s"``, ``"15min"``, ``"2h"``."""


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|sec|min|h)$")


def parse_clock(value: Any, path: str) -> Clock:
    """Read a clock time (``"08:30"`` or seconds); hours may exceed 23 for after-midnight service."""
    if isinstance(value, bool):
        raise ScenarioError(f"{path}: expected a time like '08:30', got {value!r}")
    if isinstance(value, int):
        return Clock(value)
    match = _CLOCK.match(str(value).strip())
    if not match or int(match.group(2)) >= 60 or int(match.group(3) or 0) >= 60:
        raise ScenarioError(f"{path}: expected a time like '08:30', got {value!r}")
    return Clock(int(match.group(1)) * 3600 + int(match.group(2)) * 60 + int(match.group(3) or 0))


def parse_duration(value: Any, path: str) -> Duration:
    """Read a duration in seconds from an integer or ``"15min"``-style text."""
    if isinstance(value, bool):
        raise ScenarioError(f"{path}: expected a duration like '15min', got {value!r}")
    if isinstance(value, int | float) and value >= 0:
        return Duration(round(value))
    match = _DURATION.match(str(value).strip())
    if not match:
        raise ScenarioError(f"{path}: expected a non-negative duration like 900, '15min' or '2h', got {value!r}")
    factor = {"s": 1, "sec": 1, "min": 60, "h": 3600}[match.group(2)]
    return Duration(round(float(match.group(1)) * factor))


def build(cls: type, data: Any, path: str) -> Any:
    """Build dataclass ``cls`` from a mapping, checking keys and types recursively.

    Parameters
    ----------
    cls
        A dataclass whose fields have type hints (``int``, ``float``, ``str``, ``bool``, ``Clock``,
        ``Duration``, nested dataclasses, ``list[...]``, ``tuple[...]``, ``dict[str, ...]``, ``X | None``).
    data
        The parsed YAML value (``None`` means "all defaults").
    path
        Dotted location of ``data`` in the file, for error messages.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(f"{path or 'scenario'}: expected a mapping, got {type(data).__name__}")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    unknown = sorted(str(k) for k in data if k not in fields)
    if unknown:
        where = f"{path}: " if path else ""
        raise ScenarioError(f"{where}unknown key(s) {', '.join(unknown)}; allowed: {', '.join(fields)}")
    kwargs: dict[str, Any] = {}
    for name, field in fields.items():
        sub = f"{path}.{name}" if path else name
        if name in data:
            kwargs[name] = convert(hints[name], data[name], sub)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ScenarioError(f"{sub}: required key is missing")
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise ScenarioError(f"{path or 'scenario'}: {exc}") from None


def convert(hint: Any, value: Any, path: str) -> Any:
    """Convert one YAML value to the type ``hint`` or raise :class:`ScenarioError` naming ``path``."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return convert(option, value, path)
            except ScenarioError as exc:
                errors.append(str(exc))
        raise ScenarioError(errors[0] if len(errors) == 1 else f"{path}: {value!r} fits none of the allowed forms")
    if origin is typing.Literal:
        if value not in get_args(hint):
            allowed = ", ".join(map(str, get_args(hint)))
            raise ScenarioError(f"{path}: {value!r} is not one of {allowed}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise ScenarioError(f"{path}: expected a list, got {type(value).__name__}")
        args = get_args(hint)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise ScenarioError(f"{path}: expected {len(args)} items, got {len(value)}")
            return tuple(convert(a, v, f"{path}[{i}]") for i, (a, v) in enumerate(zip(args, value, strict=True)))
        item = args[0] if args else Any
        items = [convert(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise ScenarioError(f"{path}: expected a mapping, got {type(value).__name__}")
        key_t, val_t = get_args(hint) or (Any, Any)
        return {convert(key_t, k, f"{path}") : convert(val_t, v, f"{path}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        return build(hint, value, path)
    return _scalar(hint, value, path)


def _scalar(hint: Any, value: Any, path: str) -> Any:
    if hint is Any:
        return value
    if hint is Clock:
        return parse_clock(value, path)
    if hint is Duration:
        return parse_duration(value, path)
    if hint is bool:
        if not isinstance(value, bool):
            raise ScenarioError(f"{path}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(f"{path}: expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(f"{path}: expected a number, got {value!r}")
        return float(value)
    if hint is str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ScenarioError(f"{path}: expected text, got {value!r}")
        return str(value)
    raise ScenarioError(f"{path}: unsupported type {hint!r}")
