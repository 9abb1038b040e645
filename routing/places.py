"""Named places: exact lookup and substring search over keys, Japanese, English, kana and romaji names."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence

from routing.facts import PLACE_KINDS, Place

_KIND_RANK = {k: i for i, k in enumerate(PLACE_KINDS)}


def normalise(text: str) -> str:
    """Lower-case, NFKC-fold and drop spaces, hyphens, dots and underscores (``Joshu-Tomioka`` -> ``joshutomioka``)."""
    return re.sub(r"[\s\-_.・/:]+", "", unicodedata.normalize("NFKC", text).lower())


def _names(place: Place) -> list[str]:
    return [place.key, place.name_ja, place.name_en, *place.aliases]


class PlaceIndex:
    """Lookup table of places.

    Exact lookups prefer a key, then stations, then landmarks, then 大字 (so ``"下仁田"``
    is the station and ``"oz:下仁田町/下仁田"`` the 大字).

    Parameters
    ----------
    places
        Places in preference order (stations, landmarks, 大字).
    """

    def __init__(self, places: Sequence[Place]):
        self.places = list(places)
        self._by_key = {p.key.lower(): p for p in self.places}
        self._exact: dict[str, Place] = {}
        for p in self.places:
            for name in _names(p):
                if name:
                    self._exact.setdefault(normalise(name), p)
        self._search = [(p, [normalise(n) for n in _names(p) if n]) for p in self.places]

    def get(self, key_or_name: str) -> Place:
        """Return the place with this key or name (case-insensitive).

        Raises
        ------
        KeyError
            If nothing matches; the message lists near matches.
        """
        text = str(key_or_name).strip()
        if text.lower() in self._by_key:
            return self._by_key[text.lower()]
        hit = self._exact.get(normalise(text))
        if hit is not None:
            return hit
        near = [p.key for p in self.search(text, limit=5)]
        if not near:
            pool = {normalise(n): p.key for p in self.places for n in _names(p) if n}
            near = [pool[m] for m in difflib.get_close_matches(normalise(text), list(pool), n=5, cutoff=0.6)]
        hint = f"; did you mean: {', '.join(dict.fromkeys(near))}" if near else ""
        raise KeyError(f"unknown place {text!r}{hint}")

    def search(self, query: str, limit: int = 10) -> list[Place]:
        """Places whose key or a name equals, starts with or contains ``query``, best first.

        Exact matches come first (stations, landmarks, 大字, then stop poles); then the other places
        that start with or contain the query; then the stop poles that do, so the 290 poles do not
        crowd out the stations and landmarks of a partial query.

        Parameters
        ----------
        query
            Free text; case, spaces and hyphens are ignored.
        limit
            Maximum number of results.
        """
        q = normalise(query)
        if not q:
            return []
        scored = []
        for p, names in self._search:
            score = min(
                (0 if n == q else 1 if n.startswith(q) else 2 if q in n else 9 for n in names), default=9
            )
            if score < 9:
                tier = 0 if score == 0 else 2 if p.kind == "stop" else 1
                scored.append((tier, score, _KIND_RANK.get(p.kind, 99), p.key, p))
        scored.sort(key=lambda s: s[:4])
        return [s[4] for s in scored[:limit]]
