"""Means and 95 % t intervals over replications, and paired differences."""

from __future__ import annotations

import math

import pytest

from sim.stats import paired_difference, summary, t_interval


def test_t_interval_of_a_known_sample():
    mean, ci = t_interval([1.0, 2.0, 3.0, 4.0])
    half = 3.182446305284263 * math.sqrt(5 / 3) / 2  # t(0.975, 3) * s / sqrt(n)
    assert mean == 2.5
    assert ci == pytest.approx([2.5 - half, 2.5 + half], abs=1e-4)


def test_nones_are_left_out_and_one_value_has_no_interval():
    assert t_interval([None, 3.0]) == (3.0, None)
    assert t_interval([None]) == (None, None)
    s = summary([2, None, 4])
    assert s["n"] == 2 and s["values"] == [2, None, 4] and s["mean"] == 3.0 and s["ci95"][0] < 3 < s["ci95"][1]


def test_paired_difference_is_narrower_than_the_separate_intervals():
    a = [10.0, 20.0, 30.0, 40.0]
    b = [11.0, 21.5, 30.5, 41.0]  # the same days, b always a little higher
    d = paired_difference(a, b)
    assert d["mean"] == pytest.approx(1.0) and d["significant"] is True
    _, ci_a = t_interval(a)
    assert d["ci95"][1] - d["ci95"][0] < (ci_a[1] - ci_a[0]) / 10
    noisy = paired_difference(a, [12.0, 18.0, 33.0, 37.0])
    assert noisy["significant"] is False and noisy["ci95"][0] < 0 < noisy["ci95"][1]
    assert paired_difference(a, a)["significant"] is False
    assert paired_difference([1.0], [2.0])["significant"] is None
