"""What is observed: MRI findings per disc and patient-reported outcomes, with noise.

Observation happens in two steps kept apart:

1. :func:`true_observables` evaluates the model's continuous, noise-free observables
   (:attr:`SymbolicModel.disc_observables`, ``patient_observables``) from simulated states.
2. :func:`measure` adds measurement and reporting noise, each a separate, seeded step drawn
   from the patient's own observation stream, and reads the clinical categories (Pfirrmann
   grade with rater misclassification, signal loss, height loss, bulge, protrusion,
   extrusion, annular fissure, Modic type 1 endplate change; NRS, VAS, ODI).

Brinjikji's per-person findings are "the finding at any lumbar level":
:func:`person_findings`.

The natural course of pain (episodes over weeks to months) is a per-patient stationary
Ornstein-Uhlenbeck process :func:`pain_fluctuation` added to the pain drive when
:func:`measure` is given the visit ages (``times_days``); see :func:`measure`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp
from scipy.signal import lfilter
from scipy.special import ndtr, ndtri

from disctwin.errors import ConfigError, Problem
from disctwin.model.equations import build_model
from disctwin.model.flat import flatten
from disctwin.model.layout import ParameterLayout
from disctwin.model.states import N_LEVELS
from disctwin.params import ParameterSet
from disctwin.streams import Stream, patient_generator

__all__ = [
    "FINDINGS",
    "FINDINGS_DESCRIPTION",
    "PAIN_BLOCK_DAYS",
    "PAIN_COMPONENTS",
    "Measured",
    "measure",
    "odi_reports",
    "ou_from_normals",
    "ou_on_grid",
    "pain_course",
    "pain_course_normals",
    "pain_fluctuation",
    "pain_fluctuations",
    "pain_reports",
    "person_findings",
    "true_observables",
]

#: Per-disc MRI findings (Brinjikji 2015 names) read by :func:`measure`.
FINDINGS: tuple[str, ...] = (
    "disc_degeneration",
    "disc_signal_loss",
    "disc_height_loss",
    "disc_bulge",
    "disc_protrusion",
    "annular_fissure",
)

#: What each measured or categorical observable is and how it is read.
FINDINGS_DESCRIPTION: dict[str, str] = {
    "t2_ms / t2_relative": "NP T2 with log-normal scan-rescan noise (CV `t2_cv`)",
    "disc_height_index": "relative disc height with measurement noise (CV `disc_height_cv`)",
    "pfirrmann_grade": "I-V from measured relative T2 (cuts `pfirrmann_t2_cuts`), raised to "
    "IV/V by height loss (`pfirrmann_height_cuts`), then one grade off with probability "
    "`pfirrmann_misclassification` (rater)",
    "disc_degeneration": "Pfirrmann grade >= III",
    "disc_signal_loss": "measured relative T2 < `signal_loss_threshold`",
    "disc_height_loss": "measured relative height < `height_loss_threshold`",
    "disc_bulge": "(1 - measured height) + `bulge_fissure_weight` x annular damage > "
    "`bulge_threshold`",
    "disc_protrusion": "herniated volume > `protrusion_threshold`",
    "disc_extrusion": "herniated volume > `extrusion_threshold`",
    "annular_fissure": "annular damage > `fissure_threshold`",
    "modic_1": "Modic type 1 endplate change next to the disc: vertebral marrow oedema "
    "(model observable `marrow_oedema`) > `modic1_threshold`, read without rater noise",
    "nrs": "round(expected reported pain + day-to-day noise (`nrs_daily_sd`) + recall noise "
    "(`nrs_recall_sd`)), clipped to 0-10",
    "vas": "10 x (expected reported pain + the same day's fluctuation + its own recall noise), "
    "clipped to 0-100",
    "odi": "`odi_per_pain_point` x that day's pain + `odi_fear_avoidance_effect` x "
    "fear-avoidance + noise (`odi_noise_sd`), clipped to 0-100",
    "chronic_pain": "expected reported pain >= `chronic_pain_threshold`",
    "pain_today (with visit ages)": "max(0, expected reported pain - `pain_free_offset` + "
    "`pain_episode_sd` x X_e(t) + `pain_state_sd` x X_s(t) + day-to-day noise), X_e and X_s "
    "unit Ornstein-Uhlenbeck processes with time-scales `pain_episode_timescale` (flares) "
    "and `pain_state_timescale` (slow pain state); a pain-free day reports NRS 0, VAS 0",
    "person findings": "a Brinjikji finding is present in a person when present at any "
    "lumbar level",
}

# Draws per (patient, visit): per disc t2, height, rater (3 x 5), then pain day, NRS recall,
# VAS recall, ODI. Fixed so that a patient's noise does not depend on what else is drawn.
_DISC_DRAWS = 3
_PATIENT_DRAWS = 4


@cache
def _observable_functions(layout: ParameterLayout):
    system = flatten(build_model(), layout)
    args = (system.t, list(system.y), list(system.p))
    disc = {}
    for name in system.disc_observables[0]:
        exprs = [system.disc_observables[k][name] for k in range(N_LEVELS)]
        disc[name] = sp.lambdify(args, exprs, modules="numpy", cse=True)
    patient = {
        name: sp.lambdify(args, expr, modules="numpy", cse=True)
        for name, expr in system.patient_observables.items()
    }
    return disc, patient


def true_observables(
    states: np.ndarray,
    parameters: np.ndarray,
    layout: ParameterLayout,
    times: np.ndarray,
    names: Collection[str] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Noise-free observables (all of them, or only those in ``names``).

    Args:
        states: (n_patients, n_times, n_states) simulated states.
        parameters: (n_patients, n_parameters) parameter vectors, or (n_patients, n_times,
            n_parameters) when dose events change them over time.
        layout: their layout.
        times: (n_times,) or (n_patients, n_times) ages in days.
        names: evaluate only these observables (disc or patient); None: all.

    Returns:
        (disc, patient): disc[name] has shape (n_patients, n_times, 5), patient[name]
        (n_patients, n_times).
    """
    disc_f, patient_f = _observable_functions(layout)
    if names is not None:
        unknown = set(names) - set(disc_f) - set(patient_f)
        if unknown:
            raise ConfigError(
                Problem(
                    "names",
                    sorted(unknown),
                    "observables of the model: " + ", ".join(sorted({*disc_f, *patient_f})),
                )
            )
        disc_f = {k: f for k, f in disc_f.items() if k in names}
        patient_f = {k: f for k, f in patient_f.items() if k in names}
    n, m, n_states = states.shape
    t = np.broadcast_to(np.asarray(times, dtype=float), (n, m))
    y = [states[:, :, i] for i in range(n_states)]
    if parameters.ndim == 3:  # parameters changing over time (dose events): (n, m, P)
        p = [parameters[:, :, j] for j in range(parameters.shape[2])]
    else:
        p = [np.broadcast_to(parameters[:, j : j + 1], (n, m)) for j in range(parameters.shape[1])]
    disc = {}
    for name, f in disc_f.items():
        vals = f(t, y, p)
        disc[name] = np.stack([np.broadcast_to(v, (n, m)) for v in vals], axis=-1).astype(float)
    patient = {
        name: np.broadcast_to(f(t, y, p), (n, m)).astype(float) for name, f in patient_f.items()
    }
    return disc, patient


@dataclass(frozen=True)
class Measured:
    """Noisy observations of a block of patients at a set of visits.

    Disc arrays have shape (n_patients, n_times, 5); patient arrays (n_patients, n_times).
    """

    disc: dict[str, np.ndarray]
    patient: dict[str, np.ndarray]


def _pfirrmann(t2_rel: np.ndarray, height_rel: np.ndarray, ps: ParameterSet) -> np.ndarray:
    cuts = np.asarray(ps["pfirrmann_t2_cuts"].values)  # descending relative T2
    grade = 1 + np.sum(t2_rel[..., None] < cuts, axis=-1)
    h4, h5 = ps["pfirrmann_height_cuts"].values
    grade = np.where(height_rel < h4, np.maximum(grade, 4), grade)
    grade = np.where(height_rel < h5, np.maximum(grade, 5), grade)
    return grade.astype(np.int8)


#: Components of the pain course: fast episodes (flares) and the slowly varying pain state.
PAIN_COMPONENTS: tuple[str, ...] = ("episode", "state")


#: Length of a pain-course block (days): the path is drawn at block boundaries first, then
#: filled in, day by day, only inside the blocks that hold a visit (see :func:`pain_fluctuation`).
PAIN_BLOCK_DAYS: int = 365


def pain_course_normals(seed: int, patient_index: int, last_day: int) -> np.ndarray:
    """Standard normals for a daily pain course over days ``0..last_day`` (calibration).

    Shape (last_day + 1, 2): one per day and component (:data:`PAIN_COMPONENTS`), drawn from
    ``patient_generator(seed, PAIN_COURSE, patient_index)`` in day order, so the first ``k``
    days never depend on how many are asked for. The calibration drives whole daily paths
    with these (:func:`ou_from_normals`) on a fixed cohort; :func:`measure` uses the
    block construction of :func:`pain_fluctuation`, with the same law.
    """
    return patient_generator(seed, Stream.PAIN_COURSE, int(patient_index)).standard_normal(
        (int(last_day) + 1, len(PAIN_COMPONENTS))
    )


def ou_from_normals(z: np.ndarray, timescale_days: float) -> np.ndarray:
    r"""Stationary unit Ornstein-Uhlenbeck process on whole days from its driving normals.

    .. math:: X_0 = z_0,\quad X_k = \rho X_{k-1} + \sqrt{1-\rho^2}\, z_k,
       \quad \rho = e^{-1/\tau}

    This is the exact law of :math:`dX = -X/\tau\,dt + \sqrt{2/\tau}\,dW` (stationary,
    unit variance) sampled at integer days: :math:`\mathrm{Cov}(X_j, X_k) = \rho^{|j-k|}`.

    Args:
        z: (..., n_days) standard normals, day 0 first (last axis is time).
        timescale_days: :math:`\tau` (days).
    """
    rho = float(np.exp(-1.0 / timescale_days))
    b = float(np.sqrt(1.0 - rho * rho))
    zi = (1.0 - b) * z[..., :1]  # so that X_0 = z_0 (stationary start)
    x, _ = lfilter([b], [1.0, -rho], z, axis=-1, zi=zi)
    return x


def ou_on_grid(z: np.ndarray, timescale_days: float, first: int, step: int, count: int):
    r""":func:`ou_from_normals`'s path at days ``first + step * k`` (k < ``count``) only.

    The same path, exactly (up to rounding), without filtering every day: the days before
    ``first`` collapse into one weighted sum, :math:`X_f = \rho^f z_0 + b \sum_{j=1}^{f}
    \rho^{f-j} z_j`, and each step into its innovation
    :math:`\sum_{i=1}^{s} b \rho^{s-i} z_{d+i}`, then
    :math:`X_{d+s} = \rho^s X_d + \text{innovation}`. The calibration reads weekly visits of
    paths that start at birth: about 15 times less work than the daily filter.

    Args:
        z: (n, n_days) standard normals, day 0 first; ``n_days > first + step * (count - 1)``.
        timescale_days: :math:`\tau` (days).
        first, step, count: the grid of days.
    """
    rho = float(np.exp(-1.0 / timescale_days))
    b = float(np.sqrt(1.0 - rho * rho))
    last = first + step * (count - 1)
    if first < 0 or step < 1 or count < 1 or last >= z.shape[-1]:
        raise ValueError(f"grid {first}+{step}k, k<{count}, outside {z.shape[-1]} days")
    # weights rho^(first - j), j = 1..first, from the most recent day backwards (no underflow
    # trouble: they only shrink)
    back = b * rho ** np.arange(first - 1, -1, -1, dtype=float)
    x0 = rho**first * z[:, 0] + z[:, 1 : first + 1] @ back
    inner = b * rho ** np.arange(step - 1, -1, -1, dtype=float)
    innovations = z[:, first + 1 : last + 1].reshape(len(z), count - 1, step) @ inner
    out, _ = lfilter([1.0], [1.0, -(rho**step)], innovations, axis=-1, zi=rho**step * x0[:, None])
    return np.concatenate([x0[:, None], out], axis=1)


def _bridge_coefficients(timescale_days: float) -> tuple[float, float, np.ndarray]:
    """(rho, sqrt(1 - rho^2), w_k) for one block: ``w_k`` (k = 0..B) is the weight of the
    end-point miss in the Ornstein-Uhlenbeck bridge,
    ``Cov(Y_k, Y_B | Y_0) / Var(Y_B | Y_0) = rho^(B-k) (1 - rho^(2k)) / (1 - rho^(2B))``."""
    tau = float(timescale_days)
    rho = float(np.exp(-1.0 / tau))
    k = np.arange(PAIN_BLOCK_DAYS + 1, dtype=float)
    w = np.exp(-(PAIN_BLOCK_DAYS - k) / tau) * -np.expm1(-2.0 * k / tau)
    w /= -np.expm1(-2.0 * PAIN_BLOCK_DAYS / tau)
    return rho, float(np.sqrt(1.0 - rho * rho)), w


def pain_fluctuations(
    seed: int,
    patient_index: np.ndarray,
    times_days: np.ndarray,
    timescales_days,
) -> np.ndarray:
    r"""Every pain-course component X (unit-variance Ornstein-Uhlenbeck) at visit ages.

    Component ``c`` (:data:`PAIN_COMPONENTS`: 0 fast episodes, 1 slow pain state) has
    time-scale ``timescales_days[c]``; the components are independent.

    A visit at age ``t`` days reports the pain of day ``floor(t)`` (pain is reported per
    day), and each patient's process is one fixed path over every day of life (day 0 =
    birth), drawn from the patient's own stream ``PAIN_COURSE`` in two levels:

    1. at the block boundaries ``j B`` (:data:`PAIN_BLOCK_DAYS` = B) the path is the exact
       AR(1) :math:`X_{(j+1)B} = a X_{jB} + \sqrt{1-a^2}\,z_j`, :math:`a = e^{-B/\tau}`,
       from ``patient_generator(seed, PAIN_COURSE, i)``;
    2. inside a block that holds a visit, the days are the exact Ornstein-Uhlenbeck bridge
       between its two ends: a free daily path :math:`Y` from :math:`Y_0 = X_{jB}` on the
       block's own normals (``patient_generator(seed, PAIN_COURSE, i, block=j)``), moved by
       :math:`w_k (X_{(j+1)B} - Y_B)` (:func:`_bridge_coefficients`), which is the
       conditional law of the days given both ends.

    Guarantees:

    * exact: the values at any set of visits have the exact joint law of the continuous
      OU process at those days (no time-stepping error), ``Cov = exp(-|d_j - d_k| / tau)``;
    * a patient's value on a day depends only on (seed, patient index, day, tau): not on
      which other visits are requested, their order, the chunk or the other patients.
      Requesting more visits never changes the values at the others;
    * cost: one normal per component per year of life and one per day of the blocks with
      a visit (a daily path over a whole life is never drawn).

    Args:
        seed: study seed.
        patient_index: (n,) global patient indices.
        times_days: (n, m) or (m,) visit ages in days (>= 0).
        timescales_days: one OU time-scale (days) per component.

    Returns:
        (n, m, C) values, standard normal marginally.
    """
    index = np.asarray(patient_index, dtype=np.int64)
    m = np.shape(times_days)[-1]
    t = np.broadcast_to(np.asarray(times_days, dtype=float), (len(index), m))
    days = np.floor(t).astype(np.int64)
    taus = [float(x) for x in timescales_days]
    n_c = len(taus)
    out = np.empty((len(index), m, n_c))
    if m == 0 or len(index) == 0:
        return out
    coef = [_bridge_coefficients(tau) for tau in taus]
    for lo in range(0, len(index), _PAIN_CHUNK):
        hi = min(len(index), lo + _PAIN_CHUNK)
        out[lo:hi] = _pain_chunk(seed, index[lo:hi], days[lo:hi], taus, coef)
    return out


#: Patients whose pain courses are filtered together (keeps the arrays in cache).
_PAIN_CHUNK = 128


def _pain_chunk(seed, index, days, taus, coef) -> np.ndarray:
    n, m = days.shape
    n_c = len(taus)
    block, k = np.divmod(days, PAIN_BLOCK_DAYS)
    # the draws, patient by patient (each patient's and each block's own stream)
    n_ends = block.max(axis=1) + 2
    ends_z = np.zeros((n, int(n_ends.max()), n_c))
    pairs: list[tuple[int, int]] = []  # (row, block) of every block holding a visit
    block_z = []
    for row, i in enumerate(index):
        ends_z[row, : n_ends[row]] = patient_generator(
            seed, Stream.PAIN_COURSE, int(i)
        ).standard_normal((int(n_ends[row]), n_c))
        for j in np.unique(block[row]):
            pairs.append((row, int(j)))
            block_z.append(
                patient_generator(seed, Stream.PAIN_COURSE, int(i), block=int(j)).standard_normal(
                    (PAIN_BLOCK_DAYS, n_c)
                )
            )
    rows = np.array([r for r, _ in pairs])
    blocks = np.array([j for _, j in pairs])
    # (n, m) which pair holds each visit: pairs are sorted by (row, block)
    width = int(block.max()) + 1
    pair_of = np.searchsorted(rows * width + blocks, np.arange(n)[:, None] * width + block)
    z_blocks = np.stack(block_z, axis=-1)  # (B, C, P): each day's draws contiguous
    # then the filters, for every patient and block of the chunk at once: the same
    # recurrences, the same floating-point operations in the same order as
    # scipy.signal.lfilter (bit-identical to filtering each block on its own)
    out = np.empty((n, m, n_c))
    for c, tau in enumerate(taus):
        ends = _first_order_filter(ends_z[:, :, c], tau / PAIN_BLOCK_DAYS, stationary=True)
        rho, b, w = coef[c]
        start, stop = ends[rows, blocks], ends[rows, blocks + 1]
        y = np.empty((PAIN_BLOCK_DAYS + 1, len(pairs)))
        y[0] = start
        prev = rho * start
        for d in range(PAIN_BLOCK_DAYS):
            np.multiply(b, z_blocks[d, c], out=y[d + 1])
            y[d + 1] += prev
            prev = rho * y[d + 1]
        miss = stop - y[-1]
        out[:, :, c] = y[k, pair_of] + w[k] * miss[pair_of]
    return out


def _first_order_filter(z: np.ndarray, timescale: float, *, stationary: bool) -> np.ndarray:
    """(n, L) :func:`ou_from_normals` of each row, written as its recurrence (vectorised
    over rows; the operations of ``lfilter([b], [1, -rho], z, zi=(1 - b) z_0)``)."""
    rho = float(np.exp(-1.0 / timescale))
    b = float(np.sqrt(1.0 - rho * rho))
    x = np.empty_like(z)
    state = (1.0 - b) * z[:, 0] if stationary else np.zeros(len(z))
    for d in range(z.shape[1]):
        x[:, d] = b * z[:, d] + state
        state = rho * x[:, d]
    return x


def pain_fluctuation(
    seed: int,
    patient_index: np.ndarray,
    times_days: np.ndarray,
    timescale_days: float,
    component: int = 0,
) -> np.ndarray:
    """One pain-course component at visit ages: (n, m) values of :func:`pain_fluctuations`.

    ``component`` 0 is the fast episode process, 1 the slow pain state; the value of a
    component never depends on the other's time-scale.
    """
    taus = [timescale_days] * len(PAIN_COMPONENTS)
    return pain_fluctuations(seed, patient_index, times_days, taus)[..., component]


def pain_course(
    seed: int, patient_index: np.ndarray, times_days: np.ndarray, parameter_set: ParameterSet
) -> np.ndarray:
    """(n, m) pain-course deviation of the pain drive at visit ages, in NRS points:
    ``pain_episode_sd * X_episode + pain_state_sd * X_state`` (:func:`pain_fluctuations`)."""
    ps = parameter_set
    taus = [ps[f"pain_{name}_timescale"].value for name in PAIN_COMPONENTS]
    course = pain_fluctuations(seed, patient_index, times_days, taus)
    x = np.zeros(course.shape[:-1])
    for c, name in enumerate(PAIN_COMPONENTS):
        x += ps[f"pain_{name}_sd"].value * course[..., c]
    return x


def odi_reports(
    pain_today: np.ndarray, fear_z: np.ndarray, z: np.ndarray, parameter_set: ParameterSet
) -> np.ndarray:
    """ODI (0-100): ``odi_per_pain_point`` x the day's pain (0-10) + ``odi_fear_avoidance_
    effect`` x fear-avoidance (SD units) + ``odi_noise_sd`` x ``z``, clipped."""
    ps = parameter_set
    return np.clip(
        ps["odi_per_pain_point"].value * np.clip(pain_today, 0, 10)
        + ps["odi_fear_avoidance_effect"].value * fear_z
        + ps["odi_noise_sd"].value * z,
        0.0,
        100.0,
    )


def pain_reports(
    mean_pain: np.ndarray, fluctuation: np.ndarray, z: np.ndarray, parameter_set: ParameterSet
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pain felt on visit days and its NRS/VAS reports, from the pain course.

    ``drive = mean_pain - pain_free_offset + fluctuation + nrs_daily_sd * z0``;
    felt pain ``clip(drive, 0, 10)``; a pain-free day (drive <= 0) reports NRS 0 and VAS 0,
    otherwise NRS ``round(pain + recall z1)`` and VAS ``10 (pain + recall z2)``, clipped.

    Args:
        mean_pain: (n, m) expected reported pain (0-10).
        fluctuation: (n, m) pain-course deviation in NRS points
            (``pain_episode_sd * X_episode + pain_state_sd * X_state``).
        z: (n, m, 3) standard normals (day, NRS recall, VAS recall).

    Returns:
        pain (n, m) float, nrs (n, m) int8, vas (n, m) float.
    """
    ps = parameter_set
    recall = ps["nrs_recall_sd"].value
    drive = (
        mean_pain
        - ps["pain_free_offset"].value
        + fluctuation
        + ps["nrs_daily_sd"].value * z[..., 0]
    )
    day = np.clip(drive, 0.0, 10.0)
    felt = drive > 0
    nrs = np.where(felt, np.clip(np.rint(day + recall * z[..., 1]), 0, 10), 0).astype(np.int8)
    vas = np.where(felt, np.clip(10.0 * (day + recall * z[..., 2]), 0.0, 100.0), 0.0)
    return day, nrs, vas


def _visit_times(times_days, n: int, m: int) -> np.ndarray:
    t = np.asarray(times_days, dtype=float)
    if t.shape not in ((m,), (n, m)):
        raise ConfigError(
            Problem(
                "times_days", f"shape {t.shape}", f"shape ({m},) or ({n}, {m}): one age per visit"
            )
        )
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ConfigError(Problem("times_days", "non-finite or negative", "ages in days >= 0"))
    return np.broadcast_to(t, (n, m))


def _reader_effects(seed: int, patient_index: np.ndarray) -> np.ndarray:
    """(n, 5, 3) a reader's own normals per disc (stream ``READER``): how the disc's signal
    and height look to them, and which way they misgrade it."""
    a = np.empty((len(patient_index), N_LEVELS, 3))
    for row, i in enumerate(patient_index):
        a[row] = patient_generator(seed, Stream.READER, int(i)).standard_normal((N_LEVELS, 3))
    return a


def _side_by_side(z: np.ndarray, a: np.ndarray, rho: float) -> np.ndarray:
    """Per-read normals z (n, m, 5) correlated across the m reads of each disc by the
    reader's effect a (n, 5): ``sqrt(rho) a + sqrt(1 - rho) z``."""
    return np.sqrt(rho) * a[:, None, :] + np.sqrt(1 - rho) * z


def measure(
    disc_true: dict[str, np.ndarray],
    patient_true: dict[str, np.ndarray],
    parameter_set: ParameterSet,
    seed: int,
    patient_index: np.ndarray,
    *,
    noise: bool = True,
    times_days: np.ndarray | None = None,
    reading: str = "cross_sectional",
) -> Measured:
    """Add measurement/reporting noise and read categories.

    Noise for patient ``i`` comes only from ``patient_generator(seed, OBSERVATION, i)``, in a
    fixed layout (visit-major), so it is independent of chunking. With ``noise=False`` the
    categories are read from the true values (useful to separate noise from biology).

    Pain on a visit day. Without ``times_days`` (the cross-sectional reading), that day's
    pain is the expected reported pain plus i.i.d. day-to-day noise (``nrs_daily_sd``).
    With ``times_days`` ((n, m) or (m,) ages in days of the visits), pain also follows its
    natural course: the pain drive

        D(t) = expected_pain(t) - pain_free_offset + pain_episode_sd * X_e(t)
               + pain_state_sd * X_s(t) + daily noise

    with X_e (fast episodes, ``pain_episode_timescale``) and X_s (slow pain state,
    ``pain_state_timescale``) the patient's independent stationary Ornstein-Uhlenbeck paths
    (:func:`pain_fluctuation`, stream ``PAIN_COURSE``), and the pain felt that
    day is ``clip(D, 0, 10)``: episodes are excursions of D above 0, a day with D <= 0 is
    pain-free and reports NRS 0, VAS 0. Patients selected at a pain peak therefore regress
    towards their own mean, at the rate the OU time-scale sets. X on a day is the same
    whatever other visits are requested; the i.i.d. day, recall and ODI noise are fresh
    draws per visit (keyed by the visit's position). Parameter uncertainty is not added
    here: pass a parameter set (or posterior draw) of your choice.

    ``reading``: ``cross_sectional`` (default) reads every scan afresh, its Pfirrmann
    misreading independent of the patient's other scans (as separate readers, or a
    cross-sectional study); ``longitudinal`` reads each patient's scans of this call side
    by side, as serial-scan studies do: the Pfirrmann grade, read by eye, sees each disc's
    signal and height with errors shared across its scans, and misgrades it the same way
    (each per-read normal ``z`` becomes ``sqrt(rho) a + sqrt(1 - rho) z`` with ``a`` the
    reader's own effect per disc, stream ``READER``; ``rho`` =
    ``pfirrmann_rereading_correlation``), so an unchanged disc is seldom read as
    progressing. The reported quantitative T2 and height keep the scanner's independent
    noise.
    """
    if reading not in ("cross_sectional", "longitudinal"):
        raise ConfigError(Problem("reading", reading, "cross_sectional or longitudinal"))
    ps = parameter_set
    n, m, _ = disc_true["t2_relative"].shape
    if noise:
        z_disc = np.empty((n, m, N_LEVELS, _DISC_DRAWS))
        z_pat = np.empty((n, m, _PATIENT_DRAWS))
        u_rater = np.empty((n, m, N_LEVELS))
        for row, i in enumerate(patient_index):
            g = patient_generator(seed, Stream.OBSERVATION, int(i))
            z_disc[row] = g.standard_normal((m, N_LEVELS, _DISC_DRAWS))
            z_pat[row] = g.standard_normal((m, _PATIENT_DRAWS))
            u_rater[row] = g.random((m, N_LEVELS))
    else:
        z_disc = np.zeros((n, m, N_LEVELS, _DISC_DRAWS))
        z_pat = np.zeros((n, m, _PATIENT_DRAWS))
        u_rater = np.full((n, m, N_LEVELS), 0.5)

    t2_cv = ps["t2_cv"].scalar
    h_cv = ps["disc_height_cv"].scalar
    t2_rel = disc_true["t2_relative"] * np.exp(t2_cv * z_disc[..., 0] - t2_cv**2 / 2)
    height = disc_true["disc_height_relative"] * (1 + h_cv * z_disc[..., 1])
    miss = ps["pfirrmann_misclassification"].scalar
    if reading == "longitudinal" and noise:
        # the grade is read by eye, side by side: how a disc's signal and height look to the
        # reader, and their misgrading, are shared across its scans
        rho = ps["pfirrmann_rereading_correlation"].scalar
        a = _reader_effects(seed, patient_index)
        z_t2 = _side_by_side(z_disc[..., 0], a[..., 0], rho)
        z_h = _side_by_side(z_disc[..., 1], a[..., 1], rho)
        seen_t2 = disc_true["t2_relative"] * np.exp(t2_cv * z_t2 - t2_cv**2 / 2)
        seen_h = disc_true["disc_height_relative"] * (1 + h_cv * z_h)
        grade = _pfirrmann(seen_t2, seen_h, ps)
        e = ndtri(np.clip(u_rater, 1e-12, 1 - 1e-12))
        u_rater = ndtr(_side_by_side(e, a[..., 2], rho))
    else:
        grade = _pfirrmann(t2_rel, height, ps)
    shift = np.where(u_rater < miss / 2, -1, np.where(u_rater > 1 - miss / 2, 1, 0))
    grade = np.clip(grade + shift, 1, 5).astype(np.int8)

    bulge_index = (1 - height) + ps["bulge_fissure_weight"].value * disc_true[
        "annular_damage_extent"
    ]
    herniation = disc_true["herniation"]
    disc = {
        "t2_ms": t2_rel * ps["t2_reference_ms"].value,
        "t2_relative": t2_rel,
        "disc_height_index": height,
        "pfirrmann_grade": grade,
        "disc_degeneration": grade >= 3,
        "disc_signal_loss": t2_rel < ps["signal_loss_threshold"].value,
        "disc_height_loss": height < ps["height_loss_threshold"].value,
        "disc_bulge": bulge_index > ps["bulge_threshold"].value,
        "disc_protrusion": herniation > ps["protrusion_threshold"].value,
        "disc_extrusion": herniation > ps["extrusion_threshold"].value,
        "annular_fissure": disc_true["annular_damage_extent"] > ps["fissure_threshold"].value,
        "modic_1": disc_true["marrow_oedema"] > ps["modic1_threshold"].value,
    }

    mean_pain = np.clip(patient_true["pain_reported_mean"], 0.0, 10.0)
    if times_days is None:
        recall = ps["nrs_recall_sd"].value
        day = mean_pain + ps["nrs_daily_sd"].value * z_pat[..., 0]
        nrs = np.clip(np.rint(day + recall * z_pat[..., 1]), 0, 10).astype(np.int8)
        vas = np.clip(10.0 * (day + recall * z_pat[..., 2]), 0.0, 100.0)
    else:
        t = _visit_times(times_days, n, m)
        x = pain_course(seed, patient_index, t, ps) if noise else np.zeros((n, m))
        day, nrs, vas = pain_reports(mean_pain, x, z_pat[..., :3], ps)
    odi = odi_reports(day, patient_true["fear_avoidance_z"], z_pat[..., 3], ps)
    patient = {
        "pain_latent": patient_true["pain_latent"],
        "pain_reported_mean": mean_pain,
        "chronic_pain": mean_pain >= ps["chronic_pain_threshold"].value,
        "pain_today": np.clip(day, 0.0, 10.0),
        "nrs": nrs,
        "vas": vas,
        "odi": odi,
    }
    return Measured(disc, patient)


def person_findings(measured: Measured) -> dict[str, np.ndarray]:
    """Per-person findings (n_patients, n_times): the finding at any lumbar level."""
    return {f: np.asarray(measured.disc[f].any(axis=-1)) for f in FINDINGS}
