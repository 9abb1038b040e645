"""A random day driven through the public API: after every step the plans validate and no promise is lost."""

from __future__ import annotations

import random

import pytest

from dispatch.errors import DispatchError
from dispatch.model import BookingRejected, BookingStatus, Offer, StopKind
from tests.dispatch.dispatch_helpers import H, M, booking, cloud_costs, dispatcher, vehicle

COSTS = cloud_costs(60, size_m=12_000, seed=5)


def _invariants(d) -> None:
    assert d.check() == []
    assert d.late_bookings() == {}  # everything runs on time here, so no promise may slip
    where: dict[str, list] = {}
    for vid, plan in d.plans().items():
        for s in plan.stops:
            where.setdefault(s.booking_id, []).append((vid, s))
    for b in d.bookings():
        stops = where.get(b.id, [])
        if b.status in (BookingStatus.OFFERED, BookingStatus.CONFIRMED, BookingStatus.ASSIGNED):
            assert [s.kind for _, s in stops] == [StopKind.PICKUP, StopKind.DROPOFF], b.id
            assert len({vid for vid, _ in stops}) == 1
            lo, hi = d.offer(b.id).pickup_window
            assert lo <= stops[0][1].service_start <= hi, b.id
        elif b.status == BookingStatus.ONBOARD:
            assert [s.kind for _, s in stops] == [StopKind.DROPOFF], b.id
        else:
            assert stops == [], (b.id, b.status)


def _execute_until(d, until: int) -> None:
    while True:
        due = [(p.stops[0].service_start, vid, p.stops[0]) for vid, p in d.plans().items()
               if p.stops and p.stops[0].service_start <= until]
        if not due:
            return
        _, vid, stop = min(due, key=lambda x: x[0])
        d.arrive(vid, stop.booking_id, stop.service_start)
        if stop.kind == StopKind.PICKUP:
            d.board(vid, stop.booking_id, stop.departure)
        else:
            d.drop_off(vid, stop.booking_id, stop.departure)


def _day(seed: int, steps: int, reopt_every: int) -> None:
    rnd = random.Random(seed)
    d = dispatcher(COSTS, [vehicle("a", depot=0, wheelchairs=1), vehicle("b", depot=1), vehicle("c", depot=2)])
    now = 7 * H
    for step in range(steps):
        now += rnd.randint(1, 6) * M
        _execute_until(d, now)
        action = rnd.random()
        active = [b.id for b in d.bookings() if b.status in (BookingStatus.OFFERED, BookingStatus.CONFIRMED)]
        try:
            if action < 0.55 or not active:
                p, q = rnd.sample(range(3, 60), 2)
                t = now + rnd.randint(20, 240) * M
                answer = d.request(booking(f"r{step}", p, q, t, wheelchairs=int(rnd.random() < 0.1)), now)
                if isinstance(answer, Offer) and rnd.random() < 0.8:
                    d.confirm(answer.booking_id, now)
            elif action < 0.65:
                d.cancel(rnd.choice(active), now)
            elif action < 0.75:
                bid = rnd.choice(active)
                d.modify(bid, now, requested_time=max(d.booking(bid).requested_time, now + 20 * M) + 10 * M)
            elif action < 0.85:
                d.reassign(rnd.choice(active), rnd.choice("abc"), now)
            elif step % reopt_every == 0:
                d.reoptimise(now, time_limit_s=0.5)
        except BookingRejected:
            pass
        except DispatchError as exc:  # only "not allowed in this state" is acceptable here
            assert "cannot" in str(exc) or "no open offer" in str(exc), exc
        _invariants(d)
    _execute_until(d, 24 * H)
    _invariants(d)
    assert all(not b.status.is_active for b in d.bookings())


def test_a_random_day_keeps_every_promise():
    _day(seed=1, steps=60, reopt_every=3)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2, 8))
def test_many_random_days_keep_every_promise(seed):
    _day(seed=seed, steps=150, reopt_every=2)
