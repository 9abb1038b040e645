"""`make demo` installs only what the simulator needs; `make test` and `make bench` add their extras."""

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _plan(target: str, tmp_path: Path) -> list[str]:
    """The commands ``make -n TARGET`` would run with a virtualenv that does not exist yet."""
    out = subprocess.run(["make", "-n", target, f"VENV={tmp_path / 'venv'}"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return [line for line in out.splitlines() if "pip install" in line]


def test_demo_installs_the_package_without_extras(tmp_path):
    installs = _plan("demo", tmp_path)
    assert installs and all(line.rstrip().endswith("-e .") or "--upgrade pip" in line for line in installs)
    assert not any("[" in line for line in installs)


def test_test_and_bench_add_their_extras_on_top(tmp_path):
    test = _plan("test", tmp_path)
    bench = _plan("bench", tmp_path)
    assert any("'.[dev]'" in line for line in test) and not any("dev,bench" in line for line in test)
    assert any("'.[dev,bench]'" in line for line in bench)


def test_core_dependencies_leave_out_test_bench_and_server_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = {d.split(">")[0].split("[")[0].split(";")[0].strip().lower() for d in project["dependencies"]}
    for package in ("pytest", "selenium", "schemathesis", "hypothesis", "pyvrp", "fastapi", "redis", "sqlalchemy"):
        assert package not in core
    for package in ("ortools", "matplotlib", "matplotlib-fontja", "openpyxl", "pyyaml", "osmnx"):
        assert package in core
    extras = project["optional-dependencies"]
    assert "kanra-tomioka-drt[api]" in extras["dev"] and "pyvrp>=0.14" in extras["bench"]
