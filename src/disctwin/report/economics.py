"""Cost-effectiveness plots: the CE plane (PSA draws and means) and the CEAC."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from disctwin.economics import PSAResult

__all__ = ["plot_ce_plane", "plot_ceac"]


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
