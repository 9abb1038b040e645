"""Fares: the shared taxi's flat fare per municipality and the Joshin line's distance-based fare."""

from __future__ import annotations

import pytest

from dispatch.fares import FareTable, RailFares

TOMIOKA, NANMOKU = "10210", "10383"


def test_rail_fare_goes_through_both_published_figures():
    rail = RailFares()
    assert rail.fare(20.2) == 810
    assert rail.fare(33.7) == 1130
    assert rail.fare(0) == 0
    assert rail.fare(0.9) == rail.minimum_yen
    kms = [k / 2 for k in range(1, 68)]
    fares = [rail.fare(k) for k in kms]
    assert fares == sorted(fares), "fares never fall with distance"
    assert all(f % 10 == 0 for f in fares)
    assert 500 < rail.fare(13.5) < 810  # Shimonita - Joshu-Tomioka
    with pytest.raises(ValueError):
        rail.fare(-1)
    with pytest.raises(ValueError):
        RailFares(km_a=30, km_b=20)


def test_drt_fare_by_fleet_residence_and_class():
    fares = FareTable()
    assert fares.drt_fare(TOMIOKA, TOMIOKA) == 100
    assert fares.drt_fare(TOMIOKA, None) == 100  # unknown home: the caller said they live/work/study there
    assert fares.drt_fare(TOMIOKA, NANMOKU) == 500
    assert fares.drt_fare(TOMIOKA, TOMIOKA, "other") == 500
    assert fares.drt_fare(TOMIOKA, TOMIOKA, "child") == 0
    assert fares.rail_fare(20.2, "preschool") == 0
    wide = FareTable.from_dict({"wide_area_resident": True, "drt": {NANMOKU: {"resident_yen": 300, "other_yen": 600}}})
    assert wide.drt_fare(TOMIOKA, NANMOKU) == 100
    assert wide.drt_fare(NANMOKU, NANMOKU) == 300
    assert wide.drt_fare(TOMIOKA, "13101") == 500  # Tokyo visitor
    with pytest.raises(KeyError, match="no shared-taxi fare"):
        fares.drt_fare("99999", None)
    with pytest.raises(ValueError, match="unknown fare"):
        FareTable.from_dict({"bus": {}})
    with pytest.raises(ValueError, match="needs resident_yen"):
        FareTable.from_dict({"drt": {TOMIOKA: {"resident": 1}}})
