"""The probability of a patient's record given a candidate twin: the model's own observation
model (:func:`disctwin.model.observables.measure`) read backwards.

For each candidate (a particle: one set of the patient's parameters, simulated to the
record's visit ages), given its noise-free observables:

- relative T2: log-normal scan noise, ``log y ~ N(log T2 - cv^2/2, cv)`` (``t2_cv``);
- disc height index: ``y ~ N(h, disc_height_cv h)``;
- Pfirrmann grade: the grade read from the noisy T2 and height (cuts ``pfirrmann_t2_cuts``,
  ``pfirrmann_height_cuts``; T2 and height noise independent), then one grade off with
  probability ``pfirrmann_misclassification``; where the record also gives the measured
  T2 or height of that scan, the grade is read from the given value (the model reads the
  grade from the very scan it reports: using both as independent would count it twice);
- yes/no findings: signal loss, height loss and bulge from the same noisy (or given) T2 and
  height, protrusion, extrusion, fissure and Modic 1 from the noise-free values, each with
  a reader error ``reader_error`` both ways (an assumption of the twin, default 0.05:
  interobserver agreement on lumbar MRI findings is moderate to good, so readers disagree
  on a few in a hundred discs; the model itself reads these findings without error, so
  without it one disagreeing finding would rule a candidate out);
- pain: the day's pain drive ``mean - pain_free_offset + fluctuation + daily noise`` with the
  stationary variance of the pain course (``pain_episode_sd``, ``pain_state_sd``,
  ``nrs_daily_sd``) plus recall noise, read as NRS (interval probability of the rounded
  value; 0 includes every pain-free day) or VAS (density, a point mass at 0); ODI only when
  the visit reports no NRS or VAS (the ODI reads the same day's pain). Visits are taken as
  independent: the pain state forgets within months (``pain_state_timescale``), so visits
  a year or more apart are; two visits weeks apart are treated as independent, a small
  overstatement of the information they carry.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.special import log_ndtr, ndtr

from disctwin.inference.twin.record import Observations
from disctwin.params import ParameterSet

__all__ = ["DEFAULT_READER_ERROR", "log_likelihood"]

#: Reader error for findings the model reads without noise (assumption; module docs).
DEFAULT_READER_ERROR = 0.05
_TINY = 1e-300


def _log(p: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(p, _TINY))


def _below(x: np.ndarray, cut: float | np.ndarray, sd: np.ndarray) -> np.ndarray:
    """P(x + N(0, sd) < cut)."""
    return ndtr((cut - x) / sd)


class _Readings:
    """Probabilities that a disc's *measured* T2 or height falls below a cut, at the seen
    (disc, visit) entries: from the scan noise given the truth, or, where the record gives
    the measured value itself, 0 or 1 (the grade and the findings read from a measured value
    carry no further information about the truth: counting both would count the scan
    twice)."""

    def __init__(self, obs: Observations, disc: Mapping[str, np.ndarray], seen, ps):
        self.t2 = disc["t2_relative"][:, seen]
        self.height = disc["disc_height_relative"][:, seen]
        self.t2_seen = obs.t2_relative[seen]
        self.height_seen = obs.disc_height_index[seen]
        self.cv, self.h_cv = ps["t2_cv"].scalar, ps["disc_height_cv"].scalar

    def t2_below(self, cut) -> np.ndarray:
        mu = np.log(np.maximum(self.t2, 1e-9)) - self.cv**2 / 2
        p = ndtr((np.log(cut) - mu) / self.cv)
        known = np.isfinite(self.t2_seen)
        return np.where(known, (self.t2_seen < cut).astype(float), p)

    def height_below(self, cut) -> np.ndarray:
        sd = np.maximum(self.h_cv * self.height, 1e-9)
        p = _below(self.height, cut, sd)
        known = np.isfinite(self.height_seen)
        return np.where(known, (self.height_seen < cut).astype(float), p)


def _grade_probabilities(r: _Readings, ps: ParameterSet) -> np.ndarray:
    """(K, n_seen, 5) probabilities of the Pfirrmann grade read (1-5)."""
    cuts = np.asarray(ps["pfirrmann_t2_cuts"].values)  # descending
    # P(T2 grade <= g) = P(measured T2 >= cut g) (g = 1..4); 1 for g = 5
    at_least = np.stack([1.0 - r.t2_below(c) for c in cuts], axis=-1)
    cdf_t2 = np.concatenate([at_least, np.ones((*at_least.shape[:-1], 1))], axis=-1)
    h4, h5 = ps["pfirrmann_height_cuts"].values
    p_lt4, p_lt5 = r.height_below(h4), r.height_below(h5)
    # grade = max(T2 grade, height grade); height grade 5 if h < h5, 4 if h < h4, else 1
    cdf = cdf_t2 * (1.0 - p_lt4)[..., None]  # P(grade <= g) for g <= 3
    cdf[..., 3] = cdf_t2[..., 3] * (1.0 - p_lt5)  # g = 4: height not below h5
    cdf[..., 4] = 1.0
    p = np.diff(cdf, axis=-1, prepend=0.0)
    miss = ps["pfirrmann_misclassification"].scalar
    shifted = (1 - miss) * p
    shifted[..., 1:] += miss / 2 * p[..., :-1]  # read one grade higher
    shifted[..., :-1] += miss / 2 * p[..., 1:]  # read one grade lower
    shifted[..., 0] += miss / 2 * p[..., 0]  # clipped at I
    shifted[..., -1] += miss / 2 * p[..., -1]  # clipped at V
    return shifted


def _disc_terms(
    obs: Observations, disc: Mapping[str, np.ndarray], ps: ParameterSet, reader_error: float
) -> np.ndarray:
    """(K,) summed log-probability of the disc readings; disc[name] (K, V, 5)."""
    t2, height = disc["t2_relative"], disc["disc_height_relative"]
    cv, h_cv = ps["t2_cv"].scalar, ps["disc_height_cv"].scalar
    total = np.zeros(t2.shape[0])
    seen = np.isfinite(obs.t2_relative)
    if seen.any():
        y = np.log(obs.t2_relative[seen])
        mu = np.log(np.maximum(t2[:, seen], 1e-9)) - cv**2 / 2
        total += (-0.5 * ((y - mu) / cv) ** 2 - np.log(cv * np.sqrt(2 * np.pi)) - y).sum(-1)
    seen = np.isfinite(obs.disc_height_index)
    if seen.any():
        sd = np.maximum(h_cv * height[:, seen], 1e-9)
        z = (obs.disc_height_index[seen] - height[:, seen]) / sd
        total += (-0.5 * z**2 - np.log(sd * np.sqrt(2 * np.pi))).sum(-1)
    seen = obs.pfirrmann > 0
    if seen.any():
        p = _grade_probabilities(_Readings(obs, disc, seen, ps), ps)
        g = obs.pfirrmann[seen].astype(int) - 1
        total += _log(np.take_along_axis(p, g[None, :, None], axis=-1)[..., 0]).sum(-1)
    for name, flags in obs.findings.items():
        seen = flags >= 0
        if not seen.any():
            continue
        p_yes = _finding_probability(name, _Readings(obs, disc, seen, ps), disc, seen, ps)
        p_yes = reader_error + (1 - 2 * reader_error) * p_yes
        yes = flags[seen] == 1
        total += _log(np.where(yes, p_yes, 1.0 - p_yes)).sum(-1)
    return total


def _finding_probability(
    name: str, r: _Readings, disc: Mapping[str, np.ndarray], seen: np.ndarray, ps: ParameterSet
) -> np.ndarray:
    """(K, n_seen) probability that the model reads the finding (before reader error)."""
    if name == "disc_signal_loss":
        return r.t2_below(ps["signal_loss_threshold"].scalar)
    if name == "disc_height_loss":
        return r.height_below(ps["height_loss_threshold"].scalar)
    if name == "disc_bulge":
        # (1 - measured height) + w damage > threshold  <=>  measured height < 1 + w d - thr
        damage = disc["annular_damage_extent"][:, seen]
        cut = 1.0 + ps["bulge_fissure_weight"].scalar * damage - ps["bulge_threshold"].scalar
        return r.height_below(cut)
    source, threshold = {
        "disc_protrusion": ("herniation", "protrusion_threshold"),
        "disc_extrusion": ("herniation", "extrusion_threshold"),
        "annular_fissure": ("annular_damage_extent", "fissure_threshold"),
        "modic_1": ("marrow_oedema", "modic1_threshold"),
    }[name]
    return (disc[source][:, seen] > ps[threshold].scalar).astype(float)


def _pain_terms(
    obs: Observations, patient: Mapping[str, np.ndarray], ps: ParameterSet
) -> np.ndarray:
    """(K,) summed log-probability of the pain and disability reports; patient[...] (K, V)."""
    mean = np.clip(patient["pain_reported_mean"], 0.0, 10.0)
    mu = mean - ps["pain_free_offset"].scalar  # the drive's mean
    sd_drive = np.sqrt(
        ps["pain_episode_sd"].scalar ** 2
        + ps["pain_state_sd"].scalar ** 2
        + ps["nrs_daily_sd"].scalar ** 2
    )
    recall = ps["nrs_recall_sd"].scalar
    sd = np.sqrt(sd_drive**2 + recall**2)
    total = np.zeros(mean.shape[0])
    seen = np.isfinite(obs.nrs)
    if seen.any():
        k = obs.nrs[seen]
        lo = np.where(k <= 0, -np.inf, k - 0.5)
        hi = np.where(k >= 10, np.inf, k + 0.5)
        p = ndtr((hi - mu[:, seen]) / sd) - ndtr((lo - mu[:, seen]) / sd)
        total += _log(p).sum(-1)
    use_vas = np.isfinite(obs.vas) & ~seen
    if use_vas.any():
        y = obs.vas[use_vas] / 10.0
        m = mu[:, use_vas]
        dens = np.exp(-0.5 * ((y - m) / sd) ** 2) / (sd * np.sqrt(2 * np.pi)) / 10.0
        total += np.where(y <= 0, log_ndtr(-m / sd_drive), _log(dens)).sum(-1)
    use_odi = np.isfinite(obs.odi) & ~seen & ~np.isfinite(obs.vas)
    if use_odi.any():
        per_point = ps["odi_per_pain_point"].scalar
        fear = ps["odi_fear_avoidance_effect"].scalar * patient["fear_avoidance_z"][:, use_odi]
        m = per_point * np.clip(mu[:, use_odi], 0.0, 10.0) + fear
        s = np.sqrt((per_point * sd_drive) ** 2 + ps["odi_noise_sd"].scalar ** 2)
        z = (obs.odi[use_odi] - m) / s
        total += (-0.5 * z**2 - np.log(s * np.sqrt(2 * np.pi))).sum(-1)
    return total


def log_likelihood(
    obs: Observations,
    disc: Mapping[str, np.ndarray],
    patient: Mapping[str, np.ndarray],
    parameter_set: ParameterSet,
    *,
    reader_error: float = DEFAULT_READER_ERROR,
) -> np.ndarray:
    """(K,) log-probability of the record for K candidates.

    Args:
        obs: the record's observations over V visits.
        disc: noise-free disc observables, name -> (K, V, 5).
        patient: noise-free patient observables, name -> (K, V).
    """
    return _disc_terms(obs, disc, parameter_set, reader_error) + _pain_terms(
        obs, patient, parameter_set
    )
