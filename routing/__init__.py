"""Regional road graph: loading, speeds, snapping, travel-time matrices, paths and zones.

>>> from routing import RoadNetwork
>>> net = RoadNetwork.load()                       # doctest: +SKIP
>>> a, b = net.place("st:Shimonita").node, net.place("nanmoku_village_office").node  # doctest: +SKIP
>>> net.travel_time(a, b) / 60                     # doctest: +SKIP
"""

from routing.errors import OutOfServiceArea, RoutingError
from routing.facts import Corridor, Municipality, Place, Station
from routing.network import Path, RoadNetwork, Snap
from routing.provenance import network_provenance
from routing.zones import Zone

__all__ = [
    "Corridor",
    "Municipality",
    "OutOfServiceArea",
    "Path",
    "Place",
    "RoadNetwork",
    "RoutingError",
    "Snap",
    "Station",
    "Zone",
    "network_provenance",
]
