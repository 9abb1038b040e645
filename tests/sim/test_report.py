from sim.records import RunRecords, VehicleRecord
from sim.report import plots
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
