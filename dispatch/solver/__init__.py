"""Solvers for :class:`dispatch.problem.RoutingProblem`: OR-Tools routing and the search around it."""

from dispatch.solver.errors import SolverFailed
from dispatch.solver.params import SolveParams
from dispatch.solver.solve import solve

__all__ = ["SolveParams", "SolverFailed", "solve"]
