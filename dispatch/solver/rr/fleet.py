"""Route minimisation (vehicles first): empty one route at a time through an ejection pool.

The requests of the emptied route wait in the pool (``Plan.unassigned``); every iteration ruins the
remaining routes and recreates them together with the pool, no new route allowed. A result is
accepted when fewer requests wait, or when the waiting ones have been absent less often in total
(the absence counters of Christiaens & Vanden Berghe's fleet minimisation: a request that keeps
failing gets priority by making plans that leave it out look worse). When the pool empties, the
fleet is one smaller and the next route goes.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from dispatch.solver.rr.plan import Plan

if TYPE_CHECKING:
    from dispatch.solver.rr.search import Toolkit


def minimise_fleet(plan: Plan, kit: Toolkit, deadline: float, iterations: int | None) -> tuple[Plan, int]:
    """The plan with the fewest vehicles found (every request of ``plan`` served) and the iterations
    run. ``plan`` must leave no required request out."""
    flat = kit.flat
    absences = np.zeros(flat.n_requests)
    best = plan
    current: Plan | None = None
    done = 0
    began = time.monotonic()
    patience_s = kit.rr.fleet_patience * max(0.0, deadline - began)
    patience_it = None if iterations is None else max(1, int(kit.rr.fleet_patience * iterations))
    fewest, since = 0, 0
    last_gain = began
    while iterations is None or done < iterations:
        now = time.monotonic()
        if now >= deadline:
            break
        if current is None or not _waiting(current):
            if current is not None:
                best = current
            current = _without_a_route(best, kit)
            if current is None:
                break
            fewest, since, last_gain = len(_waiting(current)), done, now
        elif (now - last_gain > patience_s) if patience_it is None else (done - since >= patience_it):
            break  # this route will not go within the patience: spend the rest on distance
        candidate = current.copy()
        removed_now = kit.ruin(candidate, _waiting(current))
        kit.rebuild(candidate, removed_now)
        done += 1
        waiting_now = _waiting(candidate)
        absences[waiting_now] += 1
        waiting_before = _waiting(current)
        if len(waiting_now) < len(waiting_before) or absences[waiting_now].sum() < absences[waiting_before].sum():
            current = candidate
        if len(waiting_now) < fewest:
            fewest, since, last_gain = len(waiting_now), done, time.monotonic()
    if current is not None and not _waiting(current):
        best = current
    return best, done


def _waiting(plan: Plan) -> list[int]:
    """Requests in the pool that must (or were) served: required ones and the emptied route's."""
    return sorted(plan.unassigned - plan.optional_out)


def _without_a_route(plan: Plan, kit: Toolkit) -> Plan | None:
    """A copy of ``plan`` with one route emptied into the pool: a short one, chosen at random among
    the shortest few; None when every route is pinned (riders on board, locked visits)."""
    flat = kit.flat
    choices = [
        (len(seq), k)
        for k, seq in enumerate(plan.codes)
        if seq and not flat.v_locked[k] and not flat.v_onboard[k] and not any(flat.pinned[c >> 1] for c in seq)
    ]
    if len(choices) <= 1:
        return None
    choices.sort()
    few = choices[: min(3, len(choices))]
    _, k = few[int(kit.rng.integers(len(few)))]
    out = plan.copy()
    out.optional_out = set(plan.unassigned)
    out.close(k)
    out.remove({c >> 1 for c in plan.route(k)})
    return out


def minimise_fleet_warped(plan: Plan, kit: Toolkit, deadline: float, iterations: int | None) -> tuple[Plan, int]:
    """Route minimisation with a penalised pool (time warp, after Vidal et al.'s HGS and Nagata &
    Bräysy's squeeze): the emptied route's requests go back at once where added distance plus
    ``rr.warp_penalty`` times added lateness is least; every iteration then ruins (half the time
    next to a late route) and recreates without adding lateness, puts what is left back the
    penalised way, and keeps the result when its total lateness is no larger. The route is gone as
    soon as no request waits and no route is late; then the next. Problems with ride limits use
    :func:`minimise_fleet` (lateness does not price a ride limit). Returns the plan with the fewest
    vehicles found (valid) and the iterations run."""
    best = plan
    current: Plan | None = None
    done = 0
    began = time.monotonic()
    patience_s = kit.rr.fleet_patience * max(0.0, deadline - began)
    patience_it = None if iterations is None else max(1, int(kit.rr.fleet_patience * iterations))
    penalty = kit.rr.warp_penalty
    least, since, last_gain = (0, 0.0), 0, began
    while iterations is None or done < iterations:
        now = time.monotonic()
        if now >= deadline:
            break
        if current is None or _settled(current):
            if current is not None:
                best = current
            current = _without_a_route(best, kit)
            if current is None:
                break
            current.insert_warped(kit.orders.sorted(set(_waiting(current)), kit.rng), penalty)
            least, since, last_gain = _lateness(current), done, now
            if _settled(current):
                continue
        elif (now - last_gain > patience_s) if patience_it is None else (done - since >= patience_it):
            break
        candidate = current.copy()
        routed = candidate.routed()
        late = routed[candidate.warp[candidate.route_of[routed]] > 0.0].tolist()
        removed = kit.ruin(candidate, late)
        kit.rebuild(candidate, removed)
        candidate.insert_warped(kit.orders.sorted(set(_waiting(candidate)), kit.rng), penalty)
        done += 1
        rank = _lateness(candidate)
        if rank <= _lateness(current):
            current = candidate
        if rank < least:
            least, since, last_gain = rank, done, time.monotonic()
    if current is not None and _settled(current):
        best = current
    return best, done


def _lateness(plan: Plan) -> tuple[int, float]:
    """Requests waiting, then total time warp (rounded so ties are ties)."""
    return len(_waiting(plan)), round(plan.total_warp(), 9)


def _settled(plan: Plan) -> bool:
    return not _waiting(plan) and plan.total_warp() == 0.0
