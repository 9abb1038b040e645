"""Assembles a run's ``report.html`` from the result and the road network (called by ``sim.run``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sim.report.html import run_report
from sim.report.provenance import network_provenance
from sim.report.sections import basis, definitions
from sim.report.tables import cost_sharing, rail_feeder, validation
from sim.scenario import Scenario


def municipality_labels(network) -> list[tuple[str, float, float]]:
    """(``富岡市`` + newline + ``Tomioka``, lat, lon) at the centre of each municipality's 大字 points."""
    out = []
    for m in network.municipalities:
        zones = [p for p in network.places if p.kind == "oaza" and p.jis_code == m.jis_code]
        if zones:
            out.append((f"{m.name_ja}\n{m.name_en}", sum(z.lat for z in zones) / len(zones),
                        sum(z.lon for z in zones) / len(zones)))
    return out


def municipality_names(network) -> dict[str, str]:
    """``富岡市 / Tomioka`` for each municipality, by the English name the KPIs use."""
    return {m.name_en: f"{m.name_ja} / {m.name_en}" for m in network.municipalities}


def station_names(network) -> dict[str, str]:
    """``上州富岡 / Joshu-Tomioka`` for each station, by the English name the KPIs use."""
    return {s.name_en: f"{s.name_ja} / {s.name_en}" for s in network.stations if s.name_ja}


def render_run(scenario: Scenario, kpis: dict[str, Any], records, network, sections: Sequence[str] = ()) -> str:
    """The HTML report of one run."""
    stations = [(s.name_ja or s.name_en, s.lat, s.lon) for s in network.stations]
    names = municipality_names(network)
    parts = [basis(scenario, kpis, network_provenance(network)), validation(scenario, kpis), *sections,
             cost_sharing(kpis, names), rail_feeder(kpis, station_names(network)), definitions()]
    return run_report(scenario, kpis, records, network.graph, stations, municipality_labels(network),
                      sections=parts, names=names)
