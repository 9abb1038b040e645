"""Zone layout: which municipality and 大字 a coordinate belongs to.

No boundary polygons are available, so the layout is the nearest-representative-point
(Voronoi) partition of the 97 大字 points of the four service municipalities. The Joshin line
stations of municipalities outside the service area (Takasaki) are added as points of their
municipality, so that points east of Kanra are not pulled into a 大字; a point nearest one
of those gets a zone with an empty 大字 and ``in_service_area=False``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from routing.errors import OutOfServiceArea
from routing.facts import RegionFacts
from routing.geo import SERVICE_BOX, check_point, haversine_m, local_xy_m

MAX_ZONE_DISTANCE_M = 5000.0
"""A point farther than this from every representative point is outside the layout, metres."""

_OTHER_MUNICIPALITIES = {"10202": "Takasaki"}


@dataclass(frozen=True)
class Zone:
    """Municipality and 大字 of a coordinate.

    Attributes
    ----------
    jis_code
        Municipality JIS code (``"10210"`` Tomioka, ``"10382"`` Shimonita, ``"10383"`` Nanmoku,
        ``"10384"`` Kanra; ``"10202"`` Takasaki outside the service area).
    municipality_ja, municipality_en
        Municipality names.
    oaza_ja
        The 大字, or ``""`` outside the service municipalities.
    in_service_area
        True for the four service municipalities.
    distance_m
        Straight-line distance to the representative point, metres.
    """

    jis_code: str
    municipality_ja: str
    municipality_en: str
    oaza_ja: str
    in_service_area: bool = True
    distance_m: float = 0.0


class ZoneLayout:
    """Nearest-representative-point zone lookup built from the regional facts."""

    def __init__(self, facts: RegionFacts):
        names = {m.jis_code: (m.name_ja, m.name_en) for m in facts.municipalities}
        self._zones: list[Zone] = []
        lat, lon = [], []
        for oz in facts.oaza:
            ja, en = names.get(oz.jis_code, ("", ""))
            self._zones.append(Zone(oz.jis_code, ja, en, oz.name_ja))
            lat.append(oz.lat)
            lon.append(oz.lon)
        for st in facts.stations:
            if st.jis_code not in names:
                en = _OTHER_MUNICIPALITIES.get(st.jis_code, "")
                self._zones.append(Zone(st.jis_code, st.municipality_ja, en, "", in_service_area=False))
                lat.append(st.lat)
                lon.append(st.lon)
        self._lat0 = (SERVICE_BOX.south + SERVICE_BOX.north) / 2
        self._lat, self._lon = np.array(lat), np.array(lon)
        self._tree = cKDTree(local_xy_m(self._lat, self._lon, self._lat0))

    def zone_of(self, lat: float, lon: float) -> Zone:
        """Zone of a WGS84 point (degrees).

        Raises
        ------
        OutOfServiceArea
            If the point is NaN, outside the service box, or more than
            :data:`MAX_ZONE_DISTANCE_M` from every representative point.
        """
        lat, lon = check_point(lat, lon)
        _, i = self._tree.query(local_xy_m(np.array([lat]), np.array([lon]), self._lat0)[0])
        d = haversine_m(lat, lon, float(self._lat[i]), float(self._lon[i]))
        if d > MAX_ZONE_DISTANCE_M:
            raise OutOfServiceArea(
                f"point lat={lat:.6f} lon={lon:.6f} is {d / 1000:.1f} km from the nearest 大字 point; "
                "it is outside the zone layout"
            )
        z = self._zones[int(i)]
        return Zone(z.jis_code, z.municipality_ja, z.municipality_en, z.oaza_ja, z.in_service_area, d)
