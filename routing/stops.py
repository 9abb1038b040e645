"""Real stop poles (乗降場所) of the region's bus and shared-taxi services.

``stops.csv`` holds 290 stop poles of four services (2019 GTFS-JP of Gunma prefecture, CC BY 4.0):
the 富岡市乗合タクシー (feed ``tomioka``, the fixed-route shared taxi that Tomioka's 愛タク replaced,
the best public stand-in for 愛タク's stop set), しもにたバス (``shimonita``), 南牧バス (``nanmoku``)
and 上野村乗合タクシー (``uenomura``). ``stop_readings.csv`` holds a kana reading and a romaji form of
each stop name, derived by :mod:`routing.stop_readings`. Coordinates are WGS84 degrees.

Every pole is its own place: a pole's key is ``stop:<feed>/<name>``; a name that appears on several
poles of one feed (the two sides of a road) gets ``#2``, ``#3`` on the later poles in file order.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

STOPS_FILE = "stops.csv"
READINGS_FILE = "stop_readings.csv"

_LONG_VOWELS = (("ou", "o"), ("oo", "o"), ("uu", "u"), ("aa", "a"), ("ii", "i"), ("ee", "e"))


@dataclass(frozen=True)
class StopPole:
    """One stop pole as read from ``stops.csv``, before it is attached to the regional facts.

    Attributes
    ----------
    key
        ``stop:<feed>/<name>`` (``#n`` for the n-th pole of a name within a feed).
    feed, service
        The service's feed id (``tomioka``, ``shimonita``, ``nanmoku``, ``uenomura``) and its name.
    name_ja
        Stop name as published.
    kana, romaji
        Derived reading (hiragana) and romaji form; empty when no reading is on file.
    lat, lon
        WGS84 degrees.
    """

    key: str
    feed: str
    service: str
    name_ja: str
    kana: str
    romaji: str
    lat: float
    lon: float


def plain_romaji(romaji: str) -> str:
    """Romaji with long vowels written short (``tomioka shougakkou`` -> ``tomioka shogakko``).

    Signs and maps in Japan usually drop the long vowel (大森 ``Omori``); search accepts both forms.
    """
    out = romaji
    for long, short in _LONG_VOWELS:
        out = out.replace(long, short)
    return out


def display_romaji(romaji: str) -> str:
    """Title-cased romaji for display: ``tomioka eki`` -> ``Tomioka Eki``."""
    return re.sub(r"[a-z]+", lambda m: m.group(0).capitalize(), romaji)


def read_readings(data_dir: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """``(feed, stop_name) -> (kana, romaji)`` from ``stop_readings.csv`` (empty if the file is absent)."""
    path = Path(data_dir) / READINGS_FILE
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        return {(r["feed"], r["stop_name"]): (r["kana"], r["romaji"]) for r in csv.DictReader(fh)}


def read_stop_poles(data_dir: Path) -> tuple[StopPole, ...]:
    """Every stop pole of ``stops.csv`` in ``data_dir`` in file order (empty if the file is absent).

    Raises
    ------
    ValueError
        If a row lacks a column or has a non-numeric coordinate (the message names the line).
    """
    path = Path(data_dir) / STOPS_FILE
    if not path.is_file():
        return ()
    readings = read_readings(data_dir)
    seen: dict[tuple[str, str], int] = {}
    poles = []
    with path.open(encoding="utf-8", newline="") as fh:
        for line, r in enumerate(csv.DictReader(fh), start=2):
            try:
                feed, name = r["feed"].strip(), r["stop_name"].strip()
                lat, lon = float(r["lat"]), float(r["lon"])
                service = r["service"].strip()
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise ValueError(f"{path}:{line}: bad stop row ({exc})") from None
            n = seen[(feed, name)] = seen.get((feed, name), 0) + 1
            key = f"stop:{feed}/{name}" + (f"#{n}" if n > 1 else "")
            kana, romaji = readings.get((feed, name), ("", ""))
            poles.append(StopPole(key, feed, service, name, kana, romaji, lat, lon))
    return tuple(poles)
