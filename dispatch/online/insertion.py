"""Cheapest feasible insertion of one booking into the vehicles' plans.

For each vehicle every (pickup gap, drop-off gap) pair is scored in one numpy pass over arrays cached
with the vehicle's timed plan (:class:`RouteArrays`): added drive time, the booking's own windows and ride
limit, capacity in both dimensions (seats, wheelchair places), and whether the delay it causes fits the
plan's *latest arrival* at the next stop (forward time slack after Savelsbergh, including the ride limits
of riders already picked up). The pruning is a close estimate, not the proof: candidates are then tried
cheapest first with the exact route scheduler and checker (:func:`dispatch.validator.schedule_route`), so
every accepted insertion validates.

Driver breaks are items of the plan too: a break at a place is scored as a stop there; one taken
anywhere is where the new stop before it is (no drive into it), and a stop after it is reached from the
last located stop with the rest added (as the validator reads it). No candidate carries the new rider
across a break (the vehicle is empty during one).

Gap ``g`` of a plan with ``k`` stops is the leg into stop ``g`` (``g = k``: the leg back to the depot).
Times in seconds, costs in seconds of added driving plus ``delay_weight`` x seconds of delay imposed on
the next planned stops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dispatch.costs import TravelCache
from dispatch.online.state import SeqItem, VehicleState, sub_problem
from dispatch.problem import Request, Visit, VisitKind
from dispatch.validator import schedule_route

INF = float("inf")


@dataclass(frozen=True)
class InsertionParams:
    """Knobs of the insertion search.

    Parameters
    ----------
    delay_weight
        Cost per second of delay caused to the next planned stop(s) (existing riders), relative to a
        second of added driving.
    max_exact_checks
        How many of the cheapest candidates are scheduled exactly before giving up on this booking.
    """

    delay_weight: float = 0.1
    max_exact_checks: int = 60


@dataclass
class RouteArrays:
    """Numbers of one timed plan, indexed by gap, that every insertion query reads."""

    k: int
    locked: int
    prev: np.ndarray
    next: np.ndarray
    dep_prev: np.ndarray
    start_next: np.ndarray
    base: np.ndarray
    latest_arrival: np.ndarray
    waits_cum: np.ndarray
    load_before: np.ndarray
    after_break: np.ndarray | None = None  # gap g's leg leaves a break (a rider may not be carried across)
    breaks: BreakArrays | None = None


@dataclass
class BreakArrays:
    """Per gap, what breaks taken anywhere change (see :func:`route_arrays`).

    ``into_any``: the gap leads into a break taken anywhere (a stop inserted there is where the break is
    taken: no drive out of it into the break). ``free_from``: for a gap after such a break, the departure
    from the last located stop plus the rest since (a stop is reached at ``max(dep_prev, free_from +
    drive)``); -inf elsewhere. ``beyond``: the next located stop's node (for the detour's cost).
    """

    into_any: np.ndarray
    free_from: np.ndarray
    beyond: np.ndarray

    @staticmethod
    def plain(size: int, nxt: np.ndarray) -> BreakArrays:
        return BreakArrays(np.zeros(size, dtype=bool), np.full(size, -INF), np.asarray(nxt, dtype=np.int64))


@dataclass(frozen=True)
class Insertion:
    """A feasible insertion: the new visit order and its exact schedule."""

    vehicle_id: str
    pickup_gap: int
    dropoff_gap: int
    cost: float
    sequence: list[SeqItem]
    visits: list[Visit]


def route_arrays(vs: VehicleState, cache: TravelCache, now: int) -> RouteArrays:
    """Cache the plan's gap arrays; call after every change of ``vs``'s plan.

    The arrays describe the *earliest* timing of the visit order (no pickup delayed), and ride limits
    count a pickup as if it could still be delayed to its latest start: every bound is optimistic, so
    pruning never drops an insertion the exact scheduler would accept (tests compare with brute force).
    """
    assert vs.position is not None
    k = len(vs.sequence)
    reqs = vs.requests
    nodes = [cache.index(vs.position.node)]
    end = cache.index(vs.shift.return_depot.node)
    t = cache.seconds  # after every index() call: a new node regrows the arrays
    early, latest, service = np.empty(k), np.empty(k), np.empty(k)
    after_break = np.zeros(k + 1, dtype=bool)
    anywhere = np.zeros(k + 1, dtype=bool)  # item m is a break taken anywhere (k: the depot, never)
    spec_breaks = {b.id: b for b in vs.spec(cache, now).breaks} if vs.breaks or vs.shift_breaks else {}
    for m, (rid, kind) in enumerate(vs.sequence):
        if kind == VisitKind.BREAK:
            b = spec_breaks[rid]
            nodes.append(nodes[-1] if b.location is None else b.location)
            early[m], latest[m] = b.window
            service[m] = b.duration
            after_break[m + 1] = True
            anywhere[m] = b.location is None
            continue
        r = reqs[rid]
        pickup = kind == VisitKind.PICKUP
        nodes.append(r.pickup if pickup else r.dropoff)
        window = r.pickup_window if pickup else r.dropoff_window
        early[m], latest[m] = window
        service[m] = r.pickup_service if pickup else r.dropoff_service
    prev = np.asarray(nodes, dtype=np.int64)
    nxt = np.asarray(nodes[1:] + [end], dtype=np.int64)
    base = t[prev, nxt]
    start, dep, waits = np.empty(k), np.empty(k), np.zeros(k)
    clock = float(vs.start_time(now))
    free_from = np.full(k + 1, -INF)
    drive_from, rested = clock, 0.0
    for m in range(k):
        if anywhere[m]:
            arrival = clock
        else:
            arrival = max(clock, drive_from + rested + base[m]) if m and anywhere[m - 1] else clock + base[m]
        start[m] = max(arrival, early[m])
        waits[m] = start[m] - arrival
        dep[m] = clock = start[m] + service[m]
        if anywhere[m]:
            rested += service[m]
            free_from[m + 1] = drive_from + rested
        else:
            drive_from, rested = clock, 0.0
    if anywhere.any():
        beyond = nxt_nodes = np.asarray(nodes[1:] + [end], dtype=np.int64).copy()
        for m in range(k - 1, -1, -1):
            if anywhere[m]:
                beyond[m] = beyond[m + 1] if m + 1 < k else end
        del nxt_nodes
        breaks: BreakArrays | None = BreakArrays(anywhere.copy(), free_from, beyond)
    else:
        breaks = None
    waits[:1] = 0.0  # the wait before the first stop depends on when the query is made; never summed
    wc = np.cumsum(waits)
    load = np.zeros((k + 1, 2), dtype=np.int64)
    for rid in vs.onboard:
        load[0] += reqs[rid].load
    best = np.full(k + 1, INF)  # min over the bounds that apply to gap g of (slack + cumulative waits)
    left: dict[str, tuple[int, float, float]] = {}
    for rid in vs.onboard:
        r = reqs[rid]
        left[rid] = (-1, r.picked_up_at if r.picked_up_at is not None else -INF, 0.0)
    for m, (rid, kind) in enumerate(vs.sequence):
        if kind == VisitKind.BREAK:
            load[m + 1] = load[m]
            continue
        r = reqs[rid]
        if kind == VisitKind.PICKUP:
            load[m + 1] = load[m] + r.load
            left[rid] = (m, dep[m], latest[m] - start[m])
        else:
            load[m + 1] = load[m] - np.asarray(r.load)
            q, began, delayable = left.get(rid, (-1, -INF, 0.0))
            if r.max_ride is not None and began > -INF:
                value = max(r.max_ride - (start[m] - began) + max(delayable, 0.0), 0.0) + wc[m]
                best[q + 1 : m + 1] = np.minimum(best[q + 1 : m + 1], value)
    if k:
        slack = np.maximum(latest - start, 0.0) + wc
        arrive_end = dep[-1] + base[k]
        end_value = max(vs.end_time - arrive_end, 0.0) + wc[-1]
        suffix = np.minimum.accumulate(np.concatenate((slack, [end_value]))[::-1])[::-1]
        best = np.minimum(best, suffix)
    la = np.empty(k + 1)
    la[:k] = start - wc + best[:k]
    la[k] = vs.end_time
    dep_prev = np.concatenate(([np.nan], dep))
    start_next = np.concatenate((start, [INF]))  # no stop after the last gap: never delayed
    return RouteArrays(k, vs.fixed, prev, nxt, dep_prev, start_next, base, la, wc, load, after_break, breaks)


@dataclass
class FleetView:
    """The gap arrays of several vehicles end to end, so one numpy pass scores every vehicle.

    Gap ``g`` of vehicle ``v`` sits at ``offset[v] + g``. Rebuilt only when some vehicle's arrays change
    (they are replaced, never edited in place), so the alternative-time searches reuse one view.
    """

    key: tuple[int, ...]
    offset: np.ndarray
    vehicle: np.ndarray
    gap: np.ndarray
    k: np.ndarray
    locked: np.ndarray
    prev: np.ndarray
    next: np.ndarray
    dep_prev: np.ndarray
    start_next: np.ndarray
    base: np.ndarray
    latest_arrival: np.ndarray
    waits_cum: np.ndarray
    load_before: np.ndarray
    capacity: np.ndarray
    after_break: np.ndarray | None = None  # None: no route of the view has a break
    breaks: BreakArrays | None = None  # None: no route of the view has a break taken anywhere

    @classmethod
    def build(cls, vehicles: Sequence[VehicleState], arrays: Sequence[RouteArrays]) -> FleetView:
        sizes = np.array([a.k + 1 for a in arrays], dtype=np.int64)
        offset = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        vehicle = np.repeat(np.arange(len(arrays)), sizes)
        gap = np.arange(int(sizes.sum())) - np.repeat(offset, sizes)
        caps = np.array([vs.capacity for vs in vehicles], dtype=np.int64).reshape(-1, 2)

        def cat(name: str) -> np.ndarray:
            return np.concatenate([getattr(a, name) for a in arrays])

        waits = np.concatenate([np.concatenate((a.waits_cum, a.waits_cum[-1:] if a.k else [0.0])) for a in arrays])
        return cls(
            key=tuple(id(a) for a in arrays),
            offset=offset,
            vehicle=vehicle,
            gap=gap,
            k=np.repeat(sizes - 1, sizes),
            locked=np.repeat(np.array([a.locked for a in arrays], dtype=np.int64), sizes),
            prev=cat("prev"),
            next=cat("next"),
            dep_prev=cat("dep_prev"),
            start_next=cat("start_next"),
            base=cat("base"),
            latest_arrival=cat("latest_arrival"),
            waits_cum=waits,
            load_before=cat("load_before"),
            capacity=np.repeat(caps, sizes, axis=0),
            after_break=np.concatenate(
                [a.after_break if a.after_break is not None else np.zeros(a.k + 1, dtype=bool) for a in arrays]
            ),
            breaks=_joined_breaks(arrays),
        )


def _joined_breaks(arrays: Sequence[RouteArrays]) -> BreakArrays | None:
    if all(a.breaks is None for a in arrays):
        return None
    parts = [a.breaks if a.breaks is not None else BreakArrays.plain(a.k + 1, a.next) for a in arrays]
    return BreakArrays(
        np.concatenate([b.into_any for b in parts]),
        np.concatenate([b.free_from for b in parts]),
        np.concatenate([b.beyond for b in parts]),
    )


def fleet_view(vehicles: Sequence[VehicleState], cache: TravelCache, now: int, views: dict | None) -> FleetView:
    """The view over ``vehicles``, from ``views`` (a small memo the caller keeps) when still current."""
    arrays = []
    for vs in vehicles:
        if not isinstance(vs.arrays, RouteArrays):
            vs.arrays = route_arrays(vs, cache, now)
        arrays.append(vs.arrays)
    key = tuple(id(a) for a in arrays)
    names = tuple(vs.id for vs in vehicles)
    if views is not None:
        view = views.get(names)
        if view is not None and view.key == key:
            return view
    view = FleetView.build(vehicles, arrays)
    if views is not None:
        if len(views) > 8:
            views.clear()
        views[names] = view
    return view


def candidates(
    view: FleetView,
    t: np.ndarray,
    request: Request,
    start_times: np.ndarray,
    params: InsertionParams,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Estimated-feasible ``(cost, vehicle, pickup_gap, dropoff_gap)`` over every vehicle of the view."""
    p, d = request.pickup, request.dropoff
    e_p, l_p = request.pickup_window
    e_d, l_d = request.dropoff_window
    svc_p, svc_d = request.pickup_service, request.dropoff_service
    max_ride = request.max_ride if request.max_ride is not None else INF
    w = params.delay_weight
    dep_prev = view.dep_prev.copy()
    dep_prev[view.offset] = start_times
    tpi, tpo = t[view.prev, p], t[p, view.next]
    tdi, tdo = t[view.prev, d], t[d, view.next]
    tpd = float(t[p, d])
    over = (view.load_before + np.asarray(request.load) > view.capacity).any(axis=1)
    brk = view.breaks
    arrive_p = dep_prev + tpi
    extra_p = extra_d = 0.0  # cost of the leg a break taken anywhere no longer makes
    if brk is not None:
        # into a break taken anywhere: it is taken where the new stop is; after one: drive and rest
        tpo = np.where(brk.into_any, 0.0, tpo)
        tdo = np.where(brk.into_any, 0.0, tdo)
        arrive_p = np.maximum(dep_prev, brk.free_from + tpi)
        extra_p = np.where(brk.into_any, t[p, brk.beyond] - t[view.prev, brk.beyond], 0.0)
        extra_d = np.where(brk.into_any, t[d, brk.beyond] - t[view.prev, brk.beyond], 0.0)
    s_p = np.maximum(arrive_p, e_p)
    ok_p = (s_p <= l_p) & ~over & (view.gap >= view.locked)
    dep_p = s_p + svc_p
    # a pickup may still be delayed up to its latest start, so the ride bound counts from there
    ride_from = l_p + svc_p
    # pickup and drop-off in the same gap
    s_d = np.maximum(dep_p + tpd, e_d)
    arrive_next = s_d + svc_d + tdo
    ok_same = ok_p & (s_d <= l_d) & (s_d - ride_from <= max_ride) & (arrive_next <= view.latest_arrival)
    g = np.nonzero(ok_same)[0]
    cost = tpi[g] + tpd + tdo[g] - view.base[g] + w * np.maximum(arrive_next[g] - view.start_next[g], 0.0)
    if brk is not None:
        cost = cost + extra_d[g]
    costs, vehicles, picks, drops = [cost], [view.vehicle[g]], [view.gap[g]], [view.gap[g]]
    # pickup in gap i, drop-off in a later gap j of the same vehicle
    arrive_i = dep_p + tpo
    ok_i = ok_p & (view.gap < view.k) & (arrive_i <= view.latest_arrival)
    detour_p = tpi + tpo - view.base + w * np.maximum(arrive_i - view.start_next, 0.0) + extra_p
    detour_d_base = tdi + tdo - view.base + extra_d
    for v in np.unique(view.vehicle[ok_i]):
        lo = int(view.offset[v])
        k = int(view.k[lo])
        hi = lo + k + 1
        i = np.nonzero(ok_i[lo:hi])[0]
        gaps = np.arange(k + 1)
        limit = np.where(over[lo:hi], gaps, k + 1)
        next_over = np.minimum.accumulate(limit[::-1])[::-1]
        # a drop-off may not come after a break that follows the pickup (gap i itself may leave one)
        if view.after_break is not None:
            cut = np.where(view.after_break[lo:hi], gaps, k + 1)
            next_brk = np.concatenate((np.minimum.accumulate(cut[::-1])[::-1][1:], [k + 1]))
            next_over = np.minimum(next_over, next_brk)
        wc = view.waits_cum[lo:hi]
        jj = gaps[None, 1:]
        ii = i[:, None]
        push_i = arrive_i[lo + i] - view.start_next[lo + i]
        shift = np.maximum(push_i[:, None] - (wc[jj - 1] - wc[ii]), 0.0)
        if brk is not None:
            reach = np.maximum(dep_prev[lo + jj] + shift, brk.free_from[lo + jj] + shift + tdi[lo + jj])
        else:
            reach = dep_prev[lo + jj] + shift + tdi[lo + jj]
        s_d2 = np.maximum(reach, e_d)
        arrive_j = s_d2 + svc_d + tdo[lo + jj]
        ok = (
            (jj > ii)
            & (jj < next_over[ii])
            & (s_d2 <= l_d)
            & (s_d2 - ride_from <= max_ride)
            & (arrive_j <= view.latest_arrival[lo + jj])
        )
        r, c = np.nonzero(ok)
        if not r.size:
            continue
        j = c + 1
        delay_j = np.maximum(arrive_j[r, c] - view.start_next[lo + j], 0.0)
        costs.append(detour_p[lo + i[r]] + detour_d_base[lo + j] + w * delay_j)
        vehicles.append(np.full(r.size, v))
        picks.append(i[r])
        drops.append(j)
    return np.concatenate(costs), np.concatenate(vehicles), np.concatenate(picks), np.concatenate(drops)


def best_insertion(
    vehicles: Sequence[VehicleState],
    cache: TravelCache,
    request: Request,
    now: int,
    params: InsertionParams,
    views: dict | None = None,
) -> Insertion | None:
    """Cheapest insertion of ``request`` (not yet in any plan) that schedules exactly, or None.

    ``views`` is an optional memo of :class:`FleetView` objects the caller keeps between calls.
    """
    if not vehicles:
        return None
    view = fleet_view(vehicles, cache, now, views)
    starts = np.array([vs.start_time(now) for vs in vehicles], dtype=np.float64)
    cost, vehicle, pick, drop = candidates(view, cache.seconds, request, starts, params)
    order = np.argsort(cost, kind="stable")[: params.max_exact_checks]
    for n in order:
        vs = vehicles[int(vehicle[n])]
        found = exact(vs, cache, request, int(pick[n]), int(drop[n]), now)
        if found is not None:
            seq, visits = found
            return Insertion(vs.id, int(pick[n]), int(drop[n]), float(cost[n]), seq, visits)
    return None


def exact(
    vs: VehicleState, cache: TravelCache, request: Request, i: int, j: int, now: int
) -> tuple[list[SeqItem], list[Visit]] | None:
    """Schedule ``vs``'s plan with the request's pickup in gap ``i`` and drop-off in gap ``j``."""
    seq = vs.sequence
    new_seq = seq[:i] + [(request.id, VisitKind.PICKUP)] + seq[i:j] + [(request.id, VisitKind.DROPOFF)] + seq[j:]
    requests = list(vs.requests.values()) + [request]
    spec = vs.spec(cache, now)
    visits = schedule_route(sub_problem(cache, requests, spec), spec, new_seq)
    return None if visits is None else (new_seq, visits)
