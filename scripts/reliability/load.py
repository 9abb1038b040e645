"""A bounded booking load against one or more API servers, behaving like a careful phone client.

Each booking has its own ``Idempotency-Key``; on 503 (or a dropped connection) the client waits the
``Retry-After`` hint and sends the same request again, so a booking is never taken twice. Offers are
confirmed or declined at random. Everything the servers answered is recorded for the audit: which keys
got a 2xx and for which booking, every 5xx other than a 503 with ``Retry-After``, and the latencies.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx

PLACES = ("tomioka_general_hospital", "st:Joshu-Tomioka", "tomioka_city_hall", "kanra_town_office", "st:Shimonita",
          "oz:富岡市/七日市", "oz:甘楽町/福島", "st:Joshu-Fukushima", "st:Joshu-Ichinomiya", "nanokaichi_hospital",
          "shimonita_kosei_hospital", "supermarket_tomioka_bypass")
RETRY_CAP_S = 2.0


def service_days(first: date, count: int) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range(count)]


@dataclass
class LoadResult:
    """What the servers answered."""

    accepted: dict[str, str] = field(default_factory=dict)  # idempotency key -> booking id (2xx)
    booking_status: Counter[str] = field(default_factory=Counter)  # status in the create answer
    http_status: Counter[int] = field(default_factory=Counter)  # every answer, retries included
    errors: list[str] = field(default_factory=list)  # 5xx other than 503+Retry-After, bad bodies
    unavailable: int = 0  # 503s with Retry-After (expected while Redis is away)
    unavailable_at: list[float] = field(default_factory=list)  # time.monotonic() of each of those 503s
    answered_at: list[float] = field(default_factory=list)  # time.monotonic() of each 2xx to a create call
    gave_up: list[str] = field(default_factory=list)  # keys never answered with a 2xx before the deadline
    latencies_s: list[float] = field(default_factory=list)  # create calls answered 2xx, first try to answer
    confirmed: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def percentile(self, q: float) -> float:
        if not self.latencies_s:
            return float("nan")
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class BookingLoad:
    """Send ``count`` bookings at ``rate`` per second (or until ``duration_s``), round robin over ``base_urls``.

    Parameters
    ----------
    base_urls
        API servers (``http://127.0.0.1:PORT``).
    api_key
        An operator (or admin) key.
    days
        Service days to book on (cycled).
    rate
        Bookings started per second.
    count, duration_s
        Stop after this many bookings or this many seconds, whichever comes first.
    concurrency
        Client threads (each with its own connection).
    retry_for_s
        How long one booking keeps retrying through 503s and dropped connections.
    seed
        Random seed (places, times, confirm or decline).
    mode
        ``sync`` (the API answers with the offer), ``async`` (the worker answers) or ``mixed`` (alternating).
    """

    def __init__(self, base_urls: list[str], api_key: str, days: list[str], rate: float = 5.0, count: int = 100,
                 duration_s: float = 60.0, concurrency: int = 4, retry_for_s: float = 30.0, seed: int = 1,
                 key_prefix: str = "load", mode: str = "sync", confirm_share: float = 0.6,
                 decline_share: float = 0.1) -> None:
        self.base_urls = base_urls
        self.headers = {"X-API-Key": api_key}
        self.days = days
        self.rate = rate
        self.count = count
        self.duration_s = duration_s
        self.concurrency = concurrency
        self.retry_for_s = retry_for_s
        self.random = random.Random(seed)
        self.key_prefix = key_prefix
        self.mode = mode
        self.confirm_share = confirm_share
        self.decline_share = decline_share
        self.result = LoadResult()
        self.sent = 0
        self._next = threading.Lock()
        self._stop = threading.Event()

    def booking(self, i: int) -> dict:
        rng = self.random
        pickup, dropoff = rng.sample(PLACES, 2)
        day = self.days[i % len(self.days)]
        minutes = rng.randrange(8 * 60 + 30, 16 * 60)
        body = {"pickup": {"place": pickup}, "dropoff": {"place": dropoff},
                "time": f"{day}T{minutes // 60:02d}:{minutes % 60:02d}:00+09:00",
                "seats": rng.choice((1, 1, 1, 2, 3))}
        return body

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> LoadResult:
        """Run to the end (blocking); returns :attr:`result`."""
        self._started = time.monotonic()
        threads = [threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(self.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(self.duration_s + self.retry_for_s + 60)
        return self.result

    def start(self) -> threading.Thread:
        """Run in the background; join the returned thread, then read :attr:`result`."""
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        return thread

    def _claim(self) -> tuple[int, dict] | None:
        with self._next:
            elapsed = time.monotonic() - self._started
            if self._stop.is_set() or self.sent >= self.count or elapsed >= self.duration_s:
                return None
            i = self.sent
            self.sent += 1
            body = self.booking(i)
        due = self._started + i / self.rate
        if due > time.monotonic():
            time.sleep(due - time.monotonic())
        return i, body

    def _client(self, n: int) -> None:
        with httpx.Client(timeout=20.0, headers=self.headers) as http:
            while (claim := self._claim()) is not None:
                i, body = claim
                base = self.base_urls[i % len(self.base_urls)]
                key = f"{self.key_prefix}-{i:06d}"
                self._book(http, base, key, body)

    def _call(self, http: httpx.Client, method: str, url: str, deadline: float,
              **kwargs: object) -> httpx.Response | None:
        """Send until a non-503 answer or the deadline; dropped connections and 503s are retried."""
        while True:
            try:
                response = http.request(method, url, **kwargs)
            except httpx.TransportError:
                response = None
            if response is not None:
                with self.result.lock:
                    self.result.http_status[response.status_code] += 1
                if response.status_code == 503 and response.headers.get("Retry-After"):
                    with self.result.lock:
                        self.result.unavailable += 1
                        self.result.unavailable_at.append(time.monotonic())
                elif response.status_code >= 500:
                    with self.result.lock:
                        self.result.errors.append(f"{method} {url}: {response.status_code} {response.text[:200]}")
                    return response
                else:
                    return response
            if time.monotonic() >= deadline:
                return None
            hint = float(response.headers.get("Retry-After", 0.5)) if response is not None else 0.3
            time.sleep(min(RETRY_CAP_S, hint, max(0.0, deadline - time.monotonic())))

    def _book(self, http: httpx.Client, base: str, key: str, body: dict) -> None:
        started = time.monotonic()
        deadline = started + self.retry_for_s
        # mixed: pairs of each kind, so with two servers both kinds reach both
        mode = self.mode if self.mode != "mixed" else ("sync", "async")[int(key.rsplit("-", 1)[1]) // 2 % 2]
        response = self._call(http, "POST", f"{base}/bookings", deadline, params={"mode": mode}, json=body,
                              headers={"Idempotency-Key": key})
        if response is None or response.status_code >= 300:
            with self.result.lock:
                if response is None:
                    self.result.gave_up.append(key)
                elif response.status_code < 500:
                    self.result.errors.append(f"booking {key}: {response.status_code} {response.text[:300]}")
            return
        booking = response.json()
        with self.result.lock:
            self.result.latencies_s.append(time.monotonic() - started)
            self.result.answered_at.append(time.monotonic())
            self.result.accepted[key] = booking["id"]
            self.result.booking_status[booking["status"]] += 1
        if booking["status"] != "offered":
            return
        draw = self.random.random()
        op = "confirm" if draw < self.confirm_share else "decline" if draw < self.confirm_share + self.decline_share \
            else None
        if op is None:
            return
        answer = self._call(http, "POST", f"{base}/bookings/{booking['id']}/{op}", time.monotonic() + self.retry_for_s)
        if answer is not None and answer.status_code == 200 and op == "confirm":
            with self.result.lock:
                self.result.confirmed.add(booking["id"])
