"""Derive the kana reading and romaji of every stop name: ``python -m routing.stop_readings [DATA_DIR]``.

Readings come from the pykakasi dictionary (``pip install pykakasi``, a development dependency), so
they are reproducible but best effort: a dictionary reads a place name the common way, which is not
always the local one (神農原 is かのはら locally). The output ``stop_readings.csv`` is committed; the
engine only reads it, and a test regenerates it and compares byte for byte.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import unicodedata
from pathlib import Path

from routing.facts import DEFAULT_DATA_DIR
from routing.stops import READINGS_FILE, read_stop_poles

_BRACKETS = str.maketrans({"［": "(", "］": ")", "[": "(", "]": ")", "（": "(", "）": ")"})


def reading(name: str, kakasi) -> tuple[str, str]:
    """``(hiragana, romaji)`` of a stop name; romaji in Hepburn without macrons, words space-separated.

    Parameters
    ----------
    name
        Stop name as published (``小河原［下仁田町東野牧］``).
    kakasi
        A ``pykakasi.kakasi()`` converter.
    """
    text = unicodedata.normalize("NFKC", name).translate(_BRACKETS)
    parts = kakasi.convert(text)
    kana = "".join(p["hira"] for p in parts)
    words = (p["hepburn"].strip().lower() for p in parts)
    romaji = " ".join(w for w in words if w and w != "・")
    romaji = re.sub(r"\s*\(\s*", " (", romaji)
    romaji = re.sub(r"\s*\)\s*", ") ", romaji)
    return kana, re.sub(r"\s+", " ", romaji).strip()


def readings_csv(data_dir: Path = DEFAULT_DATA_DIR) -> str:
    """The text of ``stop_readings.csv``: one row per distinct (feed, stop name), in file order."""
    import pykakasi

    kakasi = pykakasi.kakasi()
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["feed", "stop_name", "kana", "romaji"])
    seen = set()
    for pole in read_stop_poles(data_dir):
        if (pole.feed, pole.name_ja) in seen:
            continue
        seen.add((pole.feed, pole.name_ja))
        w.writerow([pole.feed, pole.name_ja, *reading(pole.name_ja, kakasi)])
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Write ``stop_readings.csv`` into the data directory (default ``data/osm_gunma``)."""
    args = sys.argv[1:] if argv is None else argv
    data_dir = Path(args[0]) if args else DEFAULT_DATA_DIR
    try:
        text = readings_csv(data_dir)
    except ImportError:
        print("error: pykakasi が必要です (pip install pykakasi) / needs pykakasi", file=sys.stderr)
        return 2
    path = data_dir / READINGS_FILE
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
