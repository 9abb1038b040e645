"""The Joshin line for the trip planner: a GTFS timetable (generated pattern or real feed), station
matching, transfer buffers and walking access at stations.

```python
from dispatch.rail import read_gtfs, StationIndex, StationAccess
timetable = read_gtfs()                     # data/osm_gunma/joshin_gtfs, one service day
timetable.departures("joshin_21", "joshin_14", earliest=8 * 3600)
```
"""

from dispatch.rail.access import StationAccess, StationIndex
from dispatch.rail.gtfs import DEFAULT_GTFS_DIR, GtfsError, read_gtfs, write_gtfs
from dispatch.rail.pattern import FactsError, ServicePattern, build_trips, read_pattern, read_stations
from dispatch.rail.timetable import Call, Connection, RailStop, Timetable, Train

__all__ = [
    "DEFAULT_GTFS_DIR",
    "Call",
    "Connection",
    "FactsError",
    "GtfsError",
    "RailStop",
    "ServicePattern",
    "StationAccess",
    "StationIndex",
    "Timetable",
    "Train",
    "build_trips",
    "read_gtfs",
    "read_pattern",
    "read_stations",
    "write_gtfs",
]
