"""Readers for the public benchmark instances (Li & Lim PDPTW, Cordeau DARP) and their best-known values.

The instance files live outside the repository (``../shared/bench_data`` by default); nothing here is
data, only parsers that turn the text formats into :class:`dispatch.problem.RoutingProblem`.
"""

from benchmarks.instances.bks import BestKnown, read_bks
from benchmarks.instances.common import BenchInstance, default_data_dir
from benchmarks.instances.cordeau import read_cordeau
from benchmarks.instances.li_lim import read_li_lim

__all__ = ["BenchInstance", "BestKnown", "default_data_dir", "read_bks", "read_cordeau", "read_li_lim"]
