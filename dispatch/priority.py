"""Priority bookings: who may use the reserve of a wider wait when nothing fits within the usual one.

An open return (帰りは電話で) is a rider already out on the service who calls to be taken home; refusing
them, or sending them to a time an hour away, strands them. Such a booking is first searched as any new
request (pickup within ``max_wait_s`` of the asked time). Only when that finds nothing is it searched
again with the pickup allowed up to ``max_wait_s + reserve`` after the asked time; the promise made is
still ``max_wait_s`` wide, around the planned pickup, and every other booking's windows stay as they are,
so no other rider's promise moves. An ordinary request at the same moment gets a rejection (with
alternative times) instead. Times in seconds.
"""

from __future__ import annotations

from dataclasses import replace

from dispatch.model import Booking
from dispatch.rules import ServiceRules

#: ``Booking.priority`` of a return the rider calls for.
OPEN_RETURN = "open_return"

#: Extra pickup wait (seconds) each priority may be given beyond ``ServiceRules.max_wait_s``.
RESERVE_WAIT_S: dict[str, int] = {OPEN_RETURN: 30 * 60}


def reserve_wait_s(booking: Booking) -> int:
    """Seconds of extra wait ``booking`` may be given when its usual window has no room (0: none)."""
    if booking.priority is None or booking.pickup_window is not None or booking.dropoff_window is not None:
        return 0  # planner legs keep the windows their trains set
    return RESERVE_WAIT_S.get(booking.priority, 0)


def reserve_rules(rules: ServiceRules, booking: Booking) -> ServiceRules | None:
    """The rules for the reserve search of ``booking`` (a wider pickup window), or None if it has none."""
    extra = reserve_wait_s(booking)
    return None if extra <= 0 else replace(rules, max_wait_s=rules.max_wait_s + extra)
