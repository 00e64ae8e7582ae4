"""Discounting and within-cycle corrections against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from disctwin.economics import (
    Discounting,
    discount_factors,
    discounted_flow,
    present_value,
    within_cycle_weights,
)


@pytest.mark.parametrize(("rate", "n_years"), [(0.035, 10), (0.03, 75), (0.015, 1), (0.2, 40)])
def test_constant_stream_equals_annuity_formula(rate, n_years):
    """c paid at the end of each of n years: c (1 - (1 + r)^-n) / r (annuity immediate);
    at the start: the annuity due, (1 + r) times that."""
    amount = 1234.5
    annuity = amount * (1 - (1 + rate) ** -n_years) / rate
    stream = np.full(n_years, amount)
    assert present_value(stream, rate, timing="end") == pytest.approx(annuity, rel=1e-12)
    assert present_value(stream, rate, timing="start") == pytest.approx(
        annuity * (1 + rate), rel=1e-12
    )


def test_monthly_stream_equals_annuity_at_monthly_rate():
    """per_period discounting of a monthly stream uses r/12 per month: the annuity formula
    with i = r/12 and 12 n periods."""
    rate, years, amount = 0.03, 5, 100.0
    i, n = rate / 12, 12 * years
    expected = amount * (1 - (1 + i) ** -n) / i
    got = present_value(np.full(n, amount), rate, "end", cycle_length=1 / 12, method="per_period")
    assert got == pytest.approx(expected, rel=1e-12)


def test_continuous_flow_equals_its_integral():
    """A flow c per year from 0 to T: c (1 - e^{-δT}) / δ with δ = ln(1 + r); r = 0 gives cT."""
    rate, years, c = 0.035, 30.0, 500.0
    delta = math.log1p(rate)
    assert float(discounted_flow(c, 0.0, years, rate)) == pytest.approx(
        c * (1 - math.exp(-delta * years)) / delta, rel=1e-12
    )
    assert float(discounted_flow(c, 2.0, 7.0, 0.0)) == pytest.approx(c * 5.0)


def test_methods_agree_on_annual_cycles_and_differ_on_monthly():
    years = np.arange(0, 11, dtype=float)
    assert np.allclose(
        discount_factors(years, 0.03, "continuous"), discount_factors(years, 0.03, "per_period")
    )
    months = np.arange(0, 121) / 12
    continuous = discount_factors(months, 0.03, "continuous")
    per_period = discount_factors(months, 0.03, "per_period", cycle_length=1 / 12)
    assert per_period[-1] < continuous[-1]  # (1 + r/12)^12 > 1 + r: more discounting


@pytest.mark.parametrize("n_cycles", [1, 2, 5, 10, 75])
def test_corrections_integrate_polynomials_exactly(n_cycles):
    """Trapezoid (half-cycle) is exact for linear streams, Simpson (with a 3/8 panel when n
    is odd) for cubics; both sum to n cycles."""
    t = np.arange(n_cycles + 1, dtype=float)
    half = within_cycle_weights(n_cycles, "half_cycle")
    assert half.sum() == pytest.approx(n_cycles)
    assert half @ (2 + 3 * t) == pytest.approx(2 * n_cycles + 1.5 * n_cycles**2)
    if n_cycles >= 2:
        simpson = within_cycle_weights(n_cycles, "simpson")
        cubic = 1 - t + 0.5 * t**2 - 0.1 * t**3
        exact = n_cycles - n_cycles**2 / 2 + n_cycles**3 / 6 - 0.1 * n_cycles**4 / 4
        assert simpson @ cubic == pytest.approx(exact, rel=1e-12)


def test_start_end_and_published_weights():
    assert within_cycle_weights(3, "start").tolist() == [1, 1, 1, 0]
    assert within_cycle_weights(3, "end").tolist() == [0, 1, 1, 1]
    assert within_cycle_weights(3, "all").tolist() == [1, 1, 1, 1]
    darth = within_cycle_weights(5, "darth_2023")
    assert np.allclose(darth * 3, [1, 2, 4, 2, 4, 1])


def test_explicit_weights_pass_through():
    d = Discounting(within_cycle=[0.5, 1.0, 0.5])
    assert d.within_cycle == (0.5, 1.0, 0.5)
    assert within_cycle_weights(2, d.within_cycle).tolist() == [0.5, 1.0, 0.5]
