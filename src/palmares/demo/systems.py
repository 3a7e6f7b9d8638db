"""The three demo systems: indicator trees, edition ranges, field sizes and edition metadata.

Node ids follow ``<system>.<id>``; the root's id is the system id. The presets adopt these ids,
and ``docs/demo-world.md`` lists them. A leaf exists in the editions ``first..last``; the
value model writes observation rows only for leaves that exist in an edition, so "the leaves of
an edition" can always be read back from the observations.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from palmares.systems import TREE_COLUMNS, preset_tree

SOURCE = "palmares demo world (synthetic)"


@dataclass(frozen=True)
class Leaf:
    """An indicator and how its values are drawn (see :mod:`palmares.demo.values`).

    ``marginal`` is ``lognormal`` (``a`` = median, ``b`` = log-sd) or ``beta`` (``a``, ``b`` the
    shape parameters, values multiplied by ``scale``). ``size`` is the loading on institution
    size (absolute counts grow with size), ``missing`` the base share of missing values.
    """

    id: str
    parent: str
    label_en: str
    label_fr: str
    unit: str
    decimals: int
    marginal: str
    a: float
    b: float
    scale: float = 1.0
    size: float = 0.0
    missing: float = 0.08
    first: int = 0
    last: int = 9999
    direction: str = "higher"
    description: str = ""
    #: Not applicable to post-prepa French engineering schools (they have no bachelor programme).
    bachelor: bool = False

    def exists(self, year: int) -> bool:
        return self.first <= year <= self.last


@dataclass(frozen=True)
class Dimension:
    id: str
    label_en: str
    label_fr: str


@dataclass(frozen=True)
class System:
    id: str
    label_en: str
    label_fr: str
    dimensions: tuple[Dimension, ...]
    leaves: tuple[Leaf, ...]
    #: Institutions in each edition's field (rows in observations.csv).
    field: dict[int, int]
    published_on: dict[int, str]
    edition_label_en: str
    edition_label_fr: str

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted(self.field))

    def leaves_in(self, year: int) -> tuple[Leaf, ...]:
        return tuple(leaf for leaf in self.leaves if leaf.exists(year))


def _pct(ident: str, parent: str, en: str, fr: str, a: float, b: float, **kw: object) -> Leaf:
    """A percentage with a beta marginal, one decimal."""
    return Leaf(ident, parent, en, fr, "percent", 1, "beta", a, b, scale=100.0, **kw)  # type: ignore[arg-type]


def _logn(
    ident: str,
    parent: str,
    en: str,
    fr: str,
    unit: str,
    decimals: int,
    median: float,
    sigma: float,
    **kw: object,
) -> Leaf:
    return Leaf(ident, parent, en, fr, unit, decimals, "lognormal", median, sigma, **kw)  # type: ignore[arg-type]


# -- U-Multirank ------------------------------------------------------------------------------

_UMR = "u-multirank"
_T, _R, _K, _I, _G = (
    f"{_UMR}.{d}" for d in ("teaching", "research", "transfer", "international", "regional")
)

U_MULTIRANK = System(
    id=_UMR,
    label_en="U-Multirank",
    label_fr="U-Multirank",
    dimensions=(
        Dimension(_T, "Teaching and learning", "Enseignement et apprentissage"),
        Dimension(_R, "Research", "Recherche"),
        Dimension(_K, "Knowledge transfer", "Transfert de connaissances"),
        Dimension(_I, "International orientation", "Orientation internationale"),
        Dimension(_G, "Regional engagement", "Engagement régional"),
    ),
    leaves=(
        _pct(
            f"{_UMR}.bachelor-graduation-rate",
            _T,
            "Bachelor graduation rate",
            "Taux d'obtention de la licence",
            8,
            2.5,
            missing=0.1,
            bachelor=True,
            description="Share of bachelor entrants who graduate.",
        ),
        _pct(
            f"{_UMR}.masters-graduation-rate",
            _T,
            "Masters graduation rate",
            "Taux d'obtention du master",
            9,
            2,
            missing=0.1,
            description="Share of master entrants who graduate.",
        ),
        _pct(
            f"{_UMR}.bachelor-on-time",
            _T,
            "Graduating on time (bachelors)",
            "Licence obtenue dans les délais",
            6,
            3,
            missing=0.12,
            bachelor=True,
            description="Share of bachelor graduates finishing within the normative period.",
        ),
        _pct(
            f"{_UMR}.masters-on-time",
            _T,
            "Graduating on time (masters)",
            "Master obtenu dans les délais",
            7,
            2.5,
            missing=0.12,
            description="Share of master graduates finishing within the normative period.",
        ),
        _logn(
            f"{_UMR}.external-research-income",
            _R,
            "External research income",
            "Ressources externes de recherche",
            "eur",
            0,
            25000,
            0.9,
            missing=0.15,
            description="External research income per FTE academic staff, in euros.",
        ),
        _logn(
            f"{_UMR}.research-publications",
            _R,
            "Research publications (absolute numbers)",
            "Publications de recherche (nombre)",
            "count",
            0,
            900,
            1.0,
            size=0.75,
            missing=0.02,
            description="Publications over four years (bibliometrics).",
        ),
        _logn(
            f"{_UMR}.research-publications-normalised",
            _R,
            "Research publications (size-normalised)",
            "Publications de recherche (rapportées à la taille)",
            "ratio",
            2,
            0.9,
            0.6,
            missing=0.05,
            description="Publications per FTE academic staff.",
        ),
        _logn(
            f"{_UMR}.citation-rate",
            _R,
            "Citation rate",
            "Taux de citation",
            "ratio",
            2,
            0.95,
            0.3,
            missing=0.03,
            description="Field-normalised citation rate (world average = 1).",
        ),
        _pct(
            f"{_UMR}.top-cited-publications",
            _R,
            "Top cited publications",
            "Publications les plus citées",
            3,
            30,
            missing=0.03,
            description="Share of publications among the 10 % most cited of their field.",
        ),
        _pct(
            f"{_UMR}.interdisciplinary-publications",
            _R,
            "Interdisciplinary publications",
            "Publications interdisciplinaires",
            4,
            40,
            missing=0.04,
        ),
        _logn(
            f"{_UMR}.art-related-output",
            _R,
            "Art related output",
            "Production artistique",
            "count",
            0,
            15,
            1.2,
            size=0.5,
            missing=0.35,
            description="Exhibitions, performances and other artistic output.",
        ),
        _pct(
            f"{_UMR}.post-doc-positions",
            _R,
            "Post-doc positions",
            "Postes de post-doctorants",
            2,
            25,
            missing=0.2,
            description="Post-doc positions as a share of academic staff.",
        ),
        _logn(
            f"{_UMR}.professional-publications",
            _R,
            "Professional publications",
            "Publications professionnelles",
            "ratio",
            2,
            0.3,
            0.8,
            missing=0.25,
            first=2018,
            description="Professional publications per FTE academic staff (from 2018).",
        ),
        _pct(
            f"{_UMR}.open-access-publications",
            _R,
            "Open access publications",
            "Publications en accès ouvert",
            6,
            5,
            missing=0.04,
            first=2019,
            description="Share of publications in open access (from 2019).",
        ),
        _logn(
            f"{_UMR}.private-income",
            _K,
            "Income from private sources",
            "Ressources d'origine privée",
            "eur",
            0,
            6000,
            1.0,
            missing=0.2,
            description="Income from private sources per FTE academic staff, in euros.",
        ),
        _pct(
            f"{_UMR}.industry-co-publications",
            _K,
            "Co-publications with industrial partners",
            "Copublications avec des partenaires industriels",
            2,
            40,
            missing=0.03,
        ),
        _logn(
            f"{_UMR}.patents-awarded",
            _K,
            "Patents awarded (absolute numbers)",
            "Brevets obtenus (nombre)",
            "count",
            0,
            8,
            1.3,
            size=0.7,
            missing=0.15,
        ),
        _logn(
            f"{_UMR}.patents-awarded-normalised",
            _K,
            "Patents awarded (size-normalised)",
            "Brevets obtenus (rapportés à la taille)",
            "ratio",
            2,
            0.4,
            1.0,
            missing=0.15,
            description="Patents per 1,000 students.",
        ),
        _pct(
            f"{_UMR}.industry-co-patents",
            _K,
            "Industry co-patents",
            "Brevets déposés avec l'industrie",
            2,
            12,
            missing=0.3,
        ),
        _logn(
            f"{_UMR}.spin-offs",
            _K,
            "Spin-offs",
            "Entreprises issues de l'établissement",
            "ratio",
            2,
            1.2,
            1.0,
            missing=0.25,
            description="Spin-offs per 1,000 FTE academic staff (three-year average).",
        ),
        _pct(
            f"{_UMR}.publications-cited-in-patents",
            _K,
            "Publications cited in patents",
            "Publications citées dans des brevets",
            2,
            60,
            missing=0.04,
        ),
        _pct(
            f"{_UMR}.cpd-income",
            _K,
            "Income from continuous professional development",
            "Ressources de la formation continue",
            1.5,
            40,
            missing=0.3,
            description="Share of total income.",
        ),
        _pct(
            f"{_UMR}.foreign-language-bachelor",
            _I,
            "Foreign language bachelor programmes",
            "Licences enseignées en langue étrangère",
            1.2,
            6,
            missing=0.1,
            bachelor=True,
        ),
        _pct(
            f"{_UMR}.foreign-language-master",
            _I,
            "Foreign language master programmes",
            "Masters enseignés en langue étrangère",
            1.8,
            4,
            missing=0.1,
        ),
        _pct(
            f"{_UMR}.student-mobility",
            _I,
            "Student mobility",
            "Mobilité étudiante",
            3,
            8,
            missing=0.1,
        ),
        _pct(
            f"{_UMR}.international-academic-staff",
            _I,
            "International academic staff",
            "Personnel académique international",
            2.5,
            12,
            missing=0.1,
        ),
        _pct(
            f"{_UMR}.international-doctorates",
            _I,
            "International doctorate degrees",
            "Doctorats délivrés à des étudiants internationaux",
            3,
            7,
            missing=0.2,
        ),
        _pct(
            f"{_UMR}.international-joint-publications",
            _I,
            "International joint publications",
            "Copublications internationales",
            8,
            9,
            missing=0.03,
        ),
        _pct(
            f"{_UMR}.bachelor-graduates-in-region",
            _G,
            "Bachelor graduates working in the region",
            "Diplômés de licence employés dans la région",
            4,
            3,
            missing=0.3,
            bachelor=True,
        ),
        _pct(
            f"{_UMR}.master-graduates-in-region",
            _G,
            "Master graduates working in the region",
            "Diplômés de master employés dans la région",
            3.5,
            3,
            missing=0.3,
        ),
        _pct(
            f"{_UMR}.student-internships-in-region",
            _G,
            "Student internships in the region",
            "Stages étudiants dans la région",
            3,
            4,
            missing=0.3,
        ),
        _pct(
            f"{_UMR}.regional-joint-publications",
            _G,
            "Regional joint publications",
            "Copublications régionales",
            3,
            18,
            missing=0.04,
        ),
        _pct(
            f"{_UMR}.regional-income",
            _G,
            "Income from regional sources",
            "Ressources d'origine régionale",
            1.8,
            12,
            missing=0.3,
        ),
    ),
    field={2016: 1300, 2017: 1497, 2018: 1614, 2019: 1711, 2020: 1759, 2021: 1782, 2022: 2019},
    published_on={
        2016: "2016-04-04",
        2017: "2017-04-04",
        2018: "2018-05-29",
        2019: "2019-06-04",
        2020: "2020-06-09",
        2021: "2021-06-08",
        2022: "2022-06-14",
    },
    edition_label_en="U-Multirank {year}",
    edition_label_fr="U-Multirank {year}",
)

# -- L'Étudiant -------------------------------------------------------------------------------

_LE = "letudiant"
_A, _N, _C, _O = (f"{_LE}.{d}" for d in ("academic", "international", "companies", "openness"))

LETUDIANT = System(
    id=_LE,
    label_en="L'Étudiant ranking of engineering schools",
    label_fr="Palmarès L'Étudiant des écoles d'ingénieurs",
    dimensions=(
        Dimension(_A, "Academic excellence", "Excellence académique"),
        Dimension(_N, "International openness", "Ouverture internationale"),
        Dimension(_C, "Proximity to companies", "Proximité avec les entreprises"),
        Dimension(_O, "Openness to new publics", "Ouverture à de nouveaux publics"),
    ),
    leaves=(
        _pct(
            f"{_LE}.research-involvement",
            _A,
            "Research involvement of faculty",
            "Implication du corps professoral dans la recherche",
            7,
            3,
            missing=0.09,
            description="Share of permanent faculty who are research-active.",
        ),
        _pct(
            f"{_LE}.doctoral-continuation",
            _A,
            "Graduates going on to a doctorate",
            "Diplômés poursuivant en doctorat",
            2,
            18,
            missing=0.09,
        ),
        _logn(
            f"{_LE}.doctoral-students",
            _A,
            "Doctoral students hosted",
            "Doctorants accueillis",
            "count",
            0,
            60,
            0.9,
            size=0.6,
            missing=0.09,
        ),
        _logn(
            f"{_LE}.stays-abroad",
            _N,
            "Months abroad per student",
            "Durée des séjours à l'étranger",
            "months",
            1,
            6,
            0.35,
            missing=0.09,
            description="Average months spent abroad during the curriculum.",
        ),
        _pct(
            f"{_LE}.international-students",
            _N,
            "International students",
            "Étudiants internationaux",
            3,
            12,
            missing=0.09,
        ),
        _pct(
            f"{_LE}.graduates-abroad",
            _N,
            "Graduates placed abroad",
            "Diplômés en poste à l'étranger",
            2.5,
            18,
            missing=0.09,
            description="Share of recent graduates whose first job is abroad.",
        ),
        _logn(
            f"{_LE}.company-chairs",
            _C,
            "Chairs with companies",
            "Chaires avec des entreprises",
            "count",
            0,
            3,
            0.9,
            size=0.5,
            missing=0.09,
        ),
        _logn(
            f"{_LE}.work-placements",
            _C,
            "Months in companies during studies",
            "Durée des stages en entreprise",
            "months",
            1,
            10,
            0.25,
            missing=0.09,
        ),
        Leaf(
            f"{_LE}.diversity",
            _O,
            "Diversity of students",
            "Diversité des étudiants",
            "index",
            0,
            "beta",
            4,
            4,
            scale=100.0,
            missing=0.09,
            first=2018,
            description=(
                "Index of scholarship holders, apprentices and tuition fees "
                "(from 2018; a bonus until 2022)."
            ),
        ),
        Leaf(
            f"{_LE}.social-engagement",
            _O,
            "Social engagement (parity indicator)",
            "Engagement social (indicateur de parité)",
            "index",
            0,
            "beta",
            5,
            4,
            scale=100.0,
            missing=0.09,
            first=2023,
            description=(
                "Parity index of students, faculty and management: 100 is parity (from 2023)."
            ),
        ),
        Leaf(
            f"{_LE}.societal-responsibility",
            _O,
            "Societal responsibility",
            "Responsabilité sociétale",
            "score",
            0,
            "beta",
            3,
            3,
            scale=100.0,
            missing=0.09,
            first=2023,
            description=(
                "Sustainable development and social responsibility commitments, "
                "scored 0-100 (from 2023)."
            ),
        ),
    ),
    field={
        2016: 160,
        2017: 163,
        2018: 165,
        2019: 166,
        2020: 168,
        2021: 168,
        2022: 168,
        2023: 169,
        2024: 170,
    },
    published_on={
        2016: "2015-12-09",
        2017: "2016-12-07",
        2018: "2017-12-06",
        2019: "2018-12-05",
        2020: "2019-12-11",
        2021: "2020-12-09",
        2022: "2021-12-08",
        2023: "2022-12-07",
        2024: "2023-12-06",
    },
    edition_label_en="L'Étudiant engineering schools ranking {year}",
    edition_label_fr="Palmarès {year} des écoles d'ingénieurs de L'Étudiant",
)

# -- THE Impact Rankings ----------------------------------------------------------------------

_TI = "the-impact"
SDG_NAMES: tuple[tuple[str, str], ...] = (
    ("No poverty", "Pas de pauvreté"),
    ("Zero hunger", "Faim « zéro »"),
    ("Good health and well-being", "Bonne santé et bien-être"),
    ("Quality education", "Éducation de qualité"),
    ("Gender equality", "Égalité entre les sexes"),
    ("Clean water and sanitation", "Eau propre et assainissement"),
    ("Affordable and clean energy", "Énergie propre et d'un coût abordable"),
    ("Decent work and economic growth", "Travail décent et croissance économique"),
    ("Industry, innovation and infrastructure", "Industrie, innovation et infrastructure"),
    ("Reduced inequalities", "Inégalités réduites"),
    ("Sustainable cities and communities", "Villes et communautés durables"),
    ("Responsible consumption and production", "Consommation et production responsables"),
    ("Climate action", "Mesures relatives à la lutte contre les changements climatiques"),
    ("Life below water", "Vie aquatique"),
    ("Life on land", "Vie terrestre"),
    ("Peace, justice and strong institutions", "Paix, justice et institutions efficaces"),
    ("Partnerships for the goals", "Partenariats pour la réalisation des objectifs"),
)
#: The eleven SDGs of the first edition (2019); all seventeen from 2020.
SDGS_2019: tuple[int, ...] = (3, 4, 5, 8, 9, 10, 11, 12, 13, 16, 17)
#: How often each SDG is submitted relative to the institution's habit (SDG 17 is compulsory).
SDG_POPULARITY: tuple[float, ...] = (
    0.9,
    0.85,
    1.05,
    1.1,
    1.05,
    0.9,
    0.95,
    1.0,
    1.0,
    1.0,
    1.0,
    0.95,
    0.95,
    0.75,
    0.8,
    0.95,
    1.1,
)


def sdg_id(goal: int) -> str:
    return f"{_TI}.sdg{goal:02d}"


def _sdg_leaves(goal: int) -> tuple[Leaf, ...]:
    first = 2019 if goal in SDGS_2019 else 2020
    node, en = sdg_id(goal), SDG_NAMES[goal - 1][0]
    return (
        _logn(
            f"{node}.research",
            node,
            f"SDG {goal} research (publications)",
            f"ODD {goal} recherche (publications)",
            "count",
            0,
            30 + 5 * (goal % 7),
            1.1,
            size=0.7,
            missing=0.02,
            first=first,
            description=f"Publications on {en.lower()} over five years.",
        ),
        _pct(
            f"{node}.continuous",
            node,
            f"SDG {goal} continuous metrics",
            f"ODD {goal} indicateurs continus",
            3,
            6,
            missing=0.06,
            first=first,
            description="Submitted measurements normalised for size.",
        ),
        Leaf(
            f"{node}.evidence",
            node,
            f"SDG {goal} evidence (policies and practice)",
            f"ODD {goal} preuves (politiques et pratiques)",
            "score",
            1,
            "beta",
            3,
            2.5,
            scale=100.0,
            missing=0.03,
            first=first,
            description="Evidence of policies and initiatives, scored 0-100.",
        ),
    )


THE_IMPACT = System(
    id=_TI,
    label_en="THE Impact Rankings",
    label_fr="Classement THE Impact",
    dimensions=tuple(
        Dimension(sdg_id(g), f"SDG {g}: {en}", f"ODD {g} : {fr}")
        for g, (en, fr) in enumerate(SDG_NAMES, start=1)
    ),
    leaves=tuple(leaf for g in range(1, 18) for leaf in _sdg_leaves(g)),
    field={2019: 496, 2020: 831, 2021: 1186, 2022: 1524, 2023: 1705, 2024: 2152},
    published_on={
        2019: "2019-04-03",
        2020: "2020-04-22",
        2021: "2021-04-21",
        2022: "2022-04-27",
        2023: "2023-06-01",
        2024: "2024-06-12",
    },
    edition_label_en="THE Impact Rankings {year}",
    edition_label_fr="Classement THE Impact {year}",
)
#: Institutions that submit SDG 17 and at least three other SDGs (the overall table).
THE_IMPACT_OVERALL: dict[int, int] = {
    2019: 462,
    2020: 776,
    2021: 1115,
    2022: 1406,
    2023: 1591,
    2024: 1963,
}

SYSTEMS: tuple[System, ...] = (U_MULTIRANK, LETUDIANT, THE_IMPACT)


def sdg_exists(goal: int, year: int) -> bool:
    return goal in SDGS_2019 or year >= 2020


def indicators_frame() -> pd.DataFrame:
    """indicators.csv: each system's root, dimensions and leaves, as its preset's tree file
    gives them (``systems/<preset>/tree/indicators.toml``)."""
    records = [node for system in SYSTEMS for node in preset_tree(system.id)]
    frame = pd.DataFrame.from_records(records, columns=list(TREE_COLUMNS))
    frame["decimals"] = frame["decimals"].astype("Int64")
    return frame.sort_values("id", ignore_index=True)


def editions_frame() -> pd.DataFrame:
    """editions.csv: every system's editions with labels and publication dates."""
    records = [
        {
            "system": system.id,
            "year": year,
            "label_en": system.edition_label_en.format(year=year),
            "label_fr": system.edition_label_fr.format(year=year),
            "published_on": system.published_on[year],
        }
        for system in SYSTEMS
        for year in system.years
    ]
    frame = pd.DataFrame.from_records(records)
    return frame.sort_values(["system", "year"], ignore_index=True)
