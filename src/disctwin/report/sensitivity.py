"""Sobol sensitivity plot: first-order and total indices of each output, with their
bootstrap confidence intervals, parameters ranked by total index."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from disctwin.inference.sensitivity import SobolResult

__all__ = ["plot_sobol"]


def plot_sobol(result: SobolResult, path: Path) -> Path:
    """Write one horizontal bar panel per output (S1 and ST with error bars at the result's
    confidence level) to ``path`` (PNG). Returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k, m = len(result.outputs), len(result.parameters)
    fig, axes = plt.subplots(1, k, figsize=(4.2 * k + 2.2, 0.32 * m + 1.6), squeeze=False)
    y = np.arange(m)
    for ax, output in zip(axes[0], result.outputs, strict=True):
        rows = result.ranking(output)[::-1]  # largest total index on top
        names = [r[0] for r in rows]
        s1, c1, st, ct = (np.array([r[i] for r in rows]) for i in (1, 2, 3, 4))
        ax.barh(y + 0.2, st, 0.4, xerr=ct, label="total (ST)", color="#4c72b0", capsize=2)
        ax.barh(y - 0.2, s1, 0.4, xerr=c1, label="first order (S1)", color="#dd8452", capsize=2)
        ax.set_yticks(y, names, fontsize=8)
        ax.axvline(0.0, color="0.5", lw=0.6)
        ax.set_xlim(min(-0.05, float(np.min(s1 - c1))), max(1.0, float(np.max(st + ct))))
        ax.set_title(output, fontsize=10)
        ax.set_xlabel(f"Sobol index ({result.conf_level:.0%} CI)")
    axes[0][0].legend(loc="lower right", fontsize=8)
    fig.suptitle(
        f"Sobol indices: {result.n_evaluations} runs (base {result.n_base}, seed {result.seed})",
        fontsize=10,
    )
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
