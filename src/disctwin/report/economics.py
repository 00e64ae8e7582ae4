"""Cost-effectiveness plots: the CE plane (PSA draws and means), the CEAC and the budget
impact by year."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from disctwin.economics import PSAResult

__all__ = ["plot_access", "plot_budget_impact", "plot_ce_plane", "plot_ceac", "plot_tornado"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_ce_plane(psa: PSAResult, summary: pd.DataFrame, threshold: float, path: Path) -> Path:
    """Incremental cost vs incremental QALYs of each strategy against the first, per PSA
    draw, with the base-case point and the threshold line. Writes PNG; returns the path."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 5))
    reference = psa.strategies[0]
    costs, effects = np.asarray(psa.costs), np.asarray(psa.effects)
    qaly, cost = summary["qaly"], summary["cost"]
    for j, name in enumerate(psa.strategies[1:], start=1):
        ax.scatter(
            effects[:, j] - effects[:, 0], costs[:, j] - costs[:, 0], s=6, alpha=0.35, label=name
        )
        ax.scatter(
            qaly.loc[name] - qaly.loc[reference],
            cost.loc[name] - cost.loc[reference],
            marker="x",
            color="black",
            s=40,
        )
    low, high = ax.get_xlim()
    x = np.linspace(low, high, 2)
    ax.plot(x, threshold * x, color="0.4", lw=0.8, ls="--", label=f"threshold {threshold:,.0f}")
    ax.axhline(0, color="0.6", lw=0.6)
    ax.axvline(0, color="0.6", lw=0.6)
    ax.set_xlabel(f"incremental QALYs vs {reference}")
    ax.set_ylabel(f"incremental cost vs {reference}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def plot_ceac(curves: pd.DataFrame, path: Path) -> Path:
    """Probability that each strategy is optimal against the threshold. PNG; the path."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, group in curves.groupby("strategy", sort=False):
        ax.plot(group["threshold"], group["probability"], label=str(name))
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("willingness to pay per QALY")
    ax.set_ylabel("probability cost-effective")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def plot_budget_impact(table: pd.DataFrame, path: Path) -> Path:
    """Budget impact per year (bars) and cumulative (line), from
    :func:`disctwin.economics.budget_impact` (with the io writer's ``currency`` column if
    present). PNG; returns the path."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    years = table["year"].to_numpy()
    ax.bar(years, table["budget_impact"], color="#4c72b0", label="budget impact in the year")
    ax.plot(
        years,
        table["cumulative_budget_impact"],
        color="#dd8452",
        marker="o",
        label="cumulative",
    )
    ax.axhline(0, color="0.6", lw=0.6)
    currency = str(table["currency"].iloc[0]) if "currency" in table.columns else "money"
    ax.set_xlabel("budget year")
    ax.set_ylabel(f"budget impact ({currency}, undiscounted)")
    ax.set_xticks(years)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


_GROUP_COLOURS = {
    "low": "#c44e52",
    "lower_middle": "#dd8452",
    "upper_middle": "#55a868",
    "high": "#4c72b0",
}


def plot_access(table: pd.DataFrame, path: Path) -> Path:
    """Access by country, from :func:`disctwin.economics.access_table`: left, each country's
    value-based price (bar, by income group) against its tiered (|) and patent-sharing (x)
    price, log scale; right, how many countries can afford the therapy under each pricing
    scenario, by income group. PNG; returns the path."""
    from disctwin.economics import INCOME_GROUPS, SCENARIOS

    plt = _pyplot()
    tiered = table[table["scenario"] == "tiered"].reset_index(drop=True)
    shared = table[table["scenario"] == "patent_sharing"].reset_index(drop=True)
    n = len(tiered)
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(11, max(4.0, 0.22 * n + 1.5)), gridspec_kw={"width_ratios": [3, 2]}
    )
    rows = np.arange(n)
    floor = 1.0  # log axis: value-based prices <= 1 US$ are drawn at the floor
    vbp = np.maximum(tiered["value_based_price_usd"].to_numpy(dtype=float), floor)
    colours = [_GROUP_COLOURS[g] for g in tiered["income_group"]]
    left.barh(rows, vbp, color=colours, alpha=0.8)
    left.scatter(tiered["price_usd"], rows, marker="|", s=80, color="black", label="tiered price")
    left.scatter(
        shared["price_usd"], rows, marker="x", s=25, color="black", label="patent-sharing price"
    )
    left.set_xscale("log")
    left.set_yticks(rows, tiered["iso3"], fontsize=6)
    left.invert_yaxis()
    left.set_xlabel("US$ per patient (bar: value-based price at the country's threshold)")
    basis = str(tiered["threshold_basis"].iloc[0]) if n else ""
    flag = " (discouraged)" if n and bool(tiered["basis_discouraged"].iloc[0]) else ""
    left.set_title(f"threshold basis: {basis}{flag}", fontsize=8)
    left.legend(fontsize=7, loc="lower right")
    bottom = np.zeros(len(SCENARIOS))
    for group in INCOME_GROUPS:
        counts = np.array(
            [
                int(
                    table[(table["scenario"] == s) & (table["income_group"] == group)][
                        "affordable"
                    ].sum()
                )
                for s in SCENARIOS
            ]
        )
        right.bar(SCENARIOS, counts, bottom=bottom, color=_GROUP_COLOURS[group], label=group)
        bottom += counts
    right.set_ylabel(f"countries that can afford it (of {n})")
    right.legend(fontsize=7, title="income group", title_fontsize=7)
    right.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def plot_tornado(table: pd.DataFrame, path: Path, top: int = 15) -> Path:
    """Tornado diagram of :func:`disctwin.economics.one_way_dsa` data (``attrs`` or a
    ``base_outcome`` column holding the base case): for the ``top`` parameters by swing,
    bars from the base-case outcome to the outcome at the parameter's low (light) and high
    (dark) value. PNG; returns the path."""
    plt = _pyplot()
    rows = table.head(top).iloc[::-1]
    base = float(
        table["base_outcome"].iloc[0]
        if "base_outcome" in table.columns
        else table.attrs["base_outcome"]
    )
    fig, ax = plt.subplots(figsize=(6.5, max(2.5, 0.32 * len(rows) + 1.2)))
    y = np.arange(len(rows))
    ax.barh(y, rows["outcome_low"] - base, left=base, color="#8fb4d9", label="low value")
    ax.barh(y, rows["outcome_high"] - base, left=base, color="#2f5d8a", label="high value")
    ax.axvline(base, color="black", lw=0.8)
    ax.set_yticks(y, rows["parameter"], fontsize=7)
    label = "outcome"
    if {"strategy", "comparator"} <= set(table.columns):
        label = f"incremental NMB, {table['strategy'].iloc[0]} vs {table['comparator'].iloc[0]}"
    ax.set_xlabel(label, fontsize=8)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
