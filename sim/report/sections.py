"""Report sections that explain the numbers: definitions (定義) and what the figures rest on (数値の前提)."""

from __future__ import annotations

import html
from typing import Any

from sim.report.html import h, table
from sim.report.labels import KPIS, TERMS, text
from sim.report.provenance import NetworkProvenance
from sim.report.values import is_replicated
from sim.scenario import Scenario


def definitions() -> str:
    """The 定義 section: the words (request, booking, leg, rider, served) and every KPI's formula and convention."""
    terms = table([text("term_ja"), text("term_en"), text("meaning")], [list(t) for t in TERMS], numeric_from=9)
    kpis = table([text("kpi"), text("formula"), text("convention")],
                 [[k.label, k.formula, k.convention] for k in KPIS], numeric_from=9)
    return (h(2, "definitions") + h(3, "terms") + terms + h(3, "kpis") + kpis
            + "<p class=meta>待ち時間・乗車時間・迂回率はタクシー区間ごと、件数は依頼ごと、利用者は人ごと。"
              "区間の時刻はすべて運行日の0時からの秒、距離はメートルで記録し、表では分・km で示す。 / Waits, rides "
              "and detours are per taxi leg, counts per request, riders per person. Times are recorded in seconds "
              "since the service day's midnight and distances in metres; tables show minutes and km.</p>")


def replication_count(kpis: dict[str, Any]) -> int:
    """How many replications the KPIs summarise (1 for a single run)."""
    given = kpis.get("replications")
    if isinstance(given, int) and given > 0:
        return given
    for value in kpis.values():
        if is_replicated(value):
            return int(value.get("n") or len(value.get("values") or ()) or 1)
    return 1


def _demand_rows(scenario: Scenario) -> list[list[str]]:
    spec = scenario.demand
    if spec.source == "replay":
        return [["需要 / demand", f"予約記録の再生 / replayed bookings: {html.escape(spec.replay_csv or '')}"]]
    year = getattr(spec, "year", None)
    rows = [
        ["需要モデル / demand model",
         "合成需要: 市町村の人口を65歳以上とそれ以外に分け、1,000人あたりの1日の外出率 "
         f"(高齢者 {spec.tours_per_1000_elderly:g}、その他 {spec.tours_per_1000_other:g}) で依頼を発生、"
         "目的別の重力モデルで行き先を選ぶ / synthetic: residents split into aged 65+ and others, outbound trips "
         "at daily rates per 1,000, destinations by a gravity model per purpose"],
        ["需要の較正 / demand calibration",
         "富岡市の住民だけで月約4,000回 (愛タク 2021年末の実績) になるよう外出率を設定 "
         f"(倍率 demand.scale = {spec.scale:g}) / rates set so that Tomioka alone gives about 4,000 rides a month, "
         "the figure of its 愛タク at the end of 2021"],
        ["人口の基準年 / population year",
         f"{year} 年 (社人研推計で人口と高齢化率を補正) / {year} (IPSS projection scales population and aged share)"
         if year else "2020年国勢調査 / 2020 census"],
    ]
    return rows


def basis(scenario: Scenario, kpis: dict[str, Any], network: NetworkProvenance) -> str:
    """The 数値の前提 section: road network, demand model and calibration, replications, seed."""
    low, high = network.band
    ratio = (f"バス時刻表に対する所要時間の中央値比 {network.bus_time_ratio:.2f}、{low:.2f}-{high:.2f} 内 "
             f"{network.share_in_band or 0:.0%}（{network.pairs} 区間; routing calibrate）/ median ratio to scheduled "
             f"bus times {network.bus_time_ratio:.2f}, {network.share_in_band or 0:.0%} of {network.pairs} pairs in "
             f"{low:.2f}-{high:.2f}" if network.bus_time_ratio is not None else
             "バス時刻表との照合は未実施; 3区間の所要時間を公表値と照合済み (docs/routing.md) / not yet checked "
             "against bus timetables; three drive times checked against published figures (docs/routing.md)")
    n = replication_count(kpis)
    seeds = kpis.get("seeds")
    seed_text = f"{scenario.seed}" + (f" (各回 / per replication: {', '.join(map(str, seeds))})"
                                      if isinstance(seeds, list) and seeds else "")
    rows = [
        ["道路網 / road network", f"{html.escape(network.kind_ja)} / {html.escape(network.kind_en)} "
                                 f"(<code>{html.escape(network.kind)}</code>)"],
        ["道路網ファイル / network file",
         f"{html.escape(network.source or '-')}, {network.built or '-'}; "
         f"{network.nodes:,} ノード / nodes, {network.edges:,} リンク / directed edges"],
        ["所要時間の較正 / drive-time calibration", ratio],
        *_demand_rows(scenario),
        ["反復回数 / replications",
         f"{n} 回 (平均と95%信頼区間) / {n} (mean and 95% confidence interval)" if n > 1 else
         "1 回 (ばらつきの幅は示せない) / 1 (no measure of spread)"],
        ["乱数シード / seed", seed_text],
        ["運行日数 / service days", f"{scenario.days}"],
    ]
    body = "".join(f"<tr><td>{label}</td><td>{detail}</td></tr>" for label, detail in rows)
    note = ""
    if network.kind == "facts-skeleton":
        note = ("<p class=note>道路網は公開情報から作った骨格網で、実際の道路より単純です。"
                "所要時間・走行キロは目安です。 / The road network is a skeleton built from public facts, "
                "simpler than the real roads: drive times and vehicle-km are estimates.</p>")
    return (h(2, "basis") + note + f"<table><tr><th>{text('item')}</th><th>{text('detail')}</th></tr>{body}</table>")
