"""Ruin and recreate in plain Python and numpy (the SISR family of Christiaens & Vanden Berghe).

Routes are lists of visit codes over flat arrays (:mod:`.flat`); each route keeps its earliest
schedule, latest arrivals and load prefix (:mod:`.route`) so an insertion is checked in a few numpy
operations (:mod:`.insert`). :mod:`.search` runs simulated annealing on distance, :mod:`.fleet`
empties whole routes (vehicles first), :mod:`.parallel` runs independent seeds in processes.
"""

from dispatch.solver.rr.params import RrParams

__all__ = ["RrParams"]
