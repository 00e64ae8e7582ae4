"""Fan charts of a patient twin's forecast: median and 50/90% bands by strategy."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["plot_forecast"]


def plot_forecast(quantiles: pd.DataFrame, path: Path, title: str) -> Path:
    """One panel per quantity (L4/5 and L5/S1 T2 and height, pain), one colour per strategy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("t2_relative", "L4/5", "L4/5 T2 (relative)"),
        ("t2_relative", "L5/S1", "L5/S1 T2 (relative)"),
        ("disc_height_relative", "L4/5", "L4/5 height (relative)"),
        ("pain_reported_mean", "patient", "expected pain (NRS)"),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(9, 6), sharex=True)
    for ax, (quantity, level, label) in zip(axes.flat, panels, strict=True):
        sel = quantiles[(quantiles.quantity == quantity) & (quantiles.level == level)]
        for i, (strategy, g) in enumerate(sel.groupby("strategy", sort=False)):
            colour = f"C{i}"
            ax.fill_between(g.age_years, g.q05, g.q95, color=colour, alpha=0.12, lw=0)
            ax.fill_between(g.age_years, g.q25, g.q75, color=colour, alpha=0.25, lw=0)
            ax.plot(g.age_years, g.q50, color=colour, label=str(strategy))
        ax.set(title=label, xlabel="age (years)")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
