"""A dispatcher's locked order of a vehicle's next stops: checked, then made the head of the vehicle's plan.

The dispatcher names stops (a booking's pickup or drop-off) in the order the vehicle must make them next.
The order is checked as the new head of the vehicle's plan, the rest of its stops following in their
current order (drop-offs of bookings brought in from another vehicle go where they fit best), with the
exact route scheduler (:func:`dispatch.validator.schedule_route`); a refusal names the window, ride
limit, seats or shift end that would break, and by how much (:mod:`dispatch.online.explain`).

Once locked (:attr:`dispatch.online.state.VehicleState.held`), insertion places new bookings only after
the locked stops and re-optimisation keeps them first in that order (they are the vehicle's "locked first
visits" of the solver); the lock shrinks as its stops are made. Times in seconds since service-day
midnight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from dispatch.errors import BookingStateError
from dispatch.model import BookingRejected, BookingStatus, Rejection, RejectionReason
from dispatch.online.explain import fixed_reasons, order_breaches
from dispatch.online.fleet import Fleet
from dispatch.online.state import SeqItem, VehicleState, sub_problem
from dispatch.problem import Request, Visit, VisitKind
from dispatch.validator import schedule_route

_PLANNABLE = (BookingStatus.OFFERED, BookingStatus.CONFIRMED, BookingStatus.ASSIGNED)


@dataclass(frozen=True)
class LockPlan:
    """A feasible locked order: the vehicle's new sequence and schedule, and the bookings it takes over."""

    vehicle_id: str
    held: list[SeqItem]
    sequence: list[SeqItem]
    visits: list[Visit]
    moving: list[str]


def parse(stops: Sequence[tuple[str, str]]) -> list[SeqItem]:
    """``(booking id, "pickup" | "dropoff")`` pairs as visit keys; BookingStateError on an unknown kind."""
    out: list[SeqItem] = []
    for rid, kind in stops:
        if str(kind) not in (VisitKind.PICKUP, VisitKind.DROPOFF):
            raise BookingStateError(f"stop kind {kind!r} of booking {rid!r} is neither pickup nor dropoff")
        out.append((rid, VisitKind(kind)))
    return out


def plan_lock(fleet: Fleet, vehicle_id: str, stops: Sequence[SeqItem], now: int) -> LockPlan:
    """Check a locked order for ``vehicle_id`` and return the plan it makes; nothing changes here.

    Raises
    ------
    VehicleNotFound, BookingNotFound
        Unknown vehicle or booking.
    BookingStateError
        The list itself cannot be an order of stops (empty, a stop twice, a drop-off before its pickup,
        a booking already picked up, completed or cancelled, on board another vehicle, the vehicle
        already on its way to another stop of the list).
    BookingRejected
        The vehicle cannot make the stops in this order within every promise (the message says which
        window, ride limit, seats or shift end would break, and by how much).
    """
    vs = fleet.state(vehicle_id)
    if vs.off_duty:
        raise BookingStateError(f"vehicle {vehicle_id} has ended its shift")
    items = _checked(fleet, vs, stops)
    booked = dict.fromkeys(rid for rid, kind in items if kind != VisitKind.BREAK)  # a break it is on stays first
    moving = [rid for rid in booked if fleet.records[rid].vehicle_id != vehicle_id]
    for rid in moving:
        booking = fleet.records[rid].booking
        if not fleet.eligible(booking, only=[vehicle_id]):
            why = "; ".join(fixed_reasons(vs, booking)) or f"vehicle {vehicle_id} cannot take booking {rid}"
            raise BookingRejected(Rejection(rid, RejectionReason.NO_VEHICLE_AVAILABLE, why))
    cache = fleet.cache
    requests: dict[str, Request] = dict(vs.requests)
    for rid in moving:
        requests[rid] = fleet.records[rid].request(cache)
    chosen = set(items)
    rest = [item for item in vs.sequence if item not in chosen]
    rest += [(rid, VisitKind.DROPOFF) for rid in moving if (rid, VisitKind.DROPOFF) not in chosen]
    spec = replace(vs.spec(cache, now), locked=tuple(items))
    problem = sub_problem(cache, list(requests.values()), spec)

    def timed(seq: list[SeqItem]) -> list[Visit] | None:
        return schedule_route(problem, spec, seq)

    sequence = items + rest
    visits = timed(sequence)
    for rid in moving:  # each brought-in drop-off where it fits best after the locked stops
        item = (rid, VisitKind.DROPOFF)
        if item in chosen:
            continue
        base = [x for x in sequence if x != item]
        best: tuple[float, list[SeqItem], list[Visit]] | None = None
        for at in range(len(items), len(base) + 1):
            seq = base[:at] + [item] + base[at:]
            found = timed(seq)
            if found is not None and (best is None or found[-1].departure < best[0]):
                best = (found[-1].departure, seq, found)
        if best is not None:
            _, sequence, visits = best
    if visits is None:
        breaches = order_breaches(vs, cache, requests, sequence, now)
        why = "; ".join(b.text for b in breaches) or (
            f"vehicle {vehicle_id}'s plan already runs behind its promises; the rest of its stops do not fit"
            " after this order")
        first = items[0][0]
        raise BookingRejected(Rejection(first, RejectionReason.NO_VEHICLE_AVAILABLE,
                                        f"vehicle {vehicle_id} cannot make these stops in this order: {why}"))
    return LockPlan(vehicle_id, items, sequence, visits, moving)


def _checked(fleet: Fleet, vs: VehicleState, stops: Sequence[SeqItem]) -> list[SeqItem]:
    """The stops as a possible order (see :func:`plan_lock`), headed by the stop the vehicle is bound for."""
    if not stops:
        raise BookingStateError("no stops to lock: name the vehicle's next stops in order")
    items: list[SeqItem] = []
    for rid, kind in stops:
        rec = fleet.record(rid)
        item = (rid, VisitKind(kind))
        if item in items:
            raise BookingStateError(f"the {kind} of booking {rid} is named twice")
        status = rec.booking.status
        if item[1] == VisitKind.PICKUP:
            if status not in _PLANNABLE:
                raise BookingStateError(f"booking {rid} has no pickup to make: it is {status}")
        elif status == BookingStatus.ONBOARD:
            if rid not in vs.onboard:
                raise BookingStateError(f"booking {rid} is on board vehicle {rec.vehicle_id}, not {vs.id}")
        elif status in _PLANNABLE:
            if (rid, VisitKind.PICKUP) not in items:
                raise BookingStateError(f"the drop-off of booking {rid} cannot come before its pickup")
        else:
            raise BookingStateError(f"booking {rid} has no drop-off to make: it is {status}")
        items.append(item)
    if vs.locked and vs.sequence:
        first = vs.sequence[0]
        if first not in items:
            items.insert(0, first)  # the vehicle is driving to (or standing at, or resting at) it: it stays first
        elif items[0] != first:
            raise BookingStateError(f"vehicle {vs.id} is already on its way to the {first[1]} of {first[0]}:"
                                    " that stop must come first")
    for rid, kind in items:  # a pickup the vehicle is bound for on another vehicle cannot be taken away
        if kind == VisitKind.BREAK:
            continue
        other = fleet.records[rid].vehicle_id
        if kind == VisitKind.PICKUP and other not in (None, vs.id):
            ovs = fleet.states[other]
            if ovs.locked and ovs.sequence and ovs.sequence[0] == (rid, kind):
                raise BookingStateError(f"vehicle {other} is already on its way to the pickup of {rid}")
    return items


def apply_lock(fleet: Fleet, plan: LockPlan) -> None:
    """Make a checked :class:`LockPlan` the vehicle's plan; its bookings are pinned to the vehicle."""
    vs = fleet.state(plan.vehicle_id)
    for rid in plan.moving:
        rec = fleet.records[rid]
        fleet.detach(rid)
        if rec.booking.status == BookingStatus.ASSIGNED:
            fleet.set_status(rec, BookingStatus.CONFIRMED)
        rec.vehicle_id = vs.id
        if rec.offer is not None:
            rec.offer = replace(rec.offer, vehicle_id=vs.id)
    for rid, kind in plan.held:
        if kind != VisitKind.BREAK:
            fleet.records[rid].pinned_to = vs.id
    vs.sequence = list(plan.sequence)
    vs.held = list(plan.held)
    fleet.retime(vs)


def unlock(fleet: Fleet, vehicle_id: str) -> bool:
    """Release the vehicle's locked order (pins stay); False if it had none."""
    vs = fleet.state(vehicle_id)
    was = bool(vs.held)
    vs.held = []
    fleet.retime(vs)
    return was
