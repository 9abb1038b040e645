from pathlib import Path

from matplotlib.text import Text

from sim.records import RunRecords, VehicleRecord
from sim.report import fonts, plots
from sim.report.html import compare_report
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
