"""Look-ups of the regional facts the scenario refers to by name: municipalities and places."""

from __future__ import annotations

from routing.facts import Municipality, Place, RegionFacts
from sim.schema import ScenarioError


def resolve_municipality(facts: RegionFacts, text: str, path: str = "municipality") -> Municipality:
    """The municipality named by English name, Japanese name or JIS code (case-insensitive)."""
    wanted = str(text).strip().lower()
    for m in facts.municipalities:
        if wanted in (m.jis_code, m.name_ja, m.name_en.lower()):
            return m
    known = ", ".join(f"{m.name_en} ({m.jis_code})" for m in facts.municipalities)
    raise ScenarioError(f"{path}: unknown municipality {text!r}; known: {known}")


def resolve_place(facts: RegionFacts, key: str, path: str = "place") -> Place:
    """The place with ``key`` (``st:Shimonita``, ``tomioka_general_hospital``, ``oz:南牧村/大日向``)."""
    place = facts.by_key().get(str(key))
    if place is None:
        raise ScenarioError(f"{path}: unknown place {key!r} (use a station key like 'st:Shimonita', a landmark "
                            "key from landmarks.csv or a 大字 key like 'oz:富岡市/七日市')")
    return place


def municipality_codes(facts: RegionFacts, mapping: dict[str, object], path: str) -> dict[str, object]:
    """Re-key a mapping written with municipality names by JIS code."""
    return {resolve_municipality(facts, k, f"{path}.{k}").jis_code: v for k, v in mapping.items()}
