"""The published anchors of SCIENCE.md section 3, reproduced by the therapy models.

Each test gives virtual patients a regimen modelled on the source and compares treated with
untreated twins of the same patients (same random streams), so the differences are the
therapy's effect, free of between-patient variability.
"""

from __future__ import annotations

import numpy as np
import pytest

from disctwin.engine import compiled_model
from disctwin.model import DISC_STATES, N_LEVELS, initial_state, state_index
from disctwin.model.observables import true_observables
from disctwin.params import load_parameter_set
from disctwin.population import sample_population
from disctwin.units import DAYS_PER_YEAR

WEEK = 7.0


def _relief(twins, at):
    """1 - treated/untreated mean latent pain of the cohort, at output ``at``."""
    _, treated = twins.true_observables("treated")
    _, untreated = twins.true_observables("untreated")
    return 1 - treated["pain_latent"][:, at].mean() / untreated["pain_latent"][:, at].mean()


def _painful_cohort(n, seed, age_years, threshold):
    """Patients whose noise-free pain at ``age_years`` is >= ``threshold`` (0-10)."""
    pop = sample_population(n, seed=seed)
    model = compiled_model(pop.layout)
    t = np.array([age_years * DAYS_PER_YEAR])
    y, _, _ = model.solve(
        10 * DAYS_PER_YEAR,
        initial_state(),
        pop.parameters,
        t,
        rtol=1e-6,
        atol=1e-10,
        max_steps=100_000,
    )
    _, patient = true_observables(y, pop.parameters, pop.layout, t)
    keep = patient["pain_latent"][:, 0] >= threshold
    assert keep.sum() >= 15, "the cohort needs enough painful patients"
    return sample_population(seed=seed, patient_index=pop.patient_index[keep])


def test_intrathecal_scaav8_beta_endorphin_relieves_neuropathic_pain_beyond_3_months(
    twins_runner,
):
    # Storek 2008 (rats): one lumbar puncture of scAAV8 beta-endorphin, relief > 3 months
    cohort = _painful_cohort(300, seed=21, age_years=50, threshold=4.0)
    dose = {
        "modality": "gene_therapy",
        "vector": "aav8",
        "genome": "self_complementary",
        "payload": ["pomc"],
        "route": "intrathecal",
        "dose": 5e13,
    }
    follow = [0, 2 * WEEK, 13 * WEEK, 17 * WEEK]
    twins = twins_runner([dose], 50, follow, pop=cohort)
    peak = max(_relief(twins, i) for i in range(len(follow)))
    # The anchor is durability (relief beyond 3 months); its size is not published for
    # humans. "Meaningful" is taken as a quarter of the latent pain: the pomc gain halves
    # the transmitted input at ~35% transduction, which the calibrated pain map (exponent
    # 1, pain_scale fitted) turns into ~29% less latent pain in this painful cohort.
    assert peak > 0.25
    assert _relief(twins, 2) > 0.25  # 3 months
    assert _relief(twins, 3) > 0.5 * peak  # still there after 3 months


def test_intrathecal_aav9_reaches_about_half_of_lumbar_drg_neurons_at_high_dose(twins_runner):
    # Abdallah 2018 (mice): up to 51.6% of lumbar DRG neurons after intrathecal AAV9
    td = state_index("drg_transduced")
    reached = []
    for dose in (1e12, 1e13, 1e14, 3e14):
        spec = {
            "modality": "crispr",
            "vector": "aav9",
            "payload": ["scn9a_repressor"],
            "route": "intrathecal",
            "dose": dose,
        }
        twins = twins_runner([spec], 40, [0, 14, 28], n=40, seed=3)
        # median patient: the 17% (US) with neutralising antibodies are blunted
        reached.append(np.median(twins.treated[:, :, td].max(axis=1)))
    assert np.all(np.diff(reached) > 0)  # dose-response
    assert 0.40 <= reached[-1] <= 0.60  # about half at the highest dose
    assert reached[0] < 0.1


def test_nav17_repression_relief_persists_at_40_weeks_without_changing_the_discs(twins_runner):
    # Moreno 2021 (mice): dCas9/ZFP-KRAB Scn9a repression relieved pain up to 44 weeks
    cohort = _painful_cohort(300, seed=22, age_years=50, threshold=4.0)
    spec = {
        "modality": "crispr",
        "vector": "aav9",
        "payload": ["scn9a_repressor"],
        "route": "intrathecal",
        "dose": 1e14,
    }
    follow = [0, 4 * WEEK, 12 * WEEK, 40 * WEEK]
    twins = twins_runner([spec], 50, follow, pop=cohort)
    relief = [_relief(twins, i) for i in range(len(follow))]
    assert relief[-1] > 0.2
    assert relief[-1] > 0.5 * max(relief)
    disc = [state_index(s.name, lv) for lv in range(N_LEVELS) for s in DISC_STATES]
    np.testing.assert_allclose(
        twins.treated[:, :, disc], twins.untreated[:, :, disc], rtol=1e-4, atol=1e-7
    )


@pytest.mark.parametrize(
    ("payload", "observable"),
    [
        ("rnai_adamts5", "adamts_relative_expression"),
        ("rnai_mmp3", "mmp_relative_expression"),
        ("rnai_rptor", "raptor_relative_expression"),
    ],
)
def test_sirna_knocks_its_target_down_to_about_27_percent_at_peak_then_recovers(
    twins_runner, payload, observable
):
    # Kobe group 2021: knock-down to ~27% of control in human disc cells
    spec = {
        "modality": "rnai",
        "vector": "sirna",
        "payload": [payload],
        "route": "intradiscal",
        "dose": 50.0,
        "needle_gauge": 27,
    }
    follow = np.arange(0, 57, 1.0)
    twins = twins_runner([spec], 25, follow, n=20)
    disc, _ = twins.true_observables("treated")
    course = np.median(disc[observable][:, :, 3], axis=0)
    assert 0.17 <= course.min() <= 0.37
    assert 2 <= course.argmin() <= 14  # peak within two weeks
    assert course[-1] > 0.9  # siRNA is transient


def test_shrna_by_aav_is_durable_where_sirna_is_transient(twins_runner):
    spec = {
        "modality": "rnai",
        "vector": "aav2",
        "payload": ["rnai_adamts5"],
        "route": "intradiscal",
        "dose": 1e12,
        "needle_gauge": 27,
    }
    twins = twins_runner([spec], 25, [0, 90, 180], n=20)
    disc, _ = twins.true_observables("treated")
    assert np.median(disc["adamts_relative_expression"][:, -1, 3]) < 0.6


def test_adenoviral_tgfb1_doubles_proteoglycan_synthesis_in_a_young_disc_not_a_cell_poor_one(
    twins_runner,
):
    # Nishida 1999 (rabbits): Ad-TGF-beta1 about doubled NP proteoglycan synthesis
    spec = {
        "modality": "gene_therapy",
        "vector": "ad5",
        "payload": ["tgfb1"],
        "route": "intradiscal",
        "dose": 1e10,
        "needle_gauge": 27,
    }
    follow = [0, 7, 14, 21, 42]
    young = twins_runner([spec], 20, follow, n=30)
    disc, _ = young.true_observables("treated")
    base, _ = young.true_observables("untreated")
    ratio = disc["proteoglycan_synthesis"][:, :, 3] / base["proteoglycan_synthesis"][:, :, 3]
    young_gain = np.median(ratio, axis=0).max() - 1
    assert 0.6 <= young_gain <= 1.4

    # the same dose into the cell-poor discs of old patients (< 25% of adolescent cells)
    pop = sample_population(100, seed=8)
    t = np.array([80 * DAYS_PER_YEAR])
    y, _, _ = compiled_model(pop.layout).solve(
        10 * DAYS_PER_YEAR,
        initial_state(),
        pop.parameters,
        t,
        rtol=1e-6,
        atol=1e-10,
        max_steps=100_000,
    )
    cells = y[:, 0, [state_index("viable_cells", lv) for lv in range(N_LEVELS)]]
    keep = cells.min(axis=1) < 0.25
    assert keep.sum() >= 10
    poorest = (cells == cells.min(axis=1, keepdims=True))[keep]
    old_pop = sample_population(seed=8, patient_index=pop.patient_index[keep])
    old = twins_runner([spec], 80, follow, pop=old_pop, index_levels=poorest)
    disc, _ = old.true_observables("treated")
    base, _ = old.true_observables("untreated")
    ratio = (disc["proteoglycan_synthesis"] / base["proteoglycan_synthesis"])[
        poorest[:, None, :].repeat(len(follow), axis=1)
    ].reshape(len(old_pop), len(follow))
    old_gain = np.median(ratio, axis=0).max() - 1
    assert old_gain < young_gain / 3


def test_16g_puncture_accelerates_degeneration_of_a_healthy_disc_27g_does_not(twins_runner):
    follow = [0, 182, 365, 730]
    effects = {}
    for gauge in (16, 27):
        spec = {
            "modality": "procedure",
            "kind": "saline",
            "needle_gauge": gauge,
            "levels": ["L4/5"],
        }
        twins = twins_runner([spec], 25, follow, n=40)
        disc, _ = twins.true_observables("treated")
        base, _ = twins.true_observables("untreated")
        effects[gauge] = {
            k: (disc[k][:, :, 3] - base[k][:, :, 3]).mean(axis=0)
            for k in ("t2_relative", "disc_height_relative")
        }
    t2_cv = load_parameter_set()["t2_cv"].value  # scan-rescan CV of measured T2
    assert effects[16]["t2_relative"][-1] < -t2_cv  # beyond measurement noise
    height = effects[16]["disc_height_relative"]
    assert height[-1] < height[1] < 0  # progressive over the 2 years
    assert abs(effects[27]["t2_relative"][-1]) < 0.1 * t2_cv
    assert abs(effects[27]["disc_height_relative"][-1]) < 0.005


def test_redosing_the_same_aav_serotype_is_blocked_a_different_one_is_not(twins_runner):
    first = {
        "modality": "gene_therapy",
        "vector": "aav9",
        "payload": ["pomc"],
        "route": "intrathecal",
        "dose": 1e13,
    }
    csf = state_index("csf_vector")
    added = {}
    for vector in ("aav9", "aav8"):
        second = {**first, "vector": vector, "day": 180.0}
        twins = twins_runner([first, second], 40, [179.0, 180.0], n=200, seed=4)
        added[vector] = twins.treated[:, 1, csf] - twins.treated[:, 0, csf]
    # with the same serotype, most patients seroconverted: nearly nothing gets through
    assert np.median(added["aav9"]) < 0.02 * np.median(added["aav8"])
    assert added["aav9"].mean() < 0.15 * added["aav8"].mean()


def test_preventive_risk_allele_editing_in_youth_protects_high_risk_discs_for_decades(
    twins_runner,
):
    # SCIENCE.md 3: preventive editing of genetic risk in young people, through the score
    pop = sample_population(200, seed=12)
    high = pop.covariates["genetic_risk_score"] > 1.0
    assert high.sum() >= 15
    cohort = sample_population(seed=12, patient_index=pop.patient_index[high])
    spec = {
        "modality": "crispr",
        "vector": "aav6",
        "payload": ["risk_allele_edit"],
        "route": "intradiscal",
        "dose": 1e12,
        "needle_gauge": 27,
        "levels": ["L4/5"],
    }
    twins = twins_runner([spec], 20, [0, 10 * 365.25, 30 * 365.25], pop=cohort)
    pg = state_index("proteoglycan", 3)
    gain = twins.treated[:, :, pg] - twins.untreated[:, :, pg]
    assert np.all(gain[:, 2] > 0)  # every high-risk treated disc keeps more matrix at 50
    # edited cells and their daughters keep the edit: the benefit lasts (it thins as the
    # disc loses cells with age)
    assert np.median(gain[:, 2]) > 0.3 * np.median(gain[:, 1]) > 0
    untreated_level = state_index("proteoglycan", 4)  # L5/S1 was not edited
    np.testing.assert_allclose(
        twins.treated[:, :, untreated_level], twins.untreated[:, :, untreated_level], rtol=1e-4
    )


def test_risk_allele_editing_never_raises_anyones_genetic_risk():
    """The rate law over the full genotype range: editing removes carried risk alleles, so
    it lowers a positive (risk) score towards 0 and leaves a protective (negative) one alone
    (issue 26: the old rule pulled every score towards 0, taking protection away)."""
    import sympy as sp

    from disctwin.model.equations import COVARIATES
    from disctwin.model.processes.base import ModelSymbols, ParameterSymbols, symbol
    from disctwin.model.processes.therapy import therapy

    m = ModelSymbols(symbol("t"), ParameterSymbols(), {c: symbol(c) for c in COVARIATES})
    term = therapy(m).terms["genetic_risk"]
    grs, c = symbol("genetic_risk_score"), symbol("tx_genetic_correction")
    expressing = symbol("transgene_expression")
    f = sp.lambdify((grs, c, expressing), term, "numpy")
    g, cc, e = np.meshgrid(np.linspace(-3, 3, 61), [0.0, 0.2, 0.8, 1.0], [0.0, 0.5, 1.0])
    risk = f(g, cc, e)
    assert np.all(risk <= g + 1e-12)  # never raised
    np.testing.assert_array_equal(risk[g <= 0], g[g <= 0])  # protection kept
    assert np.all(risk[g > 0] >= 0)  # a full edit reaches a neutral score, not below
    assert np.all(risk[(g > 0) & (cc > 0) & (e > 0)] < g[(g > 0) & (cc > 0) & (e > 0)])


def test_preventive_editing_at_16_helps_the_cohort_and_spares_the_protected(twins_runner):
    """Edited at 16 (L5/S1), observed at 60: the whole cohort's disc is better, and people
    with protective genotypes are not made worse (the old rule: 56% vs 39% degenerated)."""
    pop = sample_population(300, seed=31)
    grs = pop.covariates["genetic_risk_score"]
    assert grs.min() < -1.5 and grs.max() > 1.5  # the full genotype range
    spec = {
        "modality": "crispr",
        "vector": "aav6",
        "payload": ["risk_allele_edit"],
        "route": "intradiscal",
        "dose": 1e12,
        "needle_gauge": 27,
        "levels": ["L5/S1"],
    }
    twins = twins_runner([spec], 16, [44 * 365.25], pop=pop)
    disc, _ = twins.true_observables("treated")
    disc_u, _ = twins.true_observables("untreated")
    t2, t2_u = disc["t2_relative"][:, 0, 4], disc_u["t2_relative"][:, 0, 4]
    assert t2.mean() > t2_u.mean()  # the cohort's edited disc is better at 60
    risk = grs > 0
    assert np.median(t2[risk] - t2_u[risk]) > 0
    # protected people: the edit leaves their score alone; what remains is the injection
    low = ~risk
    assert abs(np.mean(t2[low] - t2_u[low])) < 0.25 * np.mean(t2[risk] - t2_u[risk])
