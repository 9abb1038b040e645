"""The OR-Tools routing model of a :class:`RoutingProblem`: pickup and delivery with time windows.

Nodes: one start and one end node per vehicle, then a pickup and a drop-off node per request (only a
drop-off for a load already on board), then one node per driver break at a place (or in progress: at
the vehicle's start), fixed to its vehicle, with the break's window and its duration as service time and
the vehicle empty on arrival. A break taken anywhere is an OR-Tools break interval of its vehicle's time
dimension (``SetBreakIntervalsOfVehicle``: it fits in the travel and waiting between two visits), kept
off every ride of that vehicle by a constraint per request; :meth:`PdpModel.read_routes` puts it back
into the visit order between the visits around it. Times are shifted so the earliest vehicle start is 0 and scaled
by ``time_scale`` into integers; travel times are rounded up and latest times down, so a schedule that
is feasible in integers is feasible in the problem's floats too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from ortools.constraint_solver import pywrapcp

from dispatch.problem import BreakSpec, Request, RoutingProblem, VisitKind
from dispatch.solver.params import SolveParams

# Rounding guard (scaled units): keeps float noise such as 2999.9999999 from costing a whole unit.
_EPS = 1e-6

VisitKey = tuple[str, VisitKind]


class PdpModel:
    """A routing model over ``requests`` (a subset of the problem's) and all of the problem's vehicles.

    Parameters
    ----------
    problem
        The problem; matrices in its own units (seconds and metres in dispatch).
    requests
        The requests to model; the others are left out entirely.
    params
        ``time_scale`` (integer scaling of times and distances) and ``vehicle_fixed_cost`` (scaled).
    closed
        Ids of vehicles that may not be used (route elimination, fleet fixed for distance search).
    fixed_costs
        False leaves vehicle fixed costs out (when the fleet is fixed by ``closed`` they are a
        constant, and large arc costs out of the start would skew guided local search).
    soft_required
        Let required requests be left out too, at ``required_penalty`` (above any objective that
        serves them all). The empty plan is then a solution, so a search can start from routes that
        lack some requests, and insertion heuristics that dead-end on tight dial-a-ride instances
        still yield a start; the caller must refuse results that leave a required request out.
        Off by default: with hard requests the insertion heuristics build complete solutions more
        reliably on Li & Lim instances.
    """

    def __init__(
        self,
        problem: RoutingProblem,
        requests: Sequence[Request],
        params: SolveParams,
        closed: frozenset[str] = frozenset(),
        fixed_costs: bool = True,
        soft_required: bool = False,
    ) -> None:
        self.soft_required = soft_required
        self.problem = problem
        self.requests = list(requests)
        self.scale = float(params.time_scale)
        vehicles = problem.vehicles
        self.vehicle_index = {v.id: i for i, v in enumerate(vehicles)}
        n_vehicles = len(vehicles)
        self.t0 = min(v.start_time for v in vehicles)
        self.t_end = max(v.end_time for v in vehicles)
        self.horizon = self._up(self.t_end - self.t0) + 1
        self._dims = load_dimensions(problem)

        # Node table: vehicle starts, vehicle ends, then visits.
        self.visit_of_node: list[VisitKey | None] = [None] * (2 * n_vehicles)
        locs = [v.start for v in vehicles] + [-1 if v.end is None else v.end for v in vehicles]
        service = [0.0] * (2 * n_vehicles)
        windows: list[tuple[float, float]] = [(v.start_time, self.t_end) for v in vehicles] + [
            (self.t0, v.end_time) for v in vehicles
        ]
        demand = [[0] * len(locs) for _ in range(self._dims)]
        self.node_of_visit: dict[VisitKey, int] = {}
        for r in self.requests:
            ends = [] if r.onboard_vehicle is not None else [(VisitKind.PICKUP, r.pickup, r.pickup_service)]
            ends.append((VisitKind.DROPOFF, r.dropoff, r.dropoff_service))
            for kind, loc, dwell in ends:
                node = len(locs)
                self.node_of_visit[(r.id, kind)] = node
                self.visit_of_node.append((r.id, kind))
                locs.append(loc)
                service.append(dwell)
                windows.append(_window(r, kind, float(problem.travel_time[r.pickup, r.dropoff])))
                sign = 1 if kind == VisitKind.PICKUP else -1
                for d in range(self._dims):
                    demand[d].append(sign * r.load[d])
        # Driver breaks: a node for each break at a place (or already locked first), an interval otherwise.
        self.break_nodes: list[tuple[int, int]] = []  # (vehicle index, node)
        self.anywhere: list[tuple[int, BreakSpec]] = []
        for v, vehicle in enumerate(vehicles):
            if vehicle.id in closed:
                continue  # a vehicle left unused has no breaks to take
            locked = set(vehicle.locked)
            for b in vehicle.breaks:
                if b.location is None and (b.id, VisitKind.BREAK) not in locked:
                    self.anywhere.append((v, b))
                    continue
                node = len(locs)
                self.node_of_visit[(b.id, VisitKind.BREAK)] = node
                self.visit_of_node.append((b.id, VisitKind.BREAK))
                locs.append(vehicle.start if b.location is None else b.location)
                service.append(b.duration)
                windows.append(b.window)
                for d in range(self._dims):
                    demand[d].append(0)
                self.break_nodes.append((v, node))
        self.locations = locs
        self.service = service

        self.manager = pywrapcp.RoutingIndexManager(
            len(locs), n_vehicles, list(range(n_vehicles)), list(range(n_vehicles, 2 * n_vehicles))
        )
        self.routing = pywrapcp.RoutingModel(self.manager)
        self._add_costs(params, closed, fixed_costs)
        self._add_time(windows)
        self._add_loads(demand)
        self._add_requests()
        self._add_breaks()
        self._add_locks()

    # ----------------------------------------------------------------- construction
    def _up(self, value: float) -> int:
        return math.ceil(value * self.scale - _EPS)

    def _down(self, value: float) -> int:
        return math.floor(value * self.scale + _EPS)

    def _submatrix(self, matrix: np.ndarray) -> np.ndarray:
        locs = np.asarray(self.locations)
        open_ends = locs < 0
        sub = np.asarray(matrix, dtype=float)[np.ix_(np.where(open_ends, 0, locs), np.where(open_ends, 0, locs))]
        sub[:, open_ends] = 0.0  # an open route ends wherever its last visit is
        sub[open_ends, :] = 0.0
        return sub

    def _add_costs(self, params: SolveParams, closed: frozenset[str], fixed_costs: bool) -> None:
        cost = np.rint(self._submatrix(self.problem.distance) * self.scale).astype(np.int64)
        self.cost_matrix = cost
        callback = self.routing.RegisterTransitMatrix(cost.tolist())
        self.routing.SetArcCostEvaluatorOfAllVehicles(callback)
        self.fixed_costs = [
            round(v.fixed_cost * self.scale) + round(params.vehicle_fixed_cost) for v in self.problem.vehicles
        ]
        for i, vehicle in enumerate(self.problem.vehicles):
            fixed = self.fixed_costs[i]
            if fixed and fixed_costs:
                self.routing.SetFixedCostOfVehicle(int(fixed), i)
            if vehicle.id in closed:
                # A closed vehicle's start may only lead to its end.
                self.routing.NextVar(self.routing.Start(i)).SetValue(self.routing.End(i))

    def _add_time(self, windows: list[tuple[float, float]]) -> None:
        travel = self._submatrix(self.problem.travel_time)
        transit = np.ceil((travel + np.asarray(self.service)[:, None]) * self.scale - _EPS)
        transit = np.maximum(transit, 0).astype(np.int64)
        self.transit_matrix = transit
        callback = self.routing.RegisterTransitMatrix(transit.tolist())
        self.routing.AddDimension(callback, self.horizon, self.horizon, False, "time")
        self.time = self.routing.GetDimensionOrDie("time")
        n_vehicles = len(self.problem.vehicles)
        for node, (lo, hi) in enumerate(windows):
            lo_i = max(0, self._up(max(lo, self.t0) - self.t0))
            hi_i = min(self.horizon, self._down(min(hi, self.t_end) - self.t0))
            if node < n_vehicles:
                index = self.routing.Start(node)
            elif node < 2 * n_vehicles:
                index = self.routing.End(node - n_vehicles)
            else:
                index = self.manager.NodeToIndex(node)
            if lo_i > hi_i:
                # Narrower than one scaled unit: take the enclosing integers; the float re-timing and the
                # validator decide whether the resulting order is really feasible.
                lo_i = max(0, math.floor((max(lo, self.t0) - self.t0) * self.scale))
                hi_i = min(self.horizon, math.ceil((min(hi, self.t_end) - self.t0) * self.scale))
            if lo_i > hi_i:
                raise ValueError(f"empty time window at model node {node} ({self.visit_of_node[node]})")
            self.time.CumulVar(index).SetRange(lo_i, hi_i)

    def _add_loads(self, demand: list[list[int]]) -> None:
        onboard = [[0] * self._dims for _ in self.problem.vehicles]
        for r in self.requests:
            if r.onboard_vehicle is not None:
                v = self.vehicle_index[r.onboard_vehicle]
                onboard[v] = [a + b for a, b in zip(onboard[v], r.load, strict=True)]
        self.loads = []
        for d in range(self._dims):
            callback = self.routing.RegisterUnaryTransitVector(demand[d])
            caps = [int(v.capacity[d]) for v in self.problem.vehicles]
            self.routing.AddDimensionWithVehicleCapacity(callback, 0, caps, False, f"load{d}")
            dim = self.routing.GetDimensionOrDie(f"load{d}")
            for v, vehicle in enumerate(self.problem.vehicles):
                # OR-Tools cannot start a vehicle loaded through demands, so pin the start cumul instead.
                if onboard[v][d] > vehicle.capacity[d]:
                    raise ValueError(f"vehicle {vehicle.id} carries more on board than its capacity")
                dim.CumulVar(self.routing.Start(v)).SetValue(onboard[v][d])
            self.loads.append(dim)

    def _add_requests(self) -> None:
        routing, solver = self.routing, self.routing.solver()
        optional = sum(round(r.penalty * self.scale) for r in self.requests if not r.required)
        big = 10 * (len(self.locations) * int(self.cost_matrix.max(initial=0)) + sum(self.fixed_costs) + optional)
        # Above any objective that serves every required request (so a cost below required_penalty // 2
        # means none is missing), small enough that all penalties together stay inside int64.
        self.required_penalty = int(min(max(big, 10**6), 2**62 // (2 * len(self.locations) + 2)))
        for r in self.requests:
            drop = self.index_of((r.id, VisitKind.DROPOFF))
            allowed = self._allowed(r)
            indices = [drop]
            if r.onboard_vehicle is None:
                pick = self.index_of((r.id, VisitKind.PICKUP))
                indices.append(pick)
                routing.AddPickupAndDelivery(pick, drop)
                solver.Add(routing.VehicleVar(pick) == routing.VehicleVar(drop))
                solver.Add(self.time.CumulVar(pick) <= self.time.CumulVar(drop))
                if r.max_ride is not None:
                    # Ride = drop start - (pickup start + pickup service) <= max_ride, in the CP model.
                    limit = self._down(r.max_ride + r.pickup_service)
                    solver.Add(self.time.CumulVar(drop) - self.time.CumulVar(pick) <= limit)
                    # The same limit as a precedence (pickup >= drop - limit): the search's filters read
                    # precedences but not solver.Add constraints, and without this they accept moves the
                    # CP check then rejects, which stalls insertion on dial-a-ride instances.
                    self.time.AddNodePrecedence(drop, pick, -limit)
            if allowed is not None:
                for index in indices:
                    # SetAllowedVehiclesForIndex does not accept Python lists in 9.15 (SWIG Span), so
                    # restrict the vehicle variable (-1 = not performed), which the vehicle filter reads.
                    routing.VehicleVar(index).SetValues([-1, *allowed])
            must = r.required or r.onboard_vehicle is not None
            if must and not self.soft_required:
                continue
            full = self.required_penalty if must else max(1, round(r.penalty * self.scale))
            for index in indices:
                # Half on each end: leaving the pair out costs the full penalty.
                routing.AddDisjunction([index], max(1, full // 2))

    def _add_breaks(self) -> None:
        """Breaks: nodes fixed to their vehicle with nobody on board; intervals kept off every ride."""
        routing, solver = self.routing, self.routing.solver()
        for v, node in self.break_nodes:
            index = self.manager.NodeToIndex(node)
            routing.VehicleVar(index).SetValues([-1, v] if self.soft_required else [v])
            for dim in self.loads:
                dim.CumulVar(index).SetValue(0)
            if self.soft_required:
                routing.AddDisjunction([index], self.required_penalty)
        self.break_intervals: dict[int, list[tuple[BreakSpec, object]]] = {}
        for v, b in self.anywhere:
            lo = max(0, self._up(max(b.window[0], self.t0) - self.t0))
            hi = min(self.horizon, self._down(b.window[1] - self.t0))
            if lo > hi:
                lo, hi = max(0, math.floor((b.window[0] - self.t0) * self.scale)), max(
                    0, math.ceil((b.window[1] - self.t0) * self.scale)
                )
            interval = solver.FixedDurationIntervalVar(lo, hi, self._up(b.duration), False, b.id)
            self.break_intervals.setdefault(v, []).append((b, interval))
            solver.Add(interval.StartExpr() >= self.time.CumulVar(routing.Start(v)))
            solver.Add(interval.EndExpr() <= self.time.CumulVar(routing.End(v)))
            for r in self.requests:
                allowed = self._allowed(r)
                if allowed is not None and v not in allowed:
                    continue
                drop = self.index_of((r.id, VisitKind.DROPOFF))
                after = interval.StartExpr() >= self.time.CumulVar(drop) + self._up(r.dropoff_service)
                if r.onboard_vehicle is not None:
                    solver.Add(after)
                    continue
                pick = self.index_of((r.id, VisitKind.PICKUP))
                before = solver.IsLessOrEqualVar(interval.EndExpr(), self.time.CumulVar(pick))
                after_var = solver.IsGreaterOrEqualVar(
                    interval.StartExpr(), self.time.CumulVar(drop) + self._up(r.dropoff_service)
                )
                elsewhere = solver.IsDifferentCstVar(routing.VehicleVar(pick), v)
                solver.Add(before + after_var + elsewhere >= 1)
        if self.break_intervals:
            visit = [0] * routing.Size()
            for index in range(routing.Size()):
                if not routing.IsStart(index):
                    visit[index] = self._up(self.service[self.manager.IndexToNode(index)])
            for v, items in self.break_intervals.items():
                self.time.SetBreakIntervalsOfVehicle([iv for _, iv in items], v, visit)

    def _allowed(self, r: Request) -> list[int] | None:
        if r.onboard_vehicle is not None:
            return [self.vehicle_index[r.onboard_vehicle]]
        if r.vehicle_ids:
            return [self.vehicle_index[v] for v in r.vehicle_ids if v in self.vehicle_index]
        return None

    def _add_locks(self) -> None:
        solver = self.routing.solver()
        self.locks: list[list[int]] = []
        for v, vehicle in enumerate(self.problem.vehicles):
            chain = [self.index_of((rid, kind)) for rid, kind in vehicle.locked]
            self.locks.append(chain)
            previous = self.routing.Start(v)
            for index in chain:
                solver.Add(self.routing.NextVar(previous) == index)
                previous = index

    # ----------------------------------------------------------------- translation
    def index_of(self, visit: VisitKey) -> int:
        """OR-Tools variable index of a visit; KeyError if the visit is not modelled."""
        return self.manager.NodeToIndex(self.node_of_visit[visit])

    def index_routes(self, routes: dict[str, Sequence[VisitKey]]) -> list[list[int]]:
        """Per-vehicle lists of variable indices (for warm starts), skipping visits not modelled."""
        out: list[list[int]] = []
        for vehicle in self.problem.vehicles:
            seq = routes.get(vehicle.id, ())
            out.append([self.index_of(k) for k in seq if k in self.node_of_visit])
        return out

    def read_routes(self, assignment: pywrapcp.Assignment) -> dict[str, list[VisitKey]]:
        """The visit order of every vehicle in an assignment."""
        routes: dict[str, list[VisitKey]] = {}
        for v, vehicle in enumerate(self.problem.vehicles):
            seq: list[VisitKey] = []
            ends: list[int] = []  # scaled end of each visit's service
            index = assignment.Value(self.routing.NextVar(self.routing.Start(v)))
            while not self.routing.IsEnd(index):
                node = self.manager.IndexToNode(index)
                visit = self.visit_of_node[node]
                assert visit is not None
                seq.append(visit)
                ends.append(assignment.Min(self.time.CumulVar(index)) + self._up(self.service[node]))
                index = assignment.Value(self.routing.NextVar(index))
            for b, interval in sorted(self.break_intervals.get(v, []), key=lambda x: -assignment.StartValue(x[1])):
                # after every visit whose service is over when the break begins (latest break first)
                at = assignment.StartValue(interval)
                pos = sum(1 for end in ends if end <= at)
                seq.insert(pos, (b.id, VisitKind.BREAK))
                ends.insert(pos, at)
            routes[vehicle.id] = seq
        return routes

    def read_start_times(self, assignment: pywrapcp.Assignment) -> dict[VisitKey, float]:
        """Earliest service start of every routed visit in the assignment, in problem units."""
        out: dict[VisitKey, float] = {}
        for v in range(len(self.problem.vehicles)):
            index = assignment.Value(self.routing.NextVar(self.routing.Start(v)))
            while not self.routing.IsEnd(index):
                visit = self.visit_of_node[self.manager.IndexToNode(index)]
                assert visit is not None
                out[visit] = self.t0 + assignment.Min(self.time.CumulVar(index)) / self.scale
                index = assignment.Value(self.routing.NextVar(index))
            for b, interval in self.break_intervals.get(v, []):
                out[(b.id, VisitKind.BREAK)] = self.t0 + assignment.StartValue(interval) / self.scale
        return out


def _window(r: Request, kind: VisitKind, direct: float) -> tuple[float, float]:
    """Service window of one end, tightened by what the other end implies (``direct``: travel time
    pickup -> drop-off). The bounds only cut times no feasible schedule uses (Cordeau 2006's window
    tightening); they let the search's filters reject hopeless moves early.
    """
    (p_lo, p_hi), (d_lo, d_hi) = r.pickup_window, r.dropoff_window
    ride = r.max_ride
    if r.onboard_vehicle is not None:
        if ride is not None and r.picked_up_at is not None:
            d_hi = min(d_hi, r.picked_up_at + ride)
        return d_lo, d_hi
    if kind == VisitKind.PICKUP:
        lo = p_lo if ride is None else max(p_lo, d_lo - r.pickup_service - ride)
        return lo, min(p_hi, d_hi - r.pickup_service - direct)
    hi = d_hi if ride is None else min(d_hi, p_hi + r.pickup_service + ride)
    return max(d_lo, p_lo + r.pickup_service + direct), hi


def load_dimensions(problem: RoutingProblem) -> int:
    """Number of capacity dimensions; all vehicles and requests must agree on it."""
    sizes = {len(v.capacity) for v in problem.vehicles} | {len(r.load) for r in problem.requests}
    if len(sizes) > 1:
        raise ValueError(f"vehicle capacities and request loads disagree on the number of dimensions: {sizes}")
    return sizes.pop() if sizes else 1
