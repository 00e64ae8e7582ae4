"""Trial plots: the power curve of a sample-size search."""

from __future__ import annotations

from pathlib import Path

from disctwin.trial.replicates import SampleSizeSearch

__all__ = ["plot_power_curve"]


def plot_power_curve(result: SampleSizeSearch, path: Path, title: str) -> Path:
    """Write the simulated power by total N (with its Clopper-Pearson exact 95% interval)
    and the analytic power, if any, to ``path`` (PNG). Returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = result.table
    fig, ax = plt.subplots(figsize=(6, 4))
    yerr = [t["power"] - t["power_ci_low"], t["power_ci_high"] - t["power"]]
    ax.errorbar(
        t["n_total"], t["power"], yerr=yerr, fmt="o-", capsize=3, label="simulated (95% CI)"
    )
    if t["analytic_power"].notna().any():
        ax.plot(t["n_total"], t["analytic_power"], "s--", label="two-sample formula")
    ax.axhline(result.target_power, color="grey", lw=0.8, ls=":")
    ax.set(xlabel="total N", ylabel="power", ylim=(0, 1.02), title=f"{title}: power by N")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
