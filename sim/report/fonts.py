"""The report's Japanese font: IPAexGothic, shipped by the ``matplotlib-fontja`` package.

Importing this module registers the font with matplotlib and makes it the default family, with
DejaVu Sans behind it for the few symbols IPAexGothic lacks. :func:`missing_glyphs` checks a figure's
texts against the character maps of the fonts matplotlib picks for them (a test uses it: no tofu).
"""

from __future__ import annotations

from functools import cache

import matplotlib
import matplotlib_fontja  # noqa: F401 - registers IPAexGothic with matplotlib's font manager
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text

JAPANESE_FAMILY = "IPAexGothic"
FAMILIES = [JAPANESE_FAMILY, "DejaVu Sans"]


def use_japanese_font() -> None:
    """Make IPAexGothic (then DejaVu Sans) the default font family of every figure."""
    matplotlib.rcParams["font.family"] = FAMILIES


@cache
def _cmap(path: str) -> frozenset[int]:
    with TTFont(path, fontNumber=0, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def font_files(text: Text) -> list[str]:
    """Paths of the fonts matplotlib uses for ``text``, in fallback order."""
    prop = text.get_fontproperties()
    paths = []
    for family in prop.get_family():
        found = font_manager.findfont(font_manager.FontProperties(family=family, style=prop.get_style(),
                                                                  weight=prop.get_weight()),
                                      fallback_to_default=False)
        if found not in paths:
            paths.append(found)
    return paths


def missing_glyphs(fig: Figure) -> dict[str, str]:
    """Texts drawn on ``fig`` with characters no font in their fallback list has: ``{text: missing chars}``."""
    out: dict[str, str] = {}
    for artist in fig.findobj(Text):
        content = artist.get_text()
        if not artist.get_visible() or not content.strip():
            continue
        covered: set[int] = set()
        for path in font_files(artist):
            covered |= _cmap(path)
        missing = "".join(sorted({c for c in content if not c.isspace() and ord(c) not in covered}))
        if missing:
            out[content] = missing
    return out


def has_japanese(content: str) -> bool:
    """True if ``content`` has kana or kanji."""
    return any("\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" for c in content)


def japanese_texts(fig: Figure) -> list[str]:
    """The texts on ``fig`` that contain kana or kanji."""
    return [t.get_text() for t in fig.findobj(Text) if has_japanese(t.get_text())]


use_japanese_font()
