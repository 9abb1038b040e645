"""The service clock: the system clock unless KANRA_CLOCK_FILE shifts it (compressed time for soaks)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from api import timefmt


def _write(path: Path, text: str) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)  # a new inode: seen even within one timestamp tick


def test_the_clock_file_shifts_the_service_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(timefmt.CLOCK_FILE_ENV, raising=False)
    assert timefmt.clock() == pytest.approx(time.time(), abs=1.0)
    path = tmp_path / "clock"
    _write(path, "259200")  # three days ahead
    monkeypatch.setenv(timefmt.CLOCK_FILE_ENV, str(path))
    assert timefmt.clock() - time.time() == pytest.approx(259_200, abs=1.0)
    assert timefmt.now_jst().timestamp() == pytest.approx(timefmt.clock(), abs=1.0)
    _write(path, "-86400.5")
    assert timefmt.clock_offset_s() == -86_400.5
    _write(path, "not a number")  # a broken write keeps the last offset read
    assert timefmt.clock_offset_s() == -86_400.5
    path.unlink()
    assert timefmt.clock_offset_s() == -86_400.5
    monkeypatch.delenv(timefmt.CLOCK_FILE_ENV)
    assert timefmt.clock_offset_s() == 0.0
