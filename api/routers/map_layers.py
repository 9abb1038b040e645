"""GeoJSON layers of the console map besides the road graph: the places the form knows (stations, offices,
hospitals, 大字 ...) as points, and each municipality's area.

The region has no boundary polygons (大字 zones are nearest-representative-point areas, see
docs/status.md), so a municipality's area is drawn as the convex hull of its 大字 points, widened by 5%
about their centre: an orientation aid for the phone desk, not a legal boundary. Coordinates are WGS84
[lon, lat].
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from scipy.spatial import ConvexHull

from api.auth import require
from api.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/map", tags=["map"], responses=ERROR_RESPONSES)
WIDEN = 1.05


def places_geojson(network: Any) -> dict[str, Any]:
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(p.lon, 6), round(p.lat, 6)]},
         "properties": {"key": p.key, "name_ja": p.name_ja, "name_en": p.name_en, "kind": p.kind,
                        "jis_code": p.jis_code}}
        for p in network.places if p.node >= 0 and p.lat is not None and p.lon is not None
    ]
    return {"type": "FeatureCollection", "features": features}


@lru_cache(maxsize=4)
def _areas(network: Any) -> dict[str, Any]:
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    names: dict[str, str] = {}
    for place in network.places:
        if place.kind == "oaza" and place.jis_code and place.lat is not None:
            points[place.jis_code].append((place.lon, place.lat))
            names[place.jis_code] = place.key.removeprefix("oz:").split("/")[0]
    features = []
    for jis, coords in sorted(points.items()):
        xy = np.array(coords)
        if len(xy) < 3:
            continue
        hull = xy[ConvexHull(xy).vertices]
        centre = xy.mean(axis=0)
        ring = (centre + (hull - centre) * WIDEN).round(6).tolist()
        features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]},
                         "properties": {"jis_code": jis, "name_ja": names[jis], "oaza": len(coords)}})
    return {"type": "FeatureCollection", "features": features}


@router.get("/places.geojson", dependencies=[Depends(require("places.read"))])
async def map_places(request: Request) -> JSONResponse:
    """Every place of the booking form as a GeoJSON Point (key, names, kind, municipality)."""
    return JSONResponse(places_geojson(request.app.state.world.network), headers={"Cache-Control": "max-age=3600"})


@router.get("/areas.geojson", dependencies=[Depends(require("places.read"))])
async def map_areas(request: Request) -> JSONResponse:
    """Each municipality's area (hull of its 大字 points) as a GeoJSON Polygon."""
    return JSONResponse(_areas(request.app.state.world.network), headers={"Cache-Control": "max-age=3600"})
