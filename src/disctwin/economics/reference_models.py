"""Small published decision models, written as DiscTwin cohort models (used by tests and
docs to check the economic layer against published tables).

Sick-Sicker (Alarid-Escudero et al. 2023, MDM 43:3-20): states Healthy (H), Sick (S1),
Sicker (S2), Dead (D); annual rates turned into probabilities :math:`p = 1 - e^{-r\\Delta}`;
transitions between the living states conditional on surviving the cycle, and - as in the
paper - the S1 row's ``1 - (p_S1H + p_S1S2)`` (probabilities added, not competing rates).
Treatment A lifts the utility of S1; treatment B scales the S1 -> S2 rate; both are paid in
S1 and S2.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from disctwin.economics.cohort import CohortModel, CohortStrategy

__all__ = ["sick_sicker_model"]


def _probability(rate: float, cycle_length: float) -> float:
    return float(1.0 - np.exp(-rate * cycle_length))


def _transition(p: Mapping[str, float], hr_progression: float, dt: float) -> np.ndarray:
    p_hd = _probability(p["r_HD"], dt)
    p_s1d = _probability(p["r_HD"] * p["hr_S1"], dt)
    p_s2d = _probability(p["r_HD"] * p["hr_S2"], dt)
    p_hs1 = _probability(p["r_HS1"], dt)
    p_s1h = _probability(p["r_S1H"], dt)
    p_s1s2 = _probability(p["r_S1S2"] * hr_progression, dt)
    return np.array(
        [
            [(1 - p_hd) * (1 - p_hs1), (1 - p_hd) * p_hs1, 0.0, p_hd],
            [
                (1 - p_s1d) * p_s1h,
                (1 - p_s1d) * (1 - (p_s1h + p_s1s2)),
                (1 - p_s1d) * p_s1s2,
                p_s1d,
            ],
            [0.0, 0.0, 1 - p_s2d, p_s2d],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )


def sick_sicker_model(parameters: Mapping[str, float], settings: Mapping[str, Any]) -> CohortModel:
    """The four-strategy Sick-Sicker cohort model at ``parameters``.

    Args:
        parameters: values of ``r_HD, r_HS1, r_S1H, r_S1S2, hr_S1, hr_S2, hr_S1S2_trtB,
            c_H, c_S1, c_S2, c_trtA, c_trtB, u_H, u_S1, u_S2, u_trtA`` (e.g.
            ``load_sick_sicker().base_case`` or one PSA draw).
        settings: the ``[model]`` table of ``sick_sicker_2023.toml``.
    """
    p = parameters
    dt = float(settings["cycle_length_years"])
    soc, a, b, ab = settings["strategies"]
    p_untreated = _transition(p, 1.0, dt)
    p_b = _transition(p, p["hr_S1S2_trtB"], dt)
    costs = np.array([p["c_H"], p["c_S1"], p["c_S2"], 0.0])
    on_treatment = np.array([0.0, 1.0, 1.0, 0.0])  # S1 and S2 cannot be told apart: both treated
    utilities = np.array([p["u_H"], p["u_S1"], p["u_S2"], 0.0])
    utilities_a = np.array([p["u_H"], p["u_trtA"], p["u_S2"], 0.0])
    strategies = (
        CohortStrategy(soc, p_untreated, costs, utilities),
        CohortStrategy(a, p_untreated, costs + p["c_trtA"] * on_treatment, utilities_a),
        CohortStrategy(b, p_b, costs + p["c_trtB"] * on_treatment, utilities),
        CohortStrategy(ab, p_b, costs + (p["c_trtA"] + p["c_trtB"]) * on_treatment, utilities_a),
    )
    return CohortModel(
        states=tuple(settings["states"]),
        initial=np.asarray(settings["initial"], dtype=float),
        n_cycles=int(settings["n_cycles"]),
        cycle_length=dt,
        strategies=strategies,
        dead_states=tuple(settings["dead_states"]),
        population="sick-sicker-2023: 25-year-olds, all healthy",
    )
