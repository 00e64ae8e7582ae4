"""The calibration fit report: Markdown and PNG plots, generated from a result.

Every data point is shown with the model's posterior predictive median and 90% interval
(parameter uncertainty over the fixed virtual cohorts, including their measurement noise),
its residual, and a summary score; the posterior of each fitted parameter is plotted and
tabulated against its prior range.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from disctwin.inference.calibration import CalibrationResult

__all__ = ["write_fit_report"]


def _plots(result: CalibrationResult, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result.summary()
    names = []

    prevalence = [r for r in rows if r["source"] == "Brinjikji 2015"]
    findings = sorted({r["quantity"] for r in prevalence})
    fig, axes = plt.subplots(2, 3, figsize=(12, 7), sharex=True, sharey=True)
    for ax, finding in zip(axes.flat, findings, strict=False):
        sel = [r for r in prevalence if r["quantity"] == finding]
        x = np.array([r["x"] for r in sel])
        ax.fill_between(
            x, [r["p05"] for r in sel], [r["p95"] for r in sel], alpha=0.3, label="model 90%"
        )
        ax.plot(x, [r["median"] for r in sel], "-", label="model median")
        ax.plot(x, [r["observed"] for r in sel], "ko", label="Brinjikji 2015")
        ax.set_title(finding.replace("_", " "))
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("age (years)")
    for ax in axes[:, 0]:
        ax.set_ylabel("per-person prevalence (%)")
    axes.flat[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "fit_brinjikji.png", dpi=110)
    plt.close(fig)
    names.append("fit_brinjikji.png")

    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(15, 4))

    def panel(ax, sel, x, label, ylabel, fmt="s-"):
        """Posterior predictive median with its 90% interval beside the data."""
        med = np.array([r["median"] for r in sel])
        ax.errorbar(
            x,
            med,
            yerr=[med - [r["p05"] for r in sel], [r["p95"] for r in sel] - med],
            fmt=fmt,
            capsize=4,
            label="model median, 90%",
        )
        ax.plot(x, [r["observed"] for r in sel], "ko", label=label)
        ax.set_ylabel(ylabel)
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)

    for ax, source, xlabel, ylabel in (
        (a1, "Costa 2012", "weeks since inception", "mean pain (0-100)"),
        (a2, "Costa 2009", "months since onset", "cumulative pain-free (%)"),
    ):
        sel = [r for r in rows if r["source"] == source]
        panel(ax, sel, np.array([r["x"] for r in sel]), source, ylabel)
        ax.set_xlabel(xlabel)
    sel = [r for r in rows if r["source"].startswith("VAST")]
    if sel:
        panel(a3, sel, np.arange(len(sel)), "VAST saline arm", "VAS (0-100)", fmt="s")
        a3.set_xticks(np.arange(len(sel)))
        a3.set_xticklabels([r["quantity"].replace("vast_", "VAS ") for r in sel])
        a3.set_xlim(-0.5, len(sel) - 0.5)
    a3.set_title("VAST: chronic discogenic LBP under trial eligibility")
    a1.set_title("persistent LBP cohort")
    a2.set_title("chronic LBP cohort (pain persisted 3 months)")
    fig.tight_layout()
    fig.savefig(out / "fit_costa.png", dpi=110)
    plt.close(fig)
    names.append("fit_costa.png")

    fig, ax = plt.subplots(figsize=(10, 4))
    res = [r["residual"] for r in rows]
    ax.bar(range(len(res)), res, color=["C3" if abs(v) > 5 else "C0" for v in res])
    ax.axhspan(-5, 5, color="0.9", zorder=0)
    ax.set_xticks(range(len(res)))
    ax.set_xticklabels(
        [f"{r['quantity'][:14]}@{r['x']:g}{r['x_unit']}" for r in rows], rotation=90, fontsize=7
    )
    ax.set_ylabel("posterior median - observed")
    fig.tight_layout()
    fig.savefig(out / "residuals.png", dpi=110)
    plt.close(fig)
    names.append("residuals.png")

    d = result.posterior.shape[1]
    fig, axes = plt.subplots(1, d, figsize=(2.2 * d, 2.4), squeeze=False)
    for i, ax in enumerate(axes[0]):
        ax.hist(result.posterior[:, i], bins=20, color="C0")
        ax.set_title(result.labels[i].replace("_", " "), fontsize=7)
        ax.tick_params(labelsize=6)
    fig.tight_layout()
    fig.savefig(out / "posterior.png", dpi=110)
    plt.close(fig)
    names.append("posterior.png")
    return names


def _options(settings) -> str:
    """The CLI options that reproduce non-default cohort sizes and chain lengths."""
    default = type(settings)(seed=settings.seed)
    out = ""
    for field, option in (
        ("n_disc_patients", "--disc-patients"),
        ("n_pain_patients", "--pain-patients"),
    ):
        if getattr(settings, field) != getattr(default, field):
            out += f" {option} {getattr(settings, field)}"
    if settings.disc_steps == settings.pain_steps != default.disc_steps:
        out += f" --steps {settings.disc_steps}"
    return out


def write_fit_report(result: CalibrationResult, out_dir: str | Path) -> Path:
    """Write ``report.md`` and its PNG plots into ``out_dir``; returns the Markdown path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plots = _plots(result, out)
    score = result.score()
    s = result.settings
    lines = [
        "# DiscTwin natural-history calibration: fit report",
        "",
        f"Generated by `disctwin calibrate natural-history --seed {s.seed}{_options(s)}`. "
        "Base (prior) set "
        f"`{result.base_set}`; {len(result.labels)} fitted quantities; wall time "
        f"{result.seconds:.0f} s.",
        "",
        "## Summary score",
        "",
        f"- points within 5 (percentage) points of the data: "
        f"{score['within_5'] * score['n_points']:.0f} of {score['n_points']:.0f} "
        f"({100 * score['within_5']:.0f}%)",
        f"- RMSE of the posterior predictive medians: {score['rmse']:.2f}",
        f"- largest absolute residual: {score['max_abs_residual']:.1f}",
        f"- MCMC acceptance fraction: disc stage {result.acceptance['disc']:.2f}, "
        f"pain stage {result.acceptance['pain']:.2f}",
        f"- Cohorts recruited in the virtual population (mean over predictive draws; the "
        f"Costa cohorts weighted by the odds of seeking care, as Kish effective sizes): "
        f"persistent {result.cohort_sizes['persistent']:.0f} presentations, chronic "
        f"{result.cohort_sizes['chronic']:.0f}, VAST {result.cohort_sizes.get('vast', 0):.0f} "
        "enrolments",
        "",
        "Predictive intervals show parameter uncertainty (posterior draws) over fixed virtual "
        f"cohorts ({s.n_disc_patients} patients for the MRI findings, {s.n_pain_patients} "
        "followed weekly for the Costa and VAST cohorts), with their measurement noise; "
        "between-patient "
        "variability is inside each cohort's prevalence or mean.",
        "",
        "## Every data point",
        "",
        "| source | quantity | at | observed | model median | model 90% | residual |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result.summary():
        flag = " **>5**" if abs(r["residual"]) > 5 else ""
        lines.append(
            f"| {r['source']} | {r['quantity']} | {r['x']:g} {r['x_unit']} | "
            f"{r['observed']:g} | {r['median']:.1f} | {r['p05']:.1f}-{r['p95']:.1f} | "
            f"{r['residual']:+.1f}{flag} |"
        )
    lines += [
        "",
        "## Fitted parameters",
        "",
        "| parameter | posterior median | 90% interval | warm-start optimum |",
        "|---|---|---|---|",
    ]
    optimum = [*result.optimum["disc"], *result.optimum["pain"]]
    for i, label in enumerate(result.labels):
        lo, hi = np.percentile(result.posterior[:, i], [5, 95])
        lines.append(
            f"| `{label}` | {result.median[label]:.4g} | {lo:.4g}-{hi:.4g} | {optimum[i]:.4g} |"
        )
    lines += ["", "## Plots", ""]
    lines += [f"![{p}]({p})" for p in plots]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
