"""Regimen files: examples load, bad input gives one clear error naming field and value,
round trips hold, adverse events occur at their stated rates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disctwin.errors import ConfigError
from disctwin.therapies import (
    BUILTIN_REGIMENS,
    THERAPIES,
    catalogue,
    dump_regimen,
    load_regimen,
    parse_regimen,
)
from disctwin.therapies.base import DoseContext
from disctwin.therapies.delivery import PayloadSettings, procedure_hazards
from disctwin.therapies.harms import draw_adverse_events

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "regimens").glob("*.toml"))


def test_there_is_an_example_for_every_modality_and_payload():
    regimens = [load_regimen(p) for p in EXAMPLES]
    modalities = {d.modality for r in regimens for d in r.doses}
    payloads = {p for r in regimens for d in r.doses for p in getattr(d, "payload", ())}
    assert modalities | {"procedure"} == set(THERAPIES)
    assert payloads == set(catalogue().payloads)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_regimen_loads_and_cites_its_basis(path):
    regimen = load_regimen(path)
    assert regimen.doses and regimen.basis
    assert path.read_text().startswith("# Basis:")


@pytest.mark.parametrize("name", sorted(BUILTIN_REGIMENS))
def test_builtin_regimens_load(name):
    assert load_regimen(name).name == name


def _one(dose: dict) -> dict:
    return {"regimen": {"name": "x"}, "dose": [dose]}


GOOD = {
    "modality": "gene_therapy",
    "vector": "aav2",
    "payload": ["tgfb1"],
    "route": "intradiscal",
    "dose": 1e12,
}


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"modality": "gene_therapi"}, "dose[0].modality", "gene_therapy"),
        ({"vector": "aav99"}, "dose[0].vector", "aav9"),
        ({"payload": ["tgfb7"]}, "dose[0].payload", "tgfb1"),
        ({"payload": ["pomc"]}, "dose[0].route", "drg"),
        ({"payload": ["rnai_mmp3"]}, "dose[0].payload", "secreted"),
        ({"levels": ["L4/L5"]}, "dose[0].levels", "L4/5"),
        ({"needle_gauge": 19}, "dose[0].needle_gauge", "gauge"),
        ({"dose": -1.0}, "dose[0].dose", "greater than 0"),
        ({"dose_unit": "pfu"}, "dose[0].dose_unit", "vg"),
        ({"genome": "self_complementary", "vector": "ad5"}, "dose[0].genome", "AAV"),
        ({"route": "intravenous"}, "dose[0].route", "intradiscal"),
        ({"doze": 1e12}, "dose[0].doze", "dose"),
        ({"day": -3}, "dose[0].day", "greater than or equal to 0"),
    ],
)
def test_bad_dose_fields_give_one_clear_error(change, field, fragment):
    with pytest.raises(ConfigError) as err:
        parse_regimen(_one({**GOOD, **change}))
    problems = err.value.problems
    assert any(p.field.endswith(field) for p in problems), problems
    assert fragment in str(err.value)


def test_every_problem_is_reported_at_once():
    data = {"regimen": {"name": "x"}, "dose": [{**GOOD, "vector": "aav99"}, {**GOOD, "dose": 0}]}
    with pytest.raises(ConfigError) as err:
        parse_regimen(data)
    assert len(err.value.problems) == 2


def test_missing_regimen_file_names_the_builtins(tmp_path):
    with pytest.raises(ConfigError, match="saline_intradiscal"):
        load_regimen(tmp_path / "nope.toml")


@settings(max_examples=40, deadline=None)
@given(
    vector=st.sampled_from(["aav2", "aav5", "aav6", "aav8", "aav9"]),
    payload=st.lists(
        st.sampled_from(["tgfb1", "sox9", "gdf5", "bmp2", "bmp7", "col2a1", "timp1", "il1rn"]),
        min_size=1,
        max_size=3,
        unique=True,
    ),
    dose=st.floats(1e9, 1e14),
    day=st.floats(0, 1000),
    gauge=st.sampled_from(sorted(catalogue().needle.outer_diameter_mm)),
    levels=st.lists(
        st.sampled_from(["L1/2", "L2/3", "L3/4", "L4/5", "L5/S1"]),
        min_size=1,
        max_size=5,
        unique=True,
    ),
)
def test_regimens_round_trip_through_toml(
    tmp_path_factory, vector, payload, dose, day, gauge, levels
):
    dose_table = {
        **GOOD,
        "vector": vector,
        "payload": payload,
        "dose": dose,
        "day": day,
        "needle_gauge": gauge,
        "levels": levels,
    }
    regimen = parse_regimen(_one(dose_table))
    path = tmp_path_factory.mktemp("r") / "r.toml"
    path.write_text(dump_regimen(regimen))
    assert load_regimen(path) == regimen


def test_adverse_events_occur_at_their_stated_rates():
    # post-dural-puncture headache: 4.2% per lumbar puncture (Arevalo-Rodriguez 2017)
    n = 4000
    idx = np.arange(n)
    settings_ = PayloadSettings(
        modality="crispr",
        vector="aav9",
        payload=("scn9a_repressor",),
        route="intrathecal",
        dose=1e12,
    )
    ctx = DoseContext(
        seed=3, patient_index=idx, dose_index=0, target_levels=np.zeros((n, 5), dtype=bool)
    )
    table = draw_adverse_events(procedure_hazards(settings_, ctx), 3, idx, 0, 0.0).to_pandas()
    pdph = table[table.term == "post_dural_puncture_headache"]
    p = 0.042
    assert abs(len(pdph) / n - p) < 4 * np.sqrt(p * (1 - p) / n)
    assert 0.8 < pdph.day.median() / 1.5 < 1.25  # log-normal onset around its median
    assert pdph.severity.between(1, 5).all()
    assert (pdph.serious == (pdph.severity >= 3)).all()


def test_a_drug_course_harm_begins_while_on_the_drug():
    """A course's harm probability is of onset during the course: the log-normal onset is
    truncated to the course (inverse CDF: each draw keeps its quantile of the truncated law)."""
    from scipy import stats

    from disctwin.therapies.base import Hazard

    n = 4000
    idx = np.arange(n)
    common = dict(
        term="opioid_addiction",
        probability=np.full(n, 0.5),
        exposures=np.ones(n, dtype=np.int64),
        onset_median_days=182.5,
        onset_gsd=1.8,
        severity=(0.0, 0.0, 1.0, 0.0, 0.0),
        related="product",
    )
    free = draw_adverse_events([Hazard(**common)], 8, idx, 0, 10.0).to_pandas()
    course = draw_adverse_events([Hazard(**common, onset_within_days=365.0)], 8, idx, 0, 10.0)
    course = course.to_pandas()
    assert np.array_equal(free.patient_index, course.patient_index)  # who: unchanged
    assert (free.day > 375.0).mean() > 0.08  # untruncated log-normal: ~12% beyond a year
    assert course.day.between(10.0, 375.0).all()
    inside = free.day <= 375.0
    assert not np.allclose(free.day[inside], course.day[inside])  # every quantile shrinks
    # the truncated onsets follow the log-normal conditioned on the window
    cap = stats.norm.cdf(np.log(365.0 / 182.5) / np.log(1.8))
    law = stats.truncnorm(-np.inf, stats.norm.ppf(cap), loc=np.log(182.5), scale=np.log(1.8))
    assert stats.kstest(np.log(course.day - 10.0), law.cdf).pvalue > 0.01


def test_discitis_is_per_disc_and_cut_by_antibiotic_prophylaxis():
    n = 3000
    idx = np.arange(n)
    levels = np.ones((n, 5), dtype=bool)
    ctx = DoseContext(seed=5, patient_index=idx, dose_index=0, target_levels=levels)
    rates = {}
    for antibiotics in (False, True):
        s = PayloadSettings(
            modality="gene_therapy",
            vector="aav2",
            payload=("tgfb1",),
            route="intradiscal",
            dose=1e12,
            antibiotics=antibiotics,
        )
        hz = [h for h in procedure_hazards(s, ctx) if h.term == "discitis"]
        assert hz[0].exposures.tolist() == [5] * n  # five discs punctured
        rates[antibiotics] = hz[0].probability[0]
    assert rates[False] == pytest.approx(0.00094)  # Willems 2004: 12 / 12,770 discs
    assert rates[True] < rates[False]


def test_drg_toxicity_rises_with_the_intrathecal_aav_dose_and_lentivirus_carries_insertional_risk():
    from disctwin.therapies.delivery import payload_hazards

    n = 3
    ctx = DoseContext(
        seed=1, patient_index=np.arange(n), dose_index=0, target_levels=np.zeros((n, 5), dtype=bool)
    )

    def risk(term, **kw):
        s = PayloadSettings(modality="gene_therapy", payload=("pomc",), route="intrathecal", **kw)
        return {h.term: h.probability[0] for h in payload_hazards(s, ctx)}.get(term, 0.0)

    doses = [1e12, 1e13, 1e14, 1e15]
    tox = [risk("drg_toxicity", vector="aav9", dose=d) for d in doses]
    assert np.all(np.diff(tox) > 0) and tox[0] < 0.01 < tox[-1]
    lenti = PayloadSettings(
        modality="gene_therapy", vector="lv", payload=("tgfb1",), route="intradiscal", dose=1e8
    )
    levels = np.ones((n, 5), dtype=bool)
    ctx_disc = DoseContext(seed=1, patient_index=np.arange(n), dose_index=0, target_levels=levels)
    terms = {h.term for h in payload_hazards(lenti, ctx_disc)}
    assert {"insertional_oncogenesis", "discitis", "nerve_root_injury"} <= terms


def test_a_dose_far_above_the_catalogues_range_is_refused():
    """1e17 vg in a disc makes every patient's solver fail; the regimen check refuses it."""
    with pytest.raises(ConfigError, match=r"at most 1e\+16 vg") as err:
        parse_regimen(_one({**GOOD, "dose": 1e17}))
    (problem,) = err.value.problems
    assert problem.field.endswith("dose[0].dose") and problem.value == 1e17
    assert parse_regimen(_one({**GOOD, "dose": 1e16})).doses[0].dose == 1e16


def test_a_dose_key_in_the_regimen_table_is_refused_pointing_to_dose_tables():
    with pytest.raises(ConfigError, match=r"belongs in a \[\[dose\]\] table") as err:
        parse_regimen({"regimen": {"name": "x", "dose": 1e12}})
    (problem,) = err.value.problems
    assert problem.field == "regimen.regimen.dose"


def test_a_misspelt_regimen_key_is_refused_with_the_nearest_name():
    with pytest.raises(ConfigError) as err:
        parse_regimen({"regimen": {"name": "x", "bases": "a paper"}})
    assert err.value.problems[0].suggestion == "basis"


def test_a_regimen_file_that_is_not_utf8_names_the_file(tmp_path):
    path = tmp_path / "r.toml"
    path.write_bytes(b'[regimen]\nname = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="a UTF-8 text file") as err:
        load_regimen(path)
    assert err.value.problems[0].value == str(path)
