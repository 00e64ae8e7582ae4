"""One-way DSA: tornado order and values on a model with known answers."""

from __future__ import annotations

import pandas as pd
import pytest

from disctwin.economics import incremental_nmb, one_way_dsa


def _evaluate(p):
    # new costs `price` more and gains `gain` QALYs; `irrelevant` changes nothing
    return pd.DataFrame(
        {"cost": [1000.0, 1000.0 + p["price"]], "qaly": [5.0, 5.0 + p["gain"]]},
        index=pd.Index(["old", "new"], name="strategy"),
    )


def test_tornado_rows_sorted_by_swing_with_exact_values():
    """INMB = λ gain - price: λ = 10,000; gain 0.1-0.5 swings 4000, price 500-1500 swings
    1000, the irrelevant parameter 0."""
    base = {"price": 1000.0, "gain": 0.3, "irrelevant": 1.0}
    ranges = {"irrelevant": (0.0, 2.0), "price": (500.0, 1500.0), "gain": (0.1, 0.5)}
    table = one_way_dsa(_evaluate, base, ranges, incremental_nmb("new", "old", 10_000.0))
    assert table["parameter"].tolist() == ["gain", "price", "irrelevant"]
    assert table["swing"].tolist() == pytest.approx([4000.0, 1000.0, 0.0])
    gain = table.iloc[0]
    assert (gain["outcome_low"], gain["outcome_high"]) == pytest.approx((0.0, 4000.0))
    assert table.attrs["base_outcome"] == pytest.approx(2000.0)
