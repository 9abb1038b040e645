"""The rejection rule: checks a booking must pass before any vehicle is searched.

Malformed input raises :class:`dispatch.errors.InvalidBooking` (the API answers 422); a well-formed
booking the service cannot take gets a :class:`dispatch.model.Rejection` with a reason and a message a
call-centre operator can read out. Times are seconds since service-day midnight, shown as HH:MM.
"""

from __future__ import annotations

from collections.abc import Sequence

from dispatch.errors import InvalidBooking
from dispatch.model import Booking, Rejection, RejectionReason, TimeKind, Vehicle
from dispatch.rules import ServiceRules


def hhmm(t: float) -> str:
    """``37800`` -> ``"10:30"``; days before or after the service day get a ``-1d``/``+1d`` suffix."""
    t = int(round(t))
    day, rest = divmod(t, 86_400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return text if day == 0 else f"{text} ({day:+d}d)"


def check_input(booking: Booking, service_day: str) -> None:
    """Raise :class:`InvalidBooking` naming what is wrong with ``booking``'s fields."""
    problems = []
    if not booking.id:
        problems.append("booking id is empty")
    if booking.seats < 0 or booking.wheelchairs < 0:
        problems.append(f"party counts must not be negative (seats={booking.seats}, wheelchairs={booking.wheelchairs})")
    elif booking.party_size == 0:
        problems.append("party is empty: at least one seat or wheelchair place is needed")
    if booking.pickup.node == booking.dropoff.node:
        problems.append("pickup and drop-off are the same place")
    if booking.service_day and service_day and booking.service_day != service_day:
        problems.append(f"booking is for {booking.service_day} but this dispatcher serves {service_day}")
    for name, window in (("pickup_window", booking.pickup_window), ("dropoff_window", booking.dropoff_window)):
        if window is not None and (len(window) != 2 or window[0] > window[1]):
            problems.append(f"{name} {window} must be (earliest, latest) with earliest <= latest")
    if problems:
        raise InvalidBooking(f"booking {booking.id!r}: " + "; ".join(problems))


def time_rejection(booking: Booking, now: int, rules: ServiceRules) -> Rejection | None:
    """Service hours, minimum notice and horizon."""
    t = booking.requested_time
    arrive = booking.time_kind == TimeKind.ARRIVE_BY
    inside = rules.service_start < t <= rules.service_end if arrive else rules.service_start <= t < rules.service_end
    if not inside:
        verb = "arrive by" if arrive else "depart at"
        return _reject(
            booking,
            RejectionReason.OUTSIDE_SERVICE_HOURS,
            f"service runs {hhmm(rules.service_start)}-{hhmm(rules.service_end)}; cannot {verb} {hhmm(t)}",
        )
    if t - now < rules.min_notice_s:
        when = f"{hhmm(t)} has already passed" if t < now else f"{hhmm(t)} is {(t - now) // 60} min from now"
        return _reject(
            booking,
            RejectionReason.TOO_LITTLE_NOTICE,
            f"book at least {rules.min_notice_s // 60} min ahead: {when}",
        )
    if t - now > rules.horizon_s:
        return _reject(
            booking,
            RejectionReason.BEYOND_HORIZON,
            f"bookings are taken at most {rules.horizon_s / 86_400:g} days ahead",
        )
    return None


def fleet_rejection(booking: Booking, vehicles: Sequence[Vehicle]) -> Rejection | None:
    """Party size and service area against the whole fleet."""
    carriers = [v for v in vehicles if v.can_carry(booking.seats, booking.wheelchairs)]
    if not carriers:
        most_seats = max((v.seats for v in vehicles), default=0)
        most_wc = max((v.wheelchair_places for v in vehicles), default=0)
        party = f"a party of {booking.party_size}"
        if booking.wheelchairs:
            party += f" ({booking.seats} seated, {booking.wheelchairs} in a wheelchair)"
        return _reject(
            booking,
            RejectionReason.PARTY_TOO_LARGE,
            f"{party} is larger than any vehicle: the largest has {most_seats} seats"
            f" and at most {most_wc} wheelchair place(s)",
        )
    if not any(
        v.serves(booking.pickup.jis_code)
        and v.serves(booking.dropoff.jis_code)
        and (booking.fleet is None or v.municipality == booking.fleet)
        for v in carriers
    ):
        where = " -> ".join(
            x for x in (booking.pickup.jis_code or "?", booking.dropoff.jis_code or "?")
        )
        return _reject(
            booking,
            RejectionReason.OUTSIDE_SERVICE_AREA,
            f"no vehicle serves this trip's area ({where})",
        )
    return None


def stop_rejection(booking: Booking, rules: ServiceRules) -> Rejection | None:
    """Stop-based service: both ends must be named stops."""
    if rules.door_to_door:
        return None
    if booking.pickup.stop_id is None or booking.dropoff.stop_id is None:
        return _reject(
            booking,
            RejectionReason.INVALID_REQUEST,
            "this service runs stop to stop: pickup and drop-off must be named stops",
        )
    return None


def _reject(booking: Booking, reason: RejectionReason, message: str) -> Rejection:
    return Rejection(booking.id, reason, message)
