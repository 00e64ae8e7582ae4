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


DSA_FILE = {
    "name": "t",
    "country": "USA",
    "threshold": 1e5,
    "strategies": [{"name": "a"}, {"name": "b"}],
}


def test_dsa_table_of_the_strategies_file_is_read():
    from disctwin.economics.strategies import parse_strategies

    spec = parse_strategies({**DSA_FILE, "dsa": {"strategy": "b", "comparator": "a"}})
    assert spec.dsa is not None and (spec.dsa.strategy, spec.dsa.comparator) == ("b", "a")


@pytest.mark.parametrize(
    ("dsa", "field"),
    [
        ({"strategy": "b", "comparator": "c"}, "dsa.comparator"),
        ({"strategy": "bb", "comparator": "a"}, "dsa.strategy"),
        ({"strategy": "b", "comparator": "b"}, "dsa.comparator"),
    ],
)
def test_dsa_table_with_unknown_or_equal_strategies_is_one_error(dsa, field):
    from disctwin.economics.strategies import parse_strategies
    from disctwin.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        parse_strategies({**DSA_FILE, "dsa": dsa})
    assert [p.field for p in err.value.problems] == [field]
