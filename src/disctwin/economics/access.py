"""Access by country: willingness-to-pay thresholds, value-based prices, budget impact and
patients treatable, under single, tiered and patent-sharing prices.

For country ``c`` with threshold :math:`\\lambda_c`, a therapy with discounted incremental
QALYs :math:`\\Delta E` and incremental costs other than its price :math:`\\Delta C` (the
reference payer's, in US$) is worth, per unit bought (``u`` units per patient),

.. math:: VBP_c = \\frac{\\lambda_c \\Delta E - s_c \\Delta C}{u},

where :math:`s_c` scales the reference payer's costs to the country (``cost_scaling``):

* ``price_level_ratio`` (default): :math:`s_c = PLR_c / PLR_{ref}`, the World Bank price
  level ratio (PPP conversion factor over exchange rate): the same services at local prices;
* ``health_spending_ratio``: :math:`s_c = HE_c / HE_{ref}`, health expenditure per capita:
  services used in proportion to what the health system spends;
* ``none``: :math:`s_c = 1`.

**Thresholds** (``threshold_basis``):

* ``opportunity_cost`` (default): what the health system gives up elsewhere. Pichon-Riviere
  et al. (Lancet Glob Health 2023) estimated such thresholds for 174 countries from health
  expenditure per capita and life expectancy; DiscTwin ships their two published extremes
  (DR Congo US$87, USA US$95,958 per QALY) and interpolates log-linearly in health
  expenditure per capita :math:`HE` (US$):
  :math:`\\lambda_c = \\lambda_{lo} (HE_c / HE_{lo})^{\\varepsilon}`,
  :math:`\\varepsilon = \\ln(\\lambda_{hi}/\\lambda_{lo}) / \\ln(HE_{hi}/HE_{lo})`; an
  approximation of their per-country values, which were not read (Woods et al. 2016 and
  Ochalek et al. 2018 reach thresholds of the same kind, below 1x GDP per capita in poor
  countries);
* ``gdp_1x`` / ``gdp_3x``: 1x or 3x GDP per capita, the WHO-CHOICE rule; **discouraged**
  (not based on opportunity cost; WHO itself advises against it), kept for comparison and
  flagged in every output.

**Prices** (``scenario``): ``single_price``, the list price :math:`P` (default: the
reference country's value-based price) everywhere; ``tiered``, :math:`P` times the income
group's tier factor; ``patent_sharing``, in the income groups a licence covers the lower
of the tiered price and the generic price :math:`COGS (1 + m)` (cost of goods plus margin),
elsewhere tiered. A country **can afford** the therapy when its price does not exceed its
value-based price. Per patient the payer pays :math:`p_c u + s_c C_0` at treatment
(:math:`C_0`: administration and imaging of the reference payer). With eligible patients
:math:`N_c = pop_c \\times prev \\times share`, the **budget impact share** is
:math:`N_c \\times uptake \\times (p_c u + s_c C_0) / (HE_c \\, pop_c)`, and **patients
treatable per year** at budget share ``b`` is :math:`\\lfloor b\\, HE_c\\, pop_c / (p_c u +
s_c C_0) \\rfloor`.

Numbers come from :func:`disctwin.economics.load_countries` and
:func:`disctwin.economics.load_access_parameters` (shipped, each with its source).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from disctwin.economics._checks import check_name
from disctwin.economics.schema import RangedParameter
from disctwin.errors import ConfigError, Problem, suggest

__all__ = [
    "COST_SCALINGS",
    "DISCOURAGED_BASES",
    "INCOME_GROUPS",
    "SCENARIOS",
    "THRESHOLD_BASES",
    "AccessParameters",
    "AccessSettings",
    "CostScaling",
    "TherapyProfile",
    "ThresholdAnchor",
    "ThresholdBasis",
    "access_summary",
    "access_table",
    "health_spending_per_capita",
    "threshold_table",
]

ThresholdBasis = Literal["opportunity_cost", "gdp_1x", "gdp_3x"]
CostScaling = Literal["price_level_ratio", "health_spending_ratio", "none"]
IncomeGroup = Literal["low", "lower_middle", "upper_middle", "high"]

#: Bases of a country's willingness-to-pay threshold (module docs).
THRESHOLD_BASES: tuple[ThresholdBasis, ...] = ("opportunity_cost", "gdp_1x", "gdp_3x")
#: GDP-based rules (WHO-CHOICE): kept for comparison, flagged in every output.
DISCOURAGED_BASES: frozenset[str] = frozenset({"gdp_1x", "gdp_3x"})
#: How the reference payer's costs are carried to another country (module docs).
COST_SCALINGS: tuple[CostScaling, ...] = ("price_level_ratio", "health_spending_ratio", "none")
#: World Bank income groups, poorest first.
INCOME_GROUPS: tuple[str, ...] = ("low", "lower_middle", "upper_middle", "high")
#: Pricing scenarios, in the order of the output.
SCENARIOS: tuple[str, ...] = ("single_price", "tiered", "patent_sharing")
_GDP_MULTIPLE = {"gdp_1x": 1.0, "gdp_3x": 3.0}


@dataclass(frozen=True)
class ThresholdAnchor:
    """A published opportunity-cost threshold of one country (US$ per QALY)."""

    country: str
    threshold_usd: float
    source: str


@dataclass(frozen=True)
class AccessParameters:
    """The shipped parameters of the access analysis (``data/access.toml``).

    Attributes:
        reference_country: the payer whose costs and list price the profile carries.
        anchors: the low and the high published opportunity-cost threshold.
        parameters: name -> value with unit, range and source.
        patent_sharing_groups: income groups a patent-sharing licence covers.
        patent_sharing_source: why those groups.
    """

    reference_country: str
    anchors: tuple[ThresholdAnchor, ThresholdAnchor]
    parameters: Mapping[str, RangedParameter]
    patent_sharing_groups: tuple[str, ...]
    patent_sharing_source: str

    def value(self, name: str) -> float:
        """The default value of parameter ``name``."""
        check_name("parameter", name, self.parameters, "a shipped access parameter")
        return self.parameters[name].value

    def tier_factor(self, income_group: str) -> float:
        """Fraction of the list price paid under tiered pricing."""
        return self.value(f"tier_factor_{income_group}")


class AccessSettings(BaseModel):
    """Choices of one access analysis; None takes the shipped default.

    Attributes:
        threshold_basis: one of :data:`THRESHOLD_BASES`.
        cost_scaling: one of :data:`COST_SCALINGS`.
        list_price_usd: list price per unit (None: the reference country's value-based
            price under ``threshold_basis``).
        cogs_usd_per_dose: cost of goods per unit for the generic price.
        generic_margin: generic margin over the cost of goods (0.1 = 10%).
        eligible_share_of_lbp, annual_uptake, budget_share: fractions in (0, 1].
        countries: ISO alpha-3 codes to analyse (None: every shipped country).
        patent_sharing_groups: income groups a licence covers.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    threshold_basis: ThresholdBasis = "opportunity_cost"
    cost_scaling: CostScaling = "health_spending_ratio"
    list_price_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    cogs_usd_per_dose: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    generic_margin: float | None = Field(default=None, ge=0, le=10, allow_inf_nan=False)
    eligible_share_of_lbp: float | None = Field(default=None, gt=0, le=1)
    annual_uptake: float | None = Field(default=None, gt=0, le=1)
    budget_share: float | None = Field(default=None, gt=0, le=1)
    countries: tuple[str, ...] | None = Field(default=None, min_length=1)
    patent_sharing_groups: tuple[IncomeGroup, ...] | None = None

    @field_validator("countries")
    @classmethod
    def _shipped(cls, codes: tuple[str, ...] | None) -> tuple[str, ...] | None:
        from disctwin.economics.datasets import load_countries

        known = list(load_countries().index)
        for code in codes or ():
            if code not in known:
                hint = suggest(code, known)
                raise ValueError(
                    f"ISO alpha-3 codes of shipped countries ({len(known)}: {', '.join(known)}); "
                    f"{code!r} is not one" + (f" (did you mean {hint!r}?)" if hint else "")
                )
        return codes


@dataclass(frozen=True)
class TherapyProfile:
    """What a cost-effectiveness run says about a therapy against its comparator, per patient.

    Attributes:
        therapy, comparator: strategy names.
        incremental_qaly: discounted QALYs gained per patient.
        incremental_cost_usd: discounted incremental cost per patient other than the
            therapy's price (administration, adverse events, care avoided: often < 0), of
            the reference payer, US$.
        start_cost_usd: the therapy's non-price cost at treatment (administration,
            imaging), reference payer, US$, >= 0.
        units: units bought per patient (> 0).
        source: where the numbers come from (a run, a paper).
    """

    therapy: str
    comparator: str
    incremental_qaly: float
    incremental_cost_usd: float
    start_cost_usd: float = 0.0
    units: float = 1.0
    source: str = ""

    def __post_init__(self) -> None:
        for name in ("incremental_qaly", "incremental_cost_usd", "start_cost_usd", "units"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise ConfigError(Problem(f"profile.{name}", value, "a finite number"))
            if not math.isfinite(float(value)):
                raise ConfigError(Problem(f"profile.{name}", value, "a finite number"))
        if self.start_cost_usd < 0:
            raise ConfigError(Problem("profile.start_cost_usd", self.start_cost_usd, ">= 0"))
        if self.units <= 0:
            raise ConfigError(Problem("profile.units", self.units, "units per patient > 0"))


def health_spending_per_capita(countries: pd.DataFrame) -> pd.Series:
    """Current health expenditure per capita, current US$: PPP spending x price level ratio."""
    return (countries["che_per_capita_ppp"] * countries["price_level_ratio"]).rename(
        "che_per_capita_usd"
    )


def _defaults(
    countries: pd.DataFrame | None, parameters: AccessParameters | None
) -> tuple[pd.DataFrame, AccessParameters]:
    from disctwin.economics.datasets import load_access_parameters, load_countries

    return (
        load_countries() if countries is None else countries,
        load_access_parameters() if parameters is None else parameters,
    )


def threshold_table(
    basis: str = "opportunity_cost",
    countries: pd.DataFrame | None = None,
    parameters: AccessParameters | None = None,
) -> pd.DataFrame:
    """Each country's willingness-to-pay threshold (US$ per QALY) under ``basis``.

    Returns:
        index ``iso3``; columns ``threshold_usd``, ``threshold_basis``,
        ``basis_discouraged`` (True for the GDP rules), ``threshold_gdp_multiple``.

    Raises:
        ConfigError: an unknown basis (nearest name suggested).
    """
    check_name("threshold_basis", basis, THRESHOLD_BASES, "a threshold basis")
    countries, parameters = _defaults(countries, parameters)
    gdp = countries["gdp_per_capita_usd"]
    if basis in _GDP_MULTIPLE:
        threshold = _GDP_MULTIPLE[basis] * gdp
    else:
        threshold = _opportunity_cost(countries, parameters)
    return pd.DataFrame(
        {
            "threshold_usd": threshold,
            "threshold_basis": basis,
            "basis_discouraged": basis in DISCOURAGED_BASES,
            "threshold_gdp_multiple": threshold / gdp,
        },
        index=countries.index,
    )


def _opportunity_cost(countries: pd.DataFrame, parameters: AccessParameters) -> pd.Series:
    from disctwin.economics.datasets import load_countries

    shipped = load_countries()
    low, high = parameters.anchors
    spending = health_spending_per_capita(shipped)
    che_low, che_high = float(spending[low.country]), float(spending[high.country])
    elasticity = math.log(high.threshold_usd / low.threshold_usd) / math.log(che_high / che_low)
    che = health_spending_per_capita(countries)
    return low.threshold_usd * (che / che_low) ** elasticity


def _select(countries: pd.DataFrame, codes: tuple[str, ...] | None) -> pd.DataFrame:
    if codes is None:
        return countries
    for k, code in enumerate(codes):
        check_name(f"countries[{k}]", code, countries.index, "a shipped country (ISO alpha-3)")
    return countries.loc[list(codes)]


def _cost_scale(countries: pd.DataFrame, reference: str, scaling: str) -> pd.Series:
    """Factor carrying the reference payer's costs to each country (module docs)."""
    if scaling == "price_level_ratio":
        levels = countries["price_level_ratio"].astype(float)
        return levels / float(levels[reference])
    if scaling == "health_spending_ratio":
        spending = health_spending_per_capita(countries)
        return spending / float(spending[reference])
    return pd.Series(1.0, index=countries.index)


def access_table(
    profile: TherapyProfile,
    settings: AccessSettings | None = None,
    countries: pd.DataFrame | None = None,
    parameters: AccessParameters | None = None,
) -> pd.DataFrame:
    """Threshold, value-based price, price, affordability, budget impact share and patients
    treatable of every country under each pricing scenario (module docs).

    Args:
        profile: the therapy against its comparator (reference payer, US$).
        settings: the analysis' choices (defaults: shipped values).
        countries: country data (default :func:`~disctwin.economics.load_countries`).
        parameters: parameters (default :func:`~disctwin.economics.load_access_parameters`).

    Returns:
        one row per scenario and country (scenarios in :data:`SCENARIOS` order, countries in
        the order of ``countries``) with columns ``scenario, iso3, name, income_group,
        threshold_usd, threshold_basis, basis_discouraged, cost_scale,
        value_based_price_usd, price_usd, price_basis, affordable, eligible_patients,
        cost_per_patient_usd, budget_impact_share, patients_treatable,
        treatable_share_of_eligible``.

    Raises:
        ConfigError: an unknown country, a reference country missing from ``countries``,
            or a list price that cannot be set (reference value-based price <= 0).
    """
    settings = settings or AccessSettings()
    countries, parameters = _defaults(countries, parameters)
    reference = parameters.reference_country
    check_name("reference_country", reference, countries.index, "a country of the table")
    chosen = _select(countries, settings.countries)
    thresholds = threshold_table(settings.threshold_basis, chosen, parameters)
    scale = _cost_scale(countries, reference, settings.cost_scaling).loc[chosen.index]
    vbp = (
        thresholds["threshold_usd"] * profile.incremental_qaly
        - scale * profile.incremental_cost_usd
    ) / profile.units
    list_price = _list_price(profile, settings, countries, parameters)
    generic = _setting(settings.cogs_usd_per_dose, parameters, "cogs_usd_per_dose") * (
        1.0 + _setting(settings.generic_margin, parameters, "generic_margin")
    )
    licensed = set(settings.patent_sharing_groups or parameters.patent_sharing_groups)
    tiered = list_price * chosen["income_group"].map(parameters.tier_factor)
    covered = chosen["income_group"].isin(licensed)
    prices = {
        "single_price": (pd.Series(list_price, index=chosen.index), "list"),
        "tiered": (tiered, "tiered"),
        "patent_sharing": (tiered.where(~covered | (tiered <= generic), generic), "generic"),
    }
    population = chosen["population"].astype(float)
    spending = health_spending_per_capita(chosen) * population
    eligible = (
        population
        * parameters.value("lbp_prevalence")
        * _setting(settings.eligible_share_of_lbp, parameters, "eligible_share_of_lbp")
    )
    uptake = _setting(settings.annual_uptake, parameters, "annual_uptake")
    budget_share = _setting(settings.budget_share, parameters, "budget_share")
    frames = []
    for scenario in SCENARIOS:
        price, basis = prices[scenario]
        price_basis = pd.Series("tiered" if scenario != "single_price" else "list", chosen.index)
        if scenario == "patent_sharing":
            price_basis = price_basis.where(price != generic, basis)
        per_patient = price * profile.units + scale * profile.start_cost_usd
        treatable = np.floor(budget_share * spending / per_patient.where(per_patient > 0))
        frames.append(
            pd.DataFrame(
                {
                    "scenario": scenario,
                    "iso3": chosen.index,
                    "name": chosen["name"],
                    "income_group": chosen["income_group"],
                    "threshold_usd": thresholds["threshold_usd"],
                    "threshold_basis": thresholds["threshold_basis"],
                    "basis_discouraged": thresholds["basis_discouraged"],
                    "cost_scale": scale,
                    "value_based_price_usd": vbp,
                    "price_usd": price,
                    "price_basis": price_basis,
                    "affordable": (vbp > 0) & (price <= vbp + 1e-9 * vbp.abs()),
                    "eligible_patients": eligible,
                    "cost_per_patient_usd": per_patient,
                    "budget_impact_share": eligible * uptake * per_patient / spending,
                    "patients_treatable": treatable,
                    "treatable_share_of_eligible": np.minimum(treatable / eligible, 1.0),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _setting(chosen: float | None, parameters: AccessParameters, name: str) -> float:
    return parameters.value(name) if chosen is None else float(chosen)


def _list_price(
    profile: TherapyProfile,
    settings: AccessSettings,
    countries: pd.DataFrame,
    parameters: AccessParameters,
) -> float:
    if settings.list_price_usd is not None:
        return float(settings.list_price_usd)
    code = parameters.reference_country
    threshold = threshold_table(settings.threshold_basis, countries.loc[[code]], parameters)
    price = (
        float(threshold["threshold_usd"].iloc[0]) * profile.incremental_qaly
        - profile.incremental_cost_usd
    ) / profile.units
    if price <= 0:
        raise ConfigError(
            Problem(
                "list_price_usd",
                None,
                f"a list price in US$: the reference country's ({code}) value-based price is "
                f"{price:,.0f}, so it cannot set one",
            )
        )
    return price


def access_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per scenario: countries, how many can afford the therapy (overall and by income
    group), patients treatable per year (everywhere, and where affordable), eligible.

    Args:
        table: :func:`access_table`.
    """
    rows = []
    for scenario, group in table.groupby("scenario", sort=False):
        row: dict[str, object] = {
            "scenario": scenario,
            "countries": len(group),
            "affordable": int(group["affordable"].sum()),
        }
        for income in INCOME_GROUPS:
            in_group = group[group["income_group"] == income]
            row[f"affordable_{income}"] = f"{int(in_group['affordable'].sum())}/{len(in_group)}"
        row["patients_treatable"] = float(group["patients_treatable"].sum())
        row["patients_treatable_where_affordable"] = float(
            group.loc[group["affordable"], "patients_treatable"].sum()
        )
        row["eligible_patients"] = float(group["eligible_patients"].sum())
        rows.append(row)
    return pd.DataFrame(rows)
