"""The event loop stands above the trip driver: imports inside ``sim`` form no loop."""

from __future__ import annotations

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parents[2] / "sim"


def _sim_imports(module: str) -> set[str]:
    """Modules of ``sim`` that ``sim/<module>.py`` imports anywhere (type-checking blocks included)."""
    tree = ast.parse((SIM / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim."):
            found.add(node.module.removeprefix("sim."))
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("sim.") for a in node.names if a.name.startswith("sim.")}
    return found


def test_trip_driver_and_legs_do_not_reach_up_to_the_event_loop():
    assert "engine" not in _sim_imports("trip_driver")
    assert "engine" not in _sim_imports("legs")
    assert "trip_driver" not in _sim_imports("legs")
    assert "engine" in _sim_imports("run") and "trip_driver" in _sim_imports("engine")


def test_no_import_cycle_among_sim_modules():
    modules = [p.stem for p in SIM.glob("*.py") if p.stem != "__init__"]
    graph = {m: {d for d in _sim_imports(m) if d in modules} for m in modules}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in graph[m]:
            assert state.get(d) != 1, "import loop: " + " -> ".join([*path, m, d])
            if d not in state:
                visit(d, [*path, m])
        state[m] = 2

    for m in modules:
        if m not in state:
            visit(m, [])
