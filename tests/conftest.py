"""Suite-wide setup: the solver's compiled kernels are built before the first test.

Worker processes started by the API and reliability tests re-optimise by ruin and recreate and load
its kernels when they start; on a fresh checkout the first load compiles them (tens of seconds of
CPU), which a test waiting for its worker must not pay. Compiled once here, every later process
reads them from the on-disk cache.
"""

from __future__ import annotations


def pytest_sessionstart(session) -> None:  # noqa: ANN001
    from dispatch.solver.rr import warm_up

    warm_up()
