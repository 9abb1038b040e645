"""Solvers for :class:`dispatch.problem.RoutingProblem`: OR-Tools routing and the search around it."""

from dispatch.solver.params import SolveParams

__all__ = ["SolveParams"]
