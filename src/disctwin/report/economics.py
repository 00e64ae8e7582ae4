"""Cost-effectiveness plots: the CE plane (PSA draws and means), the CEAC and the budget
impact by year."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from disctwin.economics import PSAResult

__all__ = ["plot_budget_impact", "plot_ce_plane", "plot_ceac"]


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
    for j, name in enumerate(psa.strategies[1:], start=1):
        ax.scatter(
            effects[:, j] - effects[:, 0], costs[:, j] - costs[:, 0], s=6, alpha=0.35, label=name
        )
        ax.scatter(
            summary.loc[name, "qaly"] - summary.loc[reference, "qaly"],
            summary.loc[name, "cost"] - summary.loc[reference, "cost"],
            marker="x",
            color="black",
            s=40,
        )
    lim = ax.get_xlim()
    x = np.linspace(*lim, 2)
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
