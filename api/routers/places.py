"""Stops and places for the booking form's autocomplete, and the road graph for the console map."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from api.auth import require
from api.errors import ApiError
from api.schemas import ERROR_RESPONSES

router = APIRouter(tags=["places"], responses=ERROR_RESPONSES)

KINDS = (
    "station", "municipal_office", "hospital", "clinic", "school", "supermarket", "shopping", "tourism", "oaza", "stop",
)

PlaceKind = Literal[KINDS]  # type: ignore[valid-type]  # the document lists them: an empty or unknown kind is a 422


def place_out(place: Any) -> dict[str, Any]:
    out = {
        "key": place.key,
        "name_ja": place.name_ja,
        "name_en": place.name_en,
        "kind": place.kind,
        "jis_code": place.jis_code,
        "lat": place.lat,
        "lon": place.lon,
        "node": place.node,
    }
    if place.kind == "stop":  # a real stop pole: its service, reading and walk to the road
        out.update(feed=place.feed, service=place.service, kana=place.kana, access_m=round(place.access_m, 1))
    return out


@router.get("/places", dependencies=[Depends(require("places.read"))])
async def list_places(
    request: Request,
    q: Annotated[str | None, Query(max_length=60, description="Japanese, English or romaji, any part")] = None,
    kind: Annotated[PlaceKind | None, Query(description="only places of this kind (all kinds without it)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 10,
) -> list[dict[str, Any]]:
    """Stations, landmarks, 大字 and service stops, best match first (all of them without ``q``)."""
    network = request.app.state.world.network
    found = network.search_places(q, limit=500) if q else network.places
    found = [p for p in found if p.node >= 0 and (kind is None or p.kind == kind)]
    return [place_out(p) for p in found[:limit]]


@router.get("/places/{key:path}", dependencies=[Depends(require("places.read"))])
async def get_place(request: Request, key: str) -> dict[str, Any]:
    try:
        return place_out(request.app.state.world.network.place(key))
    except KeyError as exc:
        raise ApiError(404, "key", str(exc).strip("'\"")) from None


@router.get("/network.geojson", dependencies=[Depends(require("network.read"))])
async def network_geojson(request: Request) -> JSONResponse:
    """The road graph as a GeoJSON FeatureCollection of LineStrings (lon, lat), for the console map.

    A foreign member ``network`` says what the graph is (kind, source, build date, calibration against
    scheduled bus times, and one-line captions), so the map never passes the skeleton off as OpenStreetMap.
    """
    from routing.provenance import network_provenance

    network = request.app.state.world.network
    body = {**network.geojson(), "network": network_provenance(network)}
    return JSONResponse(body, headers={"Cache-Control": "max-age=3600"})
