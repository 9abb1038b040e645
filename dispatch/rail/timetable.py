"""The railway timetable the trip planner asks: which trains connect two stations, and when.

Times are seconds since the service day's midnight (GTFS times past 24:00 stay above 86,400).
A train delay shifts every call of that train by the same number of seconds; the scheduled times
are kept so an itinerary can say what changed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RailStop:
    """A station of the feed (GTFS ``stops.txt``): id, name and WGS84 position in degrees."""

    stop_id: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Call:
    """A train's stop at a station: scheduled arrival and departure (s) and km along the line, if known."""

    stop_id: str
    arrival: int
    departure: int
    km: float | None = None


@dataclass(frozen=True)
class Train:
    """One trip of the feed: its id, direction (GTFS ``direction_id``), headsign and calls in order."""

    train_id: str
    direction: int
    headsign: str
    calls: tuple[Call, ...]
    service_id: str = ""

    def index_of(self, stop_id: str) -> int | None:
        """Position of the call at ``stop_id``, or None when the train does not stop there."""
        for i, call in enumerate(self.calls):
            if call.stop_id == stop_id:
                return i
        return None


@dataclass(frozen=True)
class Connection:
    """A ride on one train between two of its calls, with the delay known when it was looked up.

    ``departure``/``arrival`` include the delay; ``scheduled_*`` do not. Seconds since midnight.
    ``km`` is the distance along the line when the feed gives it, else None.
    """

    train_id: str
    from_stop: str
    to_stop: str
    departure: int
    arrival: int
    scheduled_departure: int
    scheduled_arrival: int
    km: float | None = None

    @property
    def delay_s(self) -> int:
        return self.departure - self.scheduled_departure

    @property
    def ride_s(self) -> int:
        return self.arrival - self.departure


class Timetable:
    """Trains of one service day, queried by station pair and time, with live delays.

    Parameters
    ----------
    stops
        The feed's stations.
    trains
        The trains running on the day (see :func:`dispatch.rail.gtfs.read_gtfs` for the day filter).
    """

    def __init__(self, stops: list[RailStop], trains: list[Train]) -> None:
        self.stops: dict[str, RailStop] = {s.stop_id: s for s in stops}
        self.trains: dict[str, Train] = {t.train_id: t for t in trains}
        if len(self.trains) != len(trains):
            raise ValueError("train ids must be unique within a service day")
        for train in trains:
            unknown = [c.stop_id for c in train.calls if c.stop_id not in self.stops]
            if unknown:
                raise ValueError(f"train {train.train_id} calls at unknown stops {unknown}")
        self._delays: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.trains)

    def train(self, train_id: str) -> Train:
        """The train with that id; ``KeyError`` naming it when the day has no such train."""
        try:
            return self.trains[train_id]
        except KeyError:
            raise KeyError(f"no train {train_id!r} in the timetable") from None

    def set_delay(self, train_id: str, delay_s: int) -> None:
        """Record that ``train_id`` runs ``delay_s`` seconds late from now on (0 = on time again)."""
        self.train(train_id)
        if delay_s < 0:
            raise ValueError("a delay cannot be negative (trains do not leave early)")
        self._delays[train_id] = int(delay_s)

    @property
    def delays(self) -> dict[str, int]:
        """Every recorded delay (train id -> s), for snapshots."""
        return dict(self._delays)

    def delay(self, train_id: str) -> int:
        """Seconds ``train_id`` is currently late."""
        return self._delays.get(train_id, 0)

    def connection(self, train_id: str, from_stop: str, to_stop: str) -> Connection | None:
        """The ride on ``train_id`` from ``from_stop`` to ``to_stop``; None if it does not serve both in order."""
        train = self.train(train_id)
        i, j = train.index_of(from_stop), train.index_of(to_stop)
        if i is None or j is None or j <= i:
            return None
        a, b = train.calls[i], train.calls[j]
        late = self.delay(train_id)
        km = abs(b.km - a.km) if a.km is not None and b.km is not None else None
        return Connection(train_id, from_stop, to_stop, a.departure + late, b.arrival + late, a.departure,
                          b.arrival, km)

    def connections(self, from_stop: str, to_stop: str) -> list[Connection]:
        """Every train of the day from ``from_stop`` to ``to_stop``, by (delayed) departure."""
        out = []
        for train_id in self.trains:
            conn = self.connection(train_id, from_stop, to_stop)
            if conn is not None:
                out.append(conn)
        out.sort(key=lambda c: (c.departure, c.arrival, c.train_id))
        return out

    def departures(self, from_stop: str, to_stop: str, earliest: int, limit: int = 3) -> list[Connection]:
        """The first ``limit`` trains leaving ``from_stop`` at or after ``earliest`` (s) for ``to_stop``."""
        return [c for c in self.connections(from_stop, to_stop) if c.departure >= earliest][:limit]

    def arrivals(self, from_stop: str, to_stop: str, latest: int, limit: int = 3) -> list[Connection]:
        """The last ``limit`` trains reaching ``to_stop`` at or before ``latest`` (s), latest first."""
        fits = [c for c in self.connections(from_stop, to_stop) if c.arrival <= latest]
        return sorted(fits, key=lambda c: (-c.arrival, -c.departure, c.train_id))[:limit]

    def next_after(self, conn: Connection) -> Connection | None:
        """The next train on the same station pair leaving after ``conn`` (for a missed connection)."""
        later = [c for c in self.connections(conn.from_stop, conn.to_stop)
                 if c.departure > conn.departure and c.train_id != conn.train_id]
        return later[0] if later else None
