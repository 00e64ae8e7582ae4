"""ICER table, net benefit and value-based price against hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from disctwin.economics import (
    calculate_icers,
    net_health_benefit,
    net_monetary_benefit,
    value_based_price,
    with_price,
)


def _summary(rows: dict[str, tuple[float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {"cost": [c for c, _ in rows.values()], "qaly": [e for _, e in rows.values()]},
        index=pd.Index(list(rows), name="strategy"),
    )


def test_icers_with_strong_and_extended_dominance_hand_example():
    """Worked by hand:
    O (0, 0); P (1000, 0.5) -> ICER 2000 vs O; Q (1500, 0.4): costs more than P, fewer QALYs
    -> D; R (4000, 0.6): 30,000 vs P; S (5000, 1.0): 10,000 vs R < 30,000 -> R is ED;
    after removing R, S vs P: 4000 / 0.5 = 8000; T (5000, 0.9): same cost as S, fewer QALYs
    -> D."""
    table = calculate_icers(
        _summary(
            {
                "S": (5000, 1.0),
                "O": (0, 0.0),
                "Q": (1500, 0.4),
                "P": (1000, 0.5),
                "R": (4000, 0.6),
                "T": (5000, 0.9),
            }
        )
    )
    assert table["strategy"].tolist() == ["O", "P", "S", "Q", "R", "T"]
    assert table["status"].tolist() == ["ND", "ND", "ND", "D", "ED", "D"]
    frontier = table.set_index("strategy")
    assert np.isnan(frontier.loc["O", "icer"])
    assert frontier.loc["P", "icer"] == pytest.approx(2000.0)
    assert frontier.loc["S", "icer"] == pytest.approx(8000.0)
    assert frontier.loc["S", "incremental_cost"] == pytest.approx(4000.0)
    assert frontier.loc["S", "incremental_qaly"] == pytest.approx(0.5)
    assert frontier[["icer"]].loc[["Q", "R", "T"]].isna().all().all()


def test_a_dominant_strategy_leaves_only_itself_on_the_frontier():
    table = calculate_icers(_summary({"old": (100, 1.0), "new": (50, 2.0)}))
    assert table.set_index("strategy")["status"].to_dict() == {"new": "ND", "old": "D"}


def test_net_benefit():
    summary = _summary({"a": (1000, 2.0), "b": (3000, 2.5)})
    assert net_monetary_benefit(summary, 20_000).to_dict() == {"a": 39_000, "b": 47_000}
    assert net_health_benefit(summary, 20_000)["b"] == pytest.approx(2.5 - 3000 / 20_000)


@pytest.mark.parametrize("threshold", [20_000.0, 30_000.0, 100_000.0])
def test_value_based_price_put_back_gives_icer_equal_to_threshold(threshold):
    """Priced at its value-based price, the therapy's ICER vs the comparator is the
    threshold to 1e-6 (relative)."""
    summary = _summary({"care": (12_000.0, 8.1), "therapy": (7_000.0, 8.9)})  # cost at price 0
    vbp = value_based_price(summary, "therapy", threshold, units=1.0)
    priced = with_price(summary, "therapy", vbp.price)
    icer = (priced.loc["therapy", "cost"] - priced.loc["care", "cost"]) / (
        priced.loc["therapy", "qaly"] - priced.loc["care", "qaly"]
    )
    assert icer == pytest.approx(threshold, rel=1e-6)
    assert vbp.headroom == pytest.approx(vbp.price)
    assert vbp.binding_comparator == "care"


def test_value_based_price_against_several_comparators():
    """With several alternatives the binding one is the best of the others at the threshold;
    at the price the therapy ties with it and beats the rest; units divide the headroom."""
    summary = _summary({"a": (0.0, 1.0), "b": (5_000.0, 1.5), "t": (2_000.0, 2.0)})
    vbp = value_based_price(summary, "t", 20_000.0, units=2.5)
    priced = with_price(summary, "t", vbp.price, units=2.5)
    nmb = net_monetary_benefit(priced, 20_000.0)
    assert vbp.binding_comparator == "b"
    assert nmb["t"] == pytest.approx(nmb["b"])
    assert nmb["t"] > nmb["a"]
    assert vbp.headroom == pytest.approx(2.5 * vbp.price)
