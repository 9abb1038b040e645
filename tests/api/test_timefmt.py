from datetime import UTC, datetime, timedelta, timezone

from api.timefmt import seconds_on, to_iso, to_service_time


def test_tokyo_time_splits_into_day_and_seconds():
    assert to_service_time(datetime.fromisoformat("2026-12-01T10:00:00+09:00")) == ("2026-12-01", 36_000)
    # 01:30 UTC is 10:30 in Tokyo on the same day; 16:00 UTC is 01:00 the next Tokyo day
    assert to_service_time(datetime(2026, 12, 1, 1, 30, tzinfo=UTC)) == ("2026-12-01", 37_800)
    assert to_service_time(datetime(2026, 12, 1, 16, 0, tzinfo=UTC)) == ("2026-12-02", 3_600)
    # naive times are Tokyo times
    assert to_service_time(datetime(2026, 12, 1, 8, 15)) == ("2026-12-01", 29_700)


def test_iso_round_trip_and_days_beyond_midnight():
    assert to_iso("2026-12-01", 36_000) == "2026-12-01T10:00:00+09:00"
    assert to_iso("2026-12-01", 86_400 + 60) == "2026-12-02T00:01:00+09:00"
    moment = datetime(2026, 11, 29, 10, 0, tzinfo=timezone(timedelta(hours=9)))
    assert seconds_on("2026-12-01", moment) == -2 * 86_400 + 36_000
