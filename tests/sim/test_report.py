import html
from pathlib import Path

from matplotlib.text import Text

from sim.records import RunRecords, VehicleRecord
from sim.report import fonts, plots
from sim.report.html import compare_report
from tests.sim.conftest import one_hour
from tests.sim.test_kpis import records

PNG = b"\x89PNG\r\n\x1a\n"


def test_each_figure_is_a_png_even_without_data(network):
    empty = RunRecords(vehicles=[VehicleRecord("V1", 0, "10210", 7, 0, shift_s=3600)])
    full = records()
    full.load_events = [(0, 36300, "V1", 1), (0, 36900, "V1", 2), (0, 37800, "V1", 0)]
    nodes = list(network.graph.nodes)[:3]
    full.edge_metres.update({(nodes[0], nodes[1]): 1000.0})
    full.demand_nodes.update({nodes[2]: 3})
    for recs in (empty, full):
        assert plots.wait_distribution(recs.legs).startswith(PNG)
        assert plots.occupancy_over_day(recs, 1).startswith(PNG)
        assert plots.fleet_utilisation(recs).startswith(PNG)
        assert plots.network_map(network.graph, recs, [("A", 36.26, 138.89)], [("Tomioka", 36.25, 138.88)]
                                 ).startswith(PNG)


def test_compare_report_is_self_contained():
    html = compare_report({"a": {"requests": 3, "rejection_rate": 0.1}, "b": {"requests": 3, "rejection_rate": 0.2}})
    assert html.startswith("<!doctype html>") and "data:image/png;base64," in html
    assert "10.0%" in html and "20.0%" in html


def _captured_figures(monkeypatch):
    """Figures the plot functions draw, checked just before they are saved as PNG."""
    seen = []
    original = plots._png

    def capture(fig):
        primary = {fonts.font_files(t)[0] for t in fig.findobj(Text) if fonts.has_japanese(t.get_text())}
        seen.append((fig, fonts.missing_glyphs(fig), fonts.japanese_texts(fig), primary))
        return original(fig)

    monkeypatch.setattr(plots, "_png", capture)
    return seen


def test_every_figure_draws_japanese_in_a_font_that_has_its_glyphs(network, monkeypatch):
    seen = _captured_figures(monkeypatch)
    recs = records()
    recs.load_events = [(0, 36300, "V1", 1), (0, 37800, "V1", 0)]
    plots.wait_distribution(recs.legs)
    plots.occupancy_over_day(recs, 1)
    plots.fleet_utilisation(recs)
    plots.network_map(network.graph, recs, [("上州富岡", 36.26, 138.89)], [("富岡市\nTomioka", 36.25, 138.88)])
    plots.compare_bars({"a": {"rejection_rate": 0.1}, "b": {"rejection_rate": {"mean": 0.2, "ci95": [0.1, 0.3]}}},
                       [("お断り率 / rejection rate", "rejection_rate")])
    assert len(seen) == 5
    _check_fonts(seen)


def _check_fonts(seen):
    for _fig, missing, japanese, primary in seen:
        assert japanese, "every figure has a Japanese title or axis"
        assert missing == {}, f"tofu: {missing}"
        assert {Path(p).name for p in primary} == {"ipaexg.ttf"}


def test_missing_glyphs_finds_tofu_in_a_latin_only_font():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title("待ち時間", family="DejaVu Sans")
    ax.set_xlabel("wait", family="DejaVu Sans")
    missing = fonts.missing_glyphs(fig)
    plt.close(fig)
    assert set(missing) == {"待ち時間"} and set(missing["待ち時間"]) == set("待ち時間")


def _report(network, kpis, scenario=None):
    from sim.report.compose import render_run

    return render_run(scenario or one_hour(), kpis, records(), network)


def test_report_defines_every_kpi_and_the_words_served_rider_leg_booking(network):
    from sim.kpis import compute_kpis
    from sim.report.labels import KPIS, TERMS

    page = _report(network, compute_kpis(records(), one_hour(), {"10210": "Tomioka"}))
    definitions = page[page.index("定義 / Definitions"):]
    for kpi in KPIS:
        assert html.escape(kpi.label) in definitions and html.escape(kpi.formula) in definitions
    for ja, en, _ in TERMS:
        assert html.escape(ja) in definitions and html.escape(en) in definitions
    for word in ("served", "rider", "leg", "booking"):
        assert f"<td>{word}</td>" in definitions
    assert "MATSim DRT" in definitions and "自治体評価 / Japanese municipal" in definitions


def test_report_says_what_the_figures_rest_on(network):
    from sim.kpis import compute_kpis

    kpis = compute_kpis(records(), one_hour(), {"10210": "Tomioka"})
    page = _report(network, kpis)
    basis = page[page.index("数値の前提 / What the figures rest on"):page.index("定義 / Definitions")]
    assert "facts-skeleton" in basis and "OpenStreetMap ではない" in basis
    assert f"{network.graph.number_of_nodes():,} ノード" in basis
    assert "4,000" in basis  # the demand calibration
    from routing.provenance import network_provenance

    calibration = network_provenance(network)["calibration"]  # what `routing calibrate --record` measured
    assert calibration is not None
    assert f"中央値比 {calibration['median_ratio']:.2f}" in basis and f"{calibration['pairs']} 区間" in basis
    assert "1 回 (ばらつきの幅は示せない)" in basis and "<td>7</td>" in basis  # replications, seed


def test_report_shows_replicated_kpis_with_their_interval(network):
    from sim.kpis import compute_kpis
    from sim.report.sections import replication_count

    kpis = compute_kpis(records(), one_hour(), {"10210": "Tomioka"})
    kpis["rejection_rate"] = {"mean": 0.2, "ci95": [0.15, 0.25], "n": 5, "values": [0.1, 0.2, 0.2, 0.2, 0.3]}
    kpis["wait_min"]["mean"] = {"mean": 7.25, "ci95": [6.5, 8.0], "n": 5, "values": [7, 7, 7, 7, 8.25]}
    kpis["requests"] = {"mean": 6.4, "ci95": [5.9, 6.9], "n": 5, "values": [6, 6, 7, 7, 6]}
    assert replication_count(kpis) == 5
    page = _report(network, kpis)
    assert "20.0% [15.0% – 25.0%]" in page
    assert "7.2 [6.5 – 8.0]" in page
    assert "6.4 [5.9 – 6.9]" in page  # a mean count prints a decimal
    assert "5 回 (平均と95%信頼区間)" in page


def test_every_heading_and_table_header_is_japanese_then_english(network):
    import re

    from sim.kpis import compute_kpis
    from sim.report.fonts import has_japanese
    from sim.scenario import load_scenario

    scenario = load_scenario(Path(__file__).resolve().parents[2] / "sim" / "scenarios" / "baseline_municipal.yaml")
    page = _report(network, compute_kpis(records(), scenario, {"10210": "Tomioka", "10382": "Shimonita"}), scenario)
    cells = re.findall(r"<(th|h1|h2|h3)>(.*?)</\1>", page)
    assert len(cells) > 40
    for tag, content in cells:
        ja, _, en = html.unescape(content).partition(" / ")
        assert has_japanese(ja) and en and not has_japanese(en[:1]), f"<{tag}> {content!r}"


def test_sweep_plots_draw_japanese_in_a_font_that_has_its_glyphs(monkeypatch):
    import matplotlib.figure

    from sim.sweep import output
    from sim.sweep.grid import GridPoint
    from sim.sweep.runner import PointResult

    seen = []
    original = matplotlib.figure.Figure.savefig

    def capture(fig, *args, **kwargs):
        primary = {fonts.font_files(t)[0] for t in fig.findobj(Text) if fonts.has_japanese(t.get_text())}
        seen.append((fig, fonts.missing_glyphs(fig), fonts.japanese_texts(fig), primary))
        return original(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", capture)
    results = [PointResult(GridPoint(i, {"fleets.Tomioka.vehicles": v}, one_hour()), [1, 2],
                           kpis={"rejection_rate": {"mean": 0.3 - 0.05 * i, "ci95": [0.2 - 0.05 * i, 0.4 - 0.05 * i],
                                                    "n": 2, "values": []}})
               for i, v in enumerate((4, 5, 6))]
    for kpi, title, unit in output.PLOTS[:1]:
        assert output.plot(["fleets.Tomioka.vehicles"], results, kpi, title, unit).startswith(PNG)
    assert len(seen) == 1
    _check_fonts(seen)


def test_compare_report_shows_the_paired_difference_and_its_interval():
    from sim.paired import compare_document

    def side(values):
        mean = sum(values) / len(values)
        return {"rejection_rate": {"mean": mean, "ci95": [mean - 0.01, mean + 0.01], "n": 3, "values": values},
                "requests": {"mean": 193.0, "ci95": [190.0, 196.0], "n": 3, "values": [190, 193, 196]}}

    a, b = side([0.30, 0.32, 0.34]), side([0.20, 0.23, 0.26])
    document = compare_document(("base", "wide"), (a, b), [1, 2, 3])
    page = compare_report({"base": {"rejection_rate": 0.32}, "wide": {"rejection_rate": 0.23}}, document)
    assert "差 B−A [95%信頼区間] / difference B−A [95% CI]" in page
    row = page[page.index("お断り率 / rejection rate"):]
    row = row[:row.index("</tr>")]
    assert "32.0%" in row and "23.0%" in row and "-9.0%" in row and "あり / yes" in row
    requests = page[page.index("依頼件数 / trip requests"):]
    assert "なし (n.s.) / not significant" in requests[:requests.index("</tr>")]
