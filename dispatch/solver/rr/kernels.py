"""Compiled inner loop of the ruin-and-recreate search (numba): route timing, insertion, removal.

A plan is held in fixed-width arrays, one row per vehicle (:class:`dispatch.solver.rr.plan.Plan`):
``seq[k, :size[k]]`` are the visit codes of vehicle ``k``; ``start``, ``dep`` and ``wc`` the earliest
service start, departure and cumulative wait at each stop; ``la[k, g]`` the latest arrival gap ``g``
tolerates (forward time slack, ride limits of riders already picked up counted optimistically);
``load[k, g]`` the load on the leg into stop ``g``; ``dist[k]`` the route's distance; ``warp[k]`` its
time warp (route minimisation only: the total lateness beyond the windows and the shift end, each
late start taken back to the window's end, as in Vidal et al.'s HGS; 0 on a valid route). The rules are
those of the pure-Python statement in :mod:`dispatch.solver.rr.route` and
:mod:`dispatch.solver.rr.reference`, operation for operation, so feasibility and costs are equal,
not merely close (the tests compare them on random instances).

The problem's constant arrays travel as one tuple, ``pb`` (see :func:`problem_arrays`). Times and
distances in the problem's units.
"""

from __future__ import annotations

import numpy as np
from numba import njit

INF = np.inf
TOLERANCE = 1e-6  # dispatch.validator.TOLERANCE (kept equal; asserted in the tests)
RIDE_SLACK = 1e-9


def problem_arrays(flat) -> tuple:  # noqa: ANN001 - FlatProblem (import cycle avoided)
    """The constant arrays of a :class:`FlatProblem` in the order the kernels read them."""
    m, v = flat.n_requests, flat.n_vehicles
    ob_ptr = np.zeros(v + 1, dtype=np.int64)
    ob_list = []
    for k in range(v):
        ob_list += flat.v_onboard[k]
        ob_ptr[k + 1] = len(ob_list)
    return (
        np.ascontiguousarray(flat.time, dtype=np.float64),
        np.ascontiguousarray(flat.dist, dtype=np.float64),
        flat.loc.astype(np.int64),
        flat.early.astype(np.float64),
        flat.late.astype(np.float64),
        flat.service.astype(np.float64),
        np.ascontiguousarray(flat.load, dtype=np.int64).reshape(2 * m, -1),
        flat.max_ride.astype(np.float64),
        flat.picked_up_at.astype(np.float64),
        np.ascontiguousarray(flat.allowed, dtype=np.bool_).reshape(m, v),
        np.asarray(flat.v_start, dtype=np.int64),
        np.asarray(flat.v_end, dtype=np.int64),
        np.asarray(flat.v_start_time, dtype=np.float64),
        np.asarray(flat.v_end_time, dtype=np.float64),
        np.ascontiguousarray(flat.v_capacity, dtype=np.int64),
        np.asarray(flat.v_fixed, dtype=np.float64),
        np.asarray([len(c) for c in flat.v_locked], dtype=np.int64),
        ob_ptr,
        np.asarray(ob_list, dtype=np.int64),
        bool(flat.has_ride_limits),
    )


@njit(cache=True)
def _rand(state: np.ndarray) -> float:
    """Uniform [0, 1) from a xorshift64* stream kept in ``state[0]`` (deterministic per seed)."""
    x = state[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = x
    return float((x * np.uint64(2685821657736338717)) >> np.uint64(11)) / 9007199254740992.0


@njit(cache=True)
def refresh(k, seq, size, start, dep, wc, la, load, dist, warp, pb):  # noqa: ANN001
    """Recompute row ``k`` (schedule, slack, load, distance) from its visit codes."""
    t, d, loc, early, late, service, vload = pb[0], pb[1], pb[2], pb[3], pb[4], pb[5], pb[6]
    max_ride, picked, v_start, v_end, v_t0, v_t1 = pb[7], pb[8], pb[10], pb[11], pb[12], pb[13]
    ob_ptr, ob_list, has_ride = pb[17], pb[18], pb[19]
    n = size[k]
    dims = vload.shape[1]
    for q in range(dims):
        load[k, 0, q] = 0
    for x in range(ob_ptr[k], ob_ptr[k + 1]):
        for q in range(dims):
            load[k, 0, q] += vload[2 * ob_list[x], q]
    clock = v_t0[k]
    prev = v_start[k]
    waited = 0.0
    total = 0.0
    late_by = 0.0
    for m in range(n):
        c = seq[k, m]
        node = loc[c]
        arrival = clock + t[prev, node]
        s = arrival if arrival > early[c] else early[c]
        waited += s - arrival
        if s > late[c] + TOLERANCE:  # only in route minimisation's penalised plans
            late_by += s - late[c]
            s = late[c]
        start[k, m] = s
        wc[k, m] = waited
        clock = s + service[c]
        dep[k, m] = clock
        total += d[prev, node]
        prev = node
        for q in range(dims):
            load[k, m + 1, q] = load[k, m, q] + vload[c, q]
    if n == 0:
        dist[k] = 0.0
        warp[k] = 0.0
        la[k, 0] = v_t1[k]
        return
    total += d[prev, v_end[k]]
    dist[k] = total
    back = dep[k, n - 1] + t[prev, v_end[k]]
    if back > v_t1[k] + TOLERANCE:
        late_by += back - v_t1[k]
    warp[k] = late_by
    best = np.full(n + 1, INF)
    if has_ride:
        for m in range(n):
            c = seq[k, m]
            if c % 2 == 0:
                continue
            r = c >> 1
            ride = max_ride[r]
            if not ride < INF:
                continue
            q = -1
            for x in range(m - 1, -1, -1):
                if seq[k, x] == c - 1:
                    q = x
                    break
            if q >= 0:
                began = dep[k, q]
                delayable = late[c - 1] - start[k, q]
            else:
                began = -INF
                delayable = 0.0
                for x in range(ob_ptr[k], ob_ptr[k + 1]):
                    if ob_list[x] == r:
                        began = picked[r]
                if not began > -INF:
                    continue
            value = max(ride - (start[k, m] - began) + max(delayable, 0.0), 0.0) + wc[k, m]
            for g in range(q + 1, m + 1):
                if value < best[g]:
                    best[g] = value
    arrive_end = dep[k, n - 1] + t[prev, v_end[k]]
    suffix = max(v_t1[k] - arrive_end, 0.0) + wc[k, n - 1]
    for g in range(n - 1, -1, -1):
        slack = max(late[seq[k, g]] - start[k, g], 0.0) + wc[k, g]
        if slack < suffix:
            suffix = slack
        b = best[g] if best[g] < suffix else suffix
        la[k, g] = start[k, g] - wc[k, g] + b
    la[k, n] = v_t1[k]


@njit(cache=True)
def earliest(k, codes, n, begin, pb):  # noqa: ANN001
    """Earliest service starts of ``codes[:n]`` on vehicle ``k`` into ``begin``; False if no valid
    timing exists (the difference-constraint solution of :func:`dispatch.solver.rr.route.earliest_starts`)."""
    t, loc, early, late, service, max_ride, picked = pb[0], pb[2], pb[3], pb[4], pb[5], pb[7], pb[8]
    v_start, v_end, v_t0, v_t1, has_ride = pb[10], pb[11], pb[12], pb[13], pb[19]
    if n == 0:
        return True
    lower = np.empty(n)
    upper = np.empty(n)
    travel = np.empty(n)
    prev = v_start[k]
    for i in range(n):
        c = codes[i]
        lower[i] = early[c]
        upper[i] = late[c]
        travel[i] = t[prev, loc[c]]
        prev = loc[c]
    pp = np.empty(n, dtype=np.int64)
    pd = np.empty(n, dtype=np.int64)
    pr = np.empty(n)
    npairs = 0
    if has_ride:
        for i in range(n):
            c = codes[i]
            if c % 2 == 0:
                continue
            r = c >> 1
            ride = max_ride[r]
            if not ride < INF:
                continue
            q = -1
            for x in range(i - 1, -1, -1):
                if codes[x] == c - 1:
                    q = x
                    break
            if q >= 0:
                pp[npairs] = q
                pd[npairs] = i
                pr[npairs] = ride
                npairs += 1
            elif picked[r] > -INF:
                upper[i] = min(upper[i], picked[r] + ride)
    first = 0
    for _ in range(npairs + 1):
        clock = v_t0[k] if first == 0 else begin[first - 1] + service[codes[first - 1]]
        for i in range(first, n):
            b = clock + travel[i]
            if b < lower[i]:
                b = lower[i]
            if b > upper[i] + TOLERANCE:
                return False
            begin[i] = b
            clock = b + service[codes[i]]
        first = n
        for x in range(npairs):
            p, q, ride = pp[x], pd[x], pr[x]
            need = begin[q] - service[codes[p]] - ride
            if need > begin[p] + 1e-9:
                lower[p] = need
                if p < first:
                    first = p
        if first == n:
            back = begin[n - 1] + service[codes[n - 1]] + t[loc[codes[n - 1]], v_end[k]]
            return back <= v_t1[k] + TOLERANCE
    return False


@njit(cache=True)
def _with(seq, k, n, r, i, j, out):  # noqa: ANN001
    """Row ``k`` with request ``r``'s pickup in gap ``i`` and drop-off in gap ``j`` into ``out``."""
    w = 0
    for x in range(n + 1):
        if x == i:
            out[w] = 2 * r
            w += 1
        if x == j:
            out[w] = 2 * r + 1
            w += 1
        if x < n:
            out[w] = seq[k, x]
            w += 1


@njit(cache=True)
def best_insertion(r, seq, size, start, dep, wc, la, load, members, pb, blink, state, exact_checks, found):  # noqa: ANN001
    """Cheapest feasible insertion of request ``r`` over every route ``members[k]`` allows, each
    candidate skipped with probability ``blink``. Writes ``(vehicle, pickup gap, drop-off gap)`` to
    ``found`` and returns the added cost (distance, plus the fixed cost of an empty vehicle), or
    ``inf`` when there is none."""
    t, d, loc, early, late, service, vload, max_ride = pb[0], pb[1], pb[2], pb[3], pb[4], pb[5], pb[6], pb[7]
    allowed, v_start, v_end, v_t0, cap, v_fixed, n_locked, has_ride = (
        pb[9], pb[10], pb[11], pb[12], pb[14], pb[15], pb[16], pb[19]
    )
    p_code, d_code = 2 * r, 2 * r + 1
    p, q = loc[p_code], loc[d_code]
    e_p, l_p, e_d, l_d = early[p_code], late[p_code], early[d_code], late[d_code]
    svc_p, svc_d = service[p_code], service[d_code]
    ride_max = max_ride[r]
    ride_from = l_p + svc_p
    tpd = t[p, q]
    dpq = d[p, q]
    dims = vload.shape[1]
    nv = size.shape[0]
    best_cost = INF
    # ride limits: every estimated-feasible candidate is kept and confirmed cheapest first
    room = 64
    c_cost = np.empty(room)
    c_k = np.empty(room, dtype=np.int64)
    c_i = np.empty(room, dtype=np.int64)
    c_j = np.empty(room, dtype=np.int64)
    count = 0
    for k in range(nv):
        n = size[k]
        if not (members[k] or n > 0) or not allowed[r, k]:
            continue
        fixed = v_fixed[k] if n == 0 else 0.0
        first_over = n + 1  # first gap >= i whose leg cannot take the request's load
        over = np.zeros(n + 1, dtype=np.bool_)
        for g in range(n, -1, -1):
            bad = False
            for x in range(dims):
                if load[k, g, x] + vload[p_code, x] > cap[k, x]:
                    bad = True
            over[g] = bad
        for i in range(n, -1, -1):
            if over[i]:
                first_over = i
                continue
            if i < n_locked[k]:
                continue
            prev_i = v_start[k] if i == 0 else loc[seq[k, i - 1]]
            next_i = loc[seq[k, i]] if i < n else v_end[k]
            dep_prev_i = v_t0[k] if i == 0 else dep[k, i - 1]
            s_p = max(dep_prev_i + t[prev_i, p], e_p)
            if not s_p <= l_p:
                continue
            dep_p = s_p + svc_p
            base_i = d[prev_i, next_i] if n > 0 else 0.0
            # both in gap i
            s_d = max(dep_p + tpd, e_d)
            arrive_next = s_d + svc_d + t[q, next_i]
            if s_d <= l_d and s_d - ride_from <= ride_max and arrive_next <= la[k, i]:
                ok = True
                if has_ride and not tpd <= ride_max + RIDE_SLACK:
                    ok = False
                if ok and blink > 0.0 and _rand(state) < blink:
                    ok = False
                if ok:
                    cost = d[prev_i, p] + dpq + d[q, next_i] - base_i + fixed
                    if has_ride:
                        if count == room:
                            room *= 2
                            c_cost, c_k, c_i, c_j = _grow(c_cost, c_k, c_i, c_j, room)
                        c_cost[count], c_k[count], c_i[count], c_j[count] = cost, k, i, i
                        count += 1
                    elif cost < best_cost:
                        best_cost = cost
                        found[0], found[1], found[2] = k, i, i
            if i >= n:
                continue
            arrive_i = dep_p + t[p, next_i]
            if not arrive_i <= la[k, i]:
                continue
            push_i = arrive_i - start[k, i]
            wc_i = wc[k, i]
            detour_p = d[prev_i, p] + d[p, next_i] - base_i
            for j in range(i + 1, min(first_over, n + 1)):
                prev_j = loc[seq[k, j - 1]]
                next_j = loc[seq[k, j]] if j < n else v_end[k]
                shift = max(push_i - (wc[k, j - 1] - wc_i), 0.0)
                s_d2 = max(dep[k, j - 1] + shift + t[prev_j, q], e_d)
                if not (s_d2 <= l_d and s_d2 - ride_from <= ride_max):
                    continue
                arrive_j = s_d2 + svc_d + t[q, next_j]
                if not arrive_j <= la[k, j]:
                    continue
                if has_ride:
                    wc_prev_j = wc[k, j - 1]
                    between = dep[k, j - 1] - start[k, i] - (wc_prev_j - wc_i)
                    if not t[p, next_i] + between + t[prev_j, q] <= ride_max + RIDE_SLACK:
                        continue
                if blink > 0.0 and _rand(state) < blink:
                    continue
                cost = detour_p + d[prev_j, q] + d[q, next_j] - d[prev_j, next_j] + fixed
                if has_ride:
                    if count == room:
                        room *= 2
                        c_cost, c_k, c_i, c_j = _grow(c_cost, c_k, c_i, c_j, room)
                    c_cost[count], c_k[count], c_i[count], c_j[count] = cost, k, i, j
                    count += 1
                elif cost < best_cost:
                    best_cost = cost
                    found[0], found[1], found[2] = k, i, j
    if not has_ride:
        return best_cost
    if count == 0:
        return INF
    order = np.argsort(c_cost[:count], kind="mergesort")
    width = seq.shape[1]
    trial = np.empty(width + 2, dtype=np.int64)
    begin = np.empty(width + 2)
    for x in range(min(count, exact_checks)):
        y = order[x]
        k = c_k[y]
        n = size[k]
        _with(seq, k, n, r, c_i[y], c_j[y], trial)
        if earliest(k, trial, n + 2, begin, pb):
            found[0], found[1], found[2] = k, c_i[y], c_j[y]
            return c_cost[y]
    return INF


@njit(cache=True)
def _grow(c_cost, c_k, c_i, c_j, room):  # noqa: ANN001
    a = np.empty(room)
    b = np.empty(room, dtype=np.int64)
    c = np.empty(room, dtype=np.int64)
    e = np.empty(room, dtype=np.int64)
    n = c_cost.shape[0]
    a[:n], b[:n], c[:n], e[:n] = c_cost, c_k, c_i, c_j
    return a, b, c, e


@njit(cache=True)
def insert(r, k, i, j, seq, size, start, dep, wc, la, load, dist, warp, route_of, pb):  # noqa: ANN001
    """Put request ``r`` in row ``k`` (pickup in gap ``i``, drop-off in gap ``j``) and refresh it.
    The caller guarantees room for two more visits."""
    n = size[k]
    row = seq[k].copy()
    _with(row.reshape(1, -1), 0, n, r, i, j, seq[k])
    size[k] = n + 2
    route_of[r] = k
    refresh(k, seq, size, start, dep, wc, la, load, dist, warp, pb)


@njit(cache=True)
def recreate(order, seq, size, start, dep, wc, la, load, dist, warp, route_of, members, pb, blink, seed, exact_checks):  # noqa: ANN001
    """Greedy insertion of ``order`` one by one, each at its cheapest position left after blinks;
    a request with none stays out (``route_of`` -1). Returns how many were inserted."""
    state = np.empty(1, dtype=np.uint64)
    state[0] = np.uint64(seed) * np.uint64(2654435761) + np.uint64(1442695040888963407)
    if state[0] == 0:
        state[0] = np.uint64(1)
    found = np.zeros(3, dtype=np.int64)
    done = 0
    for x in range(order.shape[0]):
        r = order[x]
        cost = best_insertion(r, seq, size, start, dep, wc, la, load, members, pb, blink, state, exact_checks, found)
        if cost < INF:
            insert(r, found[0], found[1], found[2], seq, size, start, dep, wc, la, load, dist, warp, route_of, pb)
            done += 1
    return done


@njit(cache=True)
def remove(removed, seq, size, start, dep, wc, la, load, dist, warp, route_of, pb):  # noqa: ANN001
    """Take the requests flagged in ``removed`` out of their routes (``route_of`` -1) and refresh
    the rows touched."""
    nv = size.shape[0]
    touched = np.zeros(nv, dtype=np.bool_)
    for r in range(removed.shape[0]):
        if removed[r] and route_of[r] >= 0:
            touched[route_of[r]] = True
            route_of[r] = -1
    for k in range(nv):
        if not touched[k]:
            continue
        w = 0
        for x in range(size[k]):
            c = seq[k, x]
            if not removed[c >> 1]:
                seq[k, w] = c
                w += 1
        size[k] = w
        refresh(k, seq, size, start, dep, wc, la, load, dist, warp, pb)


@njit(cache=True)
def _route_warp(k, codes, n, pb):  # noqa: ANN001
    """Time warp of the order ``codes[:n]`` on vehicle ``k`` (the timing of :func:`refresh`)."""
    t, loc, early, late, service = pb[0], pb[2], pb[3], pb[4], pb[5]
    v_start, v_end, v_t0, v_t1 = pb[10], pb[11], pb[12], pb[13]
    clock = v_t0[k]
    prev = v_start[k]
    late_by = 0.0
    for m in range(n):
        c = codes[m]
        node = loc[c]
        s = clock + t[prev, node]
        if s < early[c]:
            s = early[c]
        if s > late[c] + TOLERANCE:
            late_by += s - late[c]
            s = late[c]
        clock = s + service[c]
        prev = node
    back = clock + t[prev, v_end[k]]
    if back > v_t1[k] + TOLERANCE:
        late_by += back - v_t1[k]
    return late_by


@njit(cache=True)
def _join(d1, w1, e1, l1, d2, w2, e2, l2, travel):  # noqa: ANN001
    """Two route segments end to end (duration, time warp, earliest and latest start), ``travel``
    between them: the concatenation of Vidal et al. (2013), exact for windows and service times."""
    delta = d1 - w1 + travel
    wait = max(e2 - delta - l1, 0.0)
    late_by = max(e1 + delta - l2, 0.0)
    return (
        d1 + d2 + travel + wait,
        w1 + w2 + late_by,
        max(e2 - delta, e1) - wait,
        min(l2 - delta, l1) + late_by,
    )


@njit(cache=True)
def insertion_warps(k, n, r, seq, pb, out):  # noqa: ANN001
    """Time warp of row ``k`` with request ``r``'s pickup in gap ``i`` and drop-off in gap ``j``,
    into ``out[i, j]`` for every ``i <= j`` (O(1) each from prefix and suffix segments); returns the
    row's own time warp measured the same way."""
    t, loc, early, late, service = pb[0], pb[2], pb[3], pb[4], pb[5]
    v_start, v_end, v_t0, v_t1 = pb[10], pb[11], pb[12], pb[13]
    fd, fw, fe, fl = np.empty(n + 1), np.empty(n + 1), np.empty(n + 1), np.empty(n + 1)
    bd, bw, be, bl = np.empty(n + 1), np.empty(n + 1), np.empty(n + 1), np.empty(n + 1)
    fd[0], fw[0], fe[0], fl[0] = 0.0, 0.0, v_t0[k], v_t0[k]
    node = v_start[k]
    for m in range(n):
        c = seq[k, m]
        fd[m + 1], fw[m + 1], fe[m + 1], fl[m + 1] = _join(
            fd[m], fw[m], fe[m], fl[m], service[c], 0.0, early[c], late[c], t[node, loc[c]]
        )
        node = loc[c]
    bd[n], bw[n], be[n], bl[n] = 0.0, 0.0, -INF, v_t1[k]
    node = v_end[k]
    for m in range(n - 1, -1, -1):
        c = seq[k, m]
        bd[m], bw[m], be[m], bl[m] = _join(
            service[c], 0.0, early[c], late[c], bd[m + 1], bw[m + 1], be[m + 1], bl[m + 1], t[loc[c], node]
        )
        node = loc[c]
    pc, dc = 2 * r, 2 * r + 1
    p, q = loc[pc], loc[dc]
    for i in range(n + 1):
        prev_i = v_start[k] if i == 0 else loc[seq[k, i - 1]]
        md, mw, me, ml = _join(fd[i], fw[i], fe[i], fl[i], service[pc], 0.0, early[pc], late[pc], t[prev_i, p])
        last = p
        for j in range(i, n + 1):
            if j > i:
                c = seq[k, j - 1]
                md, mw, me, ml = _join(md, mw, me, ml, service[c], 0.0, early[c], late[c], t[last, loc[c]])
                last = loc[c]
            xd, xw, xe, xl = _join(md, mw, me, ml, service[dc], 0.0, early[dc], late[dc], t[last, q])
            nxt = loc[seq[k, j]] if j < n else v_end[k]
            out[i, j] = _join(xd, xw, xe, xl, bd[j], bw[j], be[j], bl[j], t[q, nxt])[1]
    end = v_start[k] if n == 0 else loc[seq[k, n - 1]]
    return _join(fd[n], fw[n], fe[n], fl[n], bd[n], bw[n], be[n], bl[n], t[end, v_end[k]])[1]


@njit(cache=True)
def insert_warped(order, seq, size, start, dep, wc, la, load, dist, warp, route_of, members, pb, penalty):  # noqa: ANN001
    """Route minimisation's penalised insertion: each request of ``order`` still out goes where its
    added distance plus ``penalty`` times the added time warp is least (capacity, allowed vehicles
    and locked visits still hard). Returns how many went in."""
    d, loc, vload = pb[1], pb[2], pb[6]
    allowed, v_start, v_end, cap, v_fixed, n_locked = pb[9], pb[10], pb[11], pb[14], pb[15], pb[16]
    nv = size.shape[0]
    dims = vload.shape[1]
    done = 0
    for x in range(order.shape[0]):
        r = order[x]
        if route_of[r] >= 0:
            continue
        p, q = loc[2 * r], loc[2 * r + 1]
        best, bk, bi, bj = INF, -1, -1, -1
        for k in range(nv):
            n = size[k]
            if not (members[k] or n > 0) or not allowed[r, k]:
                continue
            fixed = v_fixed[k] if n == 0 else 0.0
            warps = np.empty((n + 1, n + 1))
            own = insertion_warps(k, n, r, seq, pb, warps)
            for i in range(n_locked[k], n + 1):
                prev_i = v_start[k] if i == 0 else loc[seq[k, i - 1]]
                next_i = loc[seq[k, i]] if i < n else v_end[k]
                base_i = d[prev_i, next_i] if n > 0 else 0.0
                for j in range(i, n + 1):
                    bad = False
                    for y in range(dims):
                        if load[k, j, y] + vload[2 * r, y] > cap[k, y]:
                            bad = True
                    if bad:
                        break
                    if j == i:
                        added = d[prev_i, p] + d[p, q] + d[q, next_i] - base_i
                    else:
                        prev_j = loc[seq[k, j - 1]]
                        next_j = loc[seq[k, j]] if j < n else v_end[k]
                        added = d[prev_i, p] + d[p, next_i] - base_i + d[prev_j, q] + d[q, next_j] - d[prev_j, next_j]
                    cost = added + fixed + penalty * (warps[i, j] - own)
                    if cost < best:
                        best, bk, bi, bj = cost, k, i, j
        if bk >= 0:
            insert(r, bk, bi, bj, seq, size, start, dep, wc, la, load, dist, warp, route_of, pb)
            done += 1
    return done
