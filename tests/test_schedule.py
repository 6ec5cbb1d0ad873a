"""When a feed is fetched again: next_fetch_at, Retry-After parsing, and durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narratives.collect import MAX_BACKOFF, next_fetch_at
from narratives.config import parse_duration
from narratives.fetch import MAX_RETRY_AFTER, parse_retry_after

T0 = datetime(2026, 11, 24, 10, 0, 0)
MIN = 60.0
DAY = timedelta(hours=24)


# --- next_fetch_at ----------------------------------------------------------------

@pytest.mark.parametrize("outcome", ["ok", "not_modified", "unchanged"])
def test_success_waits_one_interval(outcome):
    assert next_fetch_at(outcome, T0, 15 * MIN, 0) == T0 + timedelta(minutes=15)
    assert next_fetch_at(outcome, T0, 6 * 3600, 0) == T0 + timedelta(hours=6)
    # a success ignores Retry-After and earlier failures (the caller passes 0 after success)
    assert next_fetch_at(outcome, T0, 15 * MIN, 0, retry_after=3600) == T0 + timedelta(minutes=15)


def test_failures_double_from_the_interval():
    delays = [next_fetch_at("error", T0, 15 * MIN, n) - T0 for n in range(1, 9)]
    assert delays[:7] == [timedelta(minutes=15 * 2 ** k) for k in range(7)]  # 15m, 30m, ... 16h
    assert delays[7] == DAY  # 32 h capped


def test_backoff_is_capped_at_24_hours():
    for failures in (10, 50, 1000, 10**9):
        assert next_fetch_at("error", T0, 15 * MIN, failures) == T0 + DAY
    assert MAX_BACKOFF == DAY


def test_retry_after_raises_the_delay_but_never_lowers_it():
    assert next_fetch_at("error", T0, 15 * MIN, 1, retry_after=3600) == T0 + timedelta(hours=1)
    assert next_fetch_at("error", T0, 15 * MIN, 1, retry_after=60) == T0 + timedelta(minutes=15)
    assert next_fetch_at("error", T0, 15 * MIN, 4, retry_after=3600) == T0 + timedelta(hours=2)
    assert next_fetch_at("error", T0, 15 * MIN, 1, retry_after=0) == T0 + timedelta(minutes=15)
    assert next_fetch_at("error", T0, 15 * MIN, 1, retry_after=7 * 86400) == T0 + DAY  # capped too


def test_gone_is_never_rescheduled():
    assert next_fetch_at("gone", T0, 15 * MIN, 1) is None
    assert next_fetch_at("gone", T0, 15 * MIN, 99, retry_after=60) is None


def test_zero_failures_on_error_still_waits_one_interval():
    assert next_fetch_at("error", T0, 15 * MIN, 0) == T0 + timedelta(minutes=15)


INTERVALS = st.floats(min_value=1.0, max_value=7 * 86400.0, allow_nan=False)
RETRY = st.one_of(st.none(), st.floats(min_value=0.0, max_value=MAX_RETRY_AFTER, allow_nan=False))


@settings(max_examples=300, deadline=None)
@given(INTERVALS, st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=10**6), RETRY)
def test_backoff_is_monotone_and_bounded(interval, f1, f2, retry_after):
    lo, hi = sorted((f1, f2))
    a = next_fetch_at("error", T0, interval, lo, retry_after)
    b = next_fetch_at("error", T0, interval, hi, retry_after)
    assert a <= b  # more failures never means an earlier retry
    for when in (a, b):
        assert T0 < when <= T0 + DAY
        assert when >= T0 + min(timedelta(seconds=interval), DAY)  # never sooner than the schedule
        if retry_after is not None:
            assert when >= T0 + min(timedelta(seconds=retry_after), DAY)


@settings(max_examples=200, deadline=None)
@given(INTERVALS, st.integers(min_value=0, max_value=100), RETRY)
def test_failure_never_retries_sooner_than_success(interval, failures, retry_after):
    ok = next_fetch_at("ok", T0, interval, 0)
    err = next_fetch_at("error", T0, interval, failures, retry_after)
    assert ok == T0 + timedelta(seconds=interval)
    assert err >= min(ok, T0 + DAY)


# --- parse_retry_after --------------------------------------------------------------

NOW = datetime(2026, 11, 24, 10, 0, 0)


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0), (" 120 ", 120.0), ("0", 0.0), ("86400", 86400.0),
    ("86401", MAX_RETRY_AFTER), ("99999999999999999999999", MAX_RETRY_AFTER),
    ("Tue, 24 Nov 2026 10:05:00 GMT", 300.0),          # in the future
    ("Tue, 24 Nov 2026 13:05:00 +0300", 300.0),        # another zone, same instant
    ("Tue, 24 Nov 2026 09:00:00 GMT", 0.0),            # in the past: retry now
    ("Sun, 06 Nov 1994 08:49:37 GMT", 0.0),
    ("Wed, 24 Nov 2027 10:00:00 GMT", MAX_RETRY_AFTER),  # a year ahead: capped
    ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER),
])
def test_parse_retry_after(value, seconds):
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize("value", [
    None, "", "   ", "soon", "-5", "1.5", "1e5", "0x10", "120abc", "120 s",
    "²", "١٢٠٠٠٠٠",  # digits to str.isdigit(), not header digits
    "Tue, 99 Nov 2026 10:05:00 GMT",
    "Fri, 31 Dec 9999 23:59:59 -1200",  # past datetime.max once in UTC
])
def test_parse_retry_after_garbage_is_none(value):
    assert parse_retry_after(value, NOW) is None


def test_retry_after_http_date_roundtrip():
    when = NOW + timedelta(minutes=42)
    header = format_datetime(when.replace(tzinfo=UTC), usegmt=True)
    assert parse_retry_after(header, NOW) == 42 * 60


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parse_retry_after_never_raises(value):
    result = parse_retry_after(value, NOW)
    assert result is None or 0.0 <= result <= MAX_RETRY_AFTER


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
       st.integers(min_value=-12 * 60, max_value=14 * 60))
def test_parse_retry_after_any_http_date(when, offset_minutes):
    sign = "+" if offset_minutes >= 0 else "-"
    zone = f"{sign}{abs(offset_minutes) // 60:02d}{abs(offset_minutes) % 60:02d}"
    header = when.strftime(f"%a, %d %b {when.year:04d} %H:%M:%S ") + zone
    result = parse_retry_after(header, NOW)
    assert result is None or 0.0 <= result <= MAX_RETRY_AFTER


# --- parse_duration ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "seconds"), [
    ("90", 90.0), ("90s", 90.0), ("30m", 1800.0), ("6h", 21600.0), ("1d", 86400.0),
    (" 15m ", 900.0), ("1.5h", 5400.0), ("0.5s", 0.5), (45, 45.0), ("15 m", 900.0)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "0m", "0.0h", "-5m", "m", "15 minutes", "1w", "1h30m",
                                  "1e3", "abc", "15M", None])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


@given(st.integers(min_value=1, max_value=10**6), st.sampled_from(["", "s", "m", "h", "d"]))
def test_parse_duration_units(n, unit):
    factor = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    assert parse_duration(f"{n}{unit}") == n * factor
