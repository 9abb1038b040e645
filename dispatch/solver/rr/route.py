"""One route as visit codes, with the arrays that make an insertion check a few numpy operations.

:func:`route_arrays` gives, per gap, the earliest schedule of the order as it is, the latest arrival
each stop tolerates (forward time slack after Savelsbergh, including ride limits of riders already
picked up, counted optimistically) and the load on each leg, in the layout of
:class:`dispatch.online.insertion.RouteArrays`, so the offer engine's vectorised estimate scores it.
:func:`earliest_starts` is the exact check (and the times handed to the validator when the shared
scheduler's greedy delays cannot meet the ride limits).
"""

from __future__ import annotations

import numpy as np

from dispatch.online.insertion import RouteArrays
from dispatch.solver.rr.flat import INF, FlatProblem
from dispatch.validator import TOLERANCE


def route_arrays(flat: FlatProblem, k: int, codes: list[int]) -> RouteArrays:
    """Gap arrays of vehicle ``k``'s route ``codes`` (gap ``g`` = the leg into stop ``g``)."""
    n = len(codes)
    t = flat.time
    nodes = [flat.v_start[k]] + [int(flat.loc[c]) for c in codes]
    prev = np.asarray(nodes, dtype=np.int64)
    nxt = np.asarray(nodes[1:] + [flat.v_end[k]], dtype=np.int64)
    base = t[prev, nxt]
    early = flat.early[codes] if n else np.empty(0)
    latest = flat.late[codes] if n else np.empty(0)
    service = flat.service[codes] if n else np.empty(0)
    start, dep, waits = np.empty(n), np.empty(n), np.zeros(n)
    clock = flat.v_start_time[k]
    base_l = base.tolist()
    early_l, service_l = early.tolist(), service.tolist()
    for m in range(n):
        arrival = clock + base_l[m]
        s = arrival if arrival > early_l[m] else early_l[m]
        start[m] = s
        waits[m] = s - arrival
        dep[m] = clock = s + service_l[m]
    wc = np.cumsum(waits)
    dims = flat.v_capacity.shape[1]
    load = np.zeros((n + 1, dims), dtype=np.int64)
    for r in flat.v_onboard[k]:
        load[0] += flat.load[2 * r]
    if n:
        load[1:] = load[0] + np.cumsum(flat.load[codes], axis=0)
    best = np.full(n + 1, INF)
    if flat.has_ride_limits:
        left: dict[int, tuple[int, float, float]] = {
            r: (-1, float(flat.picked_up_at[r]), 0.0) for r in flat.v_onboard[k]
        }
        for m, c in enumerate(codes):
            r = c >> 1
            if c % 2 == 0:
                left[r] = (m, dep[m], latest[m] - start[m])
            else:
                q, began, delayable = left.get(r, (-1, -INF, 0.0))
                ride = flat.max_ride[r]
                if ride < INF and began > -INF:
                    value = max(ride - (start[m] - began) + max(delayable, 0.0), 0.0) + wc[m]
                    best[q + 1 : m + 1] = np.minimum(best[q + 1 : m + 1], value)
    if n:
        slack = np.maximum(latest - start, 0.0) + wc
        arrive_end = dep[-1] + base[n]
        end_value = max(flat.v_end_time[k] - arrive_end, 0.0) + wc[-1]
        suffix = np.minimum.accumulate(np.concatenate((slack, [end_value]))[::-1])[::-1]
        best = np.minimum(best, suffix)
    la = np.empty(n + 1)
    la[:n] = start - wc + best[:n]
    la[n] = flat.v_end_time[k]
    dep_prev = np.concatenate(([np.nan], dep))
    start_next = np.concatenate((start, [INF]))
    locked = len(flat.v_locked[k])
    return RouteArrays(n, locked, prev, nxt, dep_prev, start_next, base, la, wc, load)


def route_distance(flat: FlatProblem, k: int, codes: list[int]) -> float:
    """Distance of the route, start to end (0 for an empty route)."""
    if not codes:
        return 0.0
    nodes = [flat.v_start[k]] + flat.loc[codes].tolist() + [flat.v_end[k]]
    return float(flat.dist[nodes[:-1], nodes[1:]].sum())


def earliest_starts(flat: FlatProblem, k: int, codes: list[int]) -> list[float] | None:
    """Earliest service starts of the order ``codes`` on vehicle ``k``, or None if none is valid.

    Start times are bounded below by the windows, by the previous stop (its service and the drive)
    and, through the ride limit, by the drop-off (a pickup may start no earlier than its drop-off
    minus service and limit): difference constraints whose least solution is found by raising
    pickups and re-propagating until nothing moves (Bellman-Ford on the route's chain). It is
    valid iff it keeps to the upper bounds (windows, limits of riders on board, shift end), so the
    check is exact, not a heuristic. Capacity, precedence, allowed vehicles and locked visits are
    the caller's to guarantee.
    """
    n = len(codes)
    if not n:
        return []
    locs = flat.loc[codes].tolist()
    lower = flat.early[codes].tolist()
    upper = flat.late[codes].tolist()
    service = flat.service[codes].tolist()
    travel = flat.time[[flat.v_start[k]] + locs[:-1], locs].tolist()
    pairs: list[tuple[int, int, float]] = []
    if flat.has_ride_limits:
        pick_index: dict[int, int] = {}
        for i, c in enumerate(codes):
            r = c >> 1
            ride = float(flat.max_ride[r])
            if c % 2 == 0:
                pick_index[r] = i
            elif ride < INF:
                if r in pick_index:
                    pairs.append((pick_index[r], i, ride))
                elif flat.picked_up_at[r] > -INF:
                    upper[i] = min(upper[i], float(flat.picked_up_at[r]) + ride)
    begin = [0.0] * n
    t0 = flat.v_start_time[k]

    def forward(first: int) -> bool:
        clock = t0 if first == 0 else begin[first - 1] + service[first - 1]
        for i in range(first, n):
            b = clock + travel[i]
            if b < lower[i]:
                b = lower[i]
            if b > upper[i] + TOLERANCE:
                return False
            begin[i] = b
            clock = b + service[i]
        return True

    if not forward(0):
        return None
    for _ in range(len(pairs) + 1):
        first = n
        for p, d, ride in pairs:
            need = begin[d] - service[p] - ride
            if need > begin[p] + 1e-9:
                lower[p] = need
                first = min(first, p)
        if first == n:
            break
        if not forward(first):
            return None
    else:
        return None
    back = begin[-1] + service[-1] + float(flat.time[locs[-1], flat.v_end[k]])
    return begin if back <= flat.v_end_time[k] + TOLERANCE else None
