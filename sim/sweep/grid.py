"""The grid of a sweep: ``--vary KEY=V1,V2`` by dotted scenario path, applied to the scenario file's data.

Paths follow the YAML: ``demand.scale``, ``operating_model``, ``rules.max_wait_s``,
``reoptimisation.every``. A list is entered by index or, for ``fleets``, by municipality:
``fleets.Tomioka.vehicles`` (``fleets.0.vehicles``). ``service_hours=08:00-17:00,08:00-19:00`` sets the
service hours and every fleet's shift at once. Values are read as integers, decimals, ``true``/``false``/
``null`` or text. Every point is validated before anything runs, so a bad key or value is reported
(with its path) up front.
"""

from __future__ import annotations

import copy
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.scenario import Scenario, scenario_from_data
from sim.schema import ScenarioError

SERVICE_HOURS = "service_hours"
_HOURS = re.compile(r"^(\d{1,2}:\d{2})-(\d{1,2}:\d{2})$")


@dataclass(frozen=True)
class Variation:
    """One ``--vary``: a dotted key and the values it takes."""

    key: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class GridPoint:
    """One scenario variant: its index in the grid, the values of the varied keys, the scenario."""

    index: int
    values: dict[str, Any]
    scenario: Scenario

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.values.items())


def parse_value(text: str) -> Any:
    """A value written on the command line: int, float, bool, null or text."""
    t = text.strip()
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "none"):
        return None
    for kind in (int, float):
        try:
            return kind(t)
        except ValueError:
            pass
    return t


def parse_variation(text: str) -> Variation:
    """``KEY=V1,V2,...`` -> :class:`Variation`; a malformed one is a :class:`ScenarioError`."""
    key, sep, values = text.partition("=")
    key = key.strip()
    if not sep or not key or not values.strip():
        raise ScenarioError(f"--vary {text!r}: expected KEY=V1,V2,... (e.g. fleets.Tomioka.vehicles=4,5,6)")
    if not re.fullmatch(r"[A-Za-z0-9_\-.]+", key):
        raise ScenarioError(f"--vary {text!r}: a key is a dotted path of names and indices")
    parsed = tuple(parse_value(v) for v in values.split(","))
    if any(v == "" for v in parsed):
        raise ScenarioError(f"--vary {key}: empty value in {values!r}")
    if len(set(map(repr, parsed))) != len(parsed):
        raise ScenarioError(f"--vary {key}: a value is repeated in {values!r}")
    return Variation(key, parsed)


def apply(data: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of the scenario document with ``key`` (dotted path) set to ``value``."""
    out = copy.deepcopy(data)
    if key == SERVICE_HOURS:
        return _service_hours(out, value)
    parts = key.split(".")
    node: Any = out
    for depth, part in enumerate(parts[:-1]):
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            node = node[_list_index(node, part, where)]
        elif isinstance(node, dict):
            if part not in node or node[part] is None:
                node[part] = {}
            node = node[part]
        else:
            raise ScenarioError(f"--vary {key}: {'.'.join(parts[:depth])} is a value, not a section")
    last = parts[-1]
    if isinstance(node, list):
        node[_list_index(node, last, key)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ScenarioError(f"--vary {key}: {'.'.join(parts[:-1])} is a value, not a section")
    return out


def _list_index(items: list[Any], part: str, where: str) -> int:
    if part.isdigit():
        if int(part) >= len(items):
            raise ScenarioError(f"--vary: {where}: index out of range (the list has {len(items)} entries)")
        return int(part)
    names = [str(item.get("municipality", "")) for item in items if isinstance(item, dict)]
    for i, item in enumerate(items):
        if isinstance(item, dict) and str(item.get("municipality", "")).lower() == part.lower():
            return i
    raise ScenarioError(f"--vary: {where}: no entry for {part!r} (have: {', '.join(names) or 'none'})")


def _service_hours(data: dict[str, Any], value: Any) -> dict[str, Any]:
    match = _HOURS.match(str(value))
    if not match:
        raise ScenarioError(f"--vary service_hours: expected START-END like 08:00-17:00, got {value!r}")
    start, end = match.groups()
    data.setdefault("rules", {})
    data["rules"]["service_start"], data["rules"]["service_end"] = start, end
    for fleet in data.get("fleets") or []:
        fleet["shifts"] = [[start, end]]
    return data


def build_grid(data: dict[str, Any], path: str | Path, variations: list[Variation]) -> list[GridPoint]:
    """Every combination of the variations as a validated scenario (first key varies slowest)."""
    if not variations:
        raise ScenarioError("sweep: give at least one --vary KEY=V1,V2,...")
    keys = [v.key for v in variations]
    if len(set(keys)) != len(keys):
        raise ScenarioError("sweep: a key is varied twice")
    points = []
    for index, combo in enumerate(itertools.product(*(v.values for v in variations))):
        doc = data
        for key, value in zip(keys, combo, strict=True):
            doc = apply(doc, key, value)
        values = dict(zip(keys, combo, strict=True))
        label = ", ".join(f"{k}={v}" for k, v in values.items())
        try:
            scenario = scenario_from_data(doc, path)
        except ScenarioError as exc:
            raise ScenarioError(f"sweep point {label}: {exc}") from None
        points.append(GridPoint(index, values, scenario))
    return points


def fleet_keys(variations: list[Variation]) -> dict[str, str]:
    """Varied fleet sizes: ``--vary`` key -> municipality as written (``fleets.Tomioka.vehicles``)."""
    out = {}
    for v in variations:
        parts = v.key.split(".")
        if len(parts) == 3 and parts[0] == "fleets" and parts[2] == "vehicles":
            out[v.key] = parts[1]
    return out
