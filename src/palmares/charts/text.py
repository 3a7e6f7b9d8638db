"""Chart wording in French and English, and node labels from the dataset."""

from __future__ import annotations

from typing import Any, TypeVar

import altair as alt

from palmares.lang import NARROW_NBSP, NBSP, check_lang, format_int
from palmares.workbook import node_labels

__all__ = ["node_labels"]  # re-exported: the charts' labels are the workbooks'

#: d3 number locales, so axis numbers read "1 800" (U+202F) in French and "1,800" in English.
NUMBER_LOCALES: dict[str, dict[str, Any]] = {
    "fr": {"decimal": ",", "thousands": NARROW_NBSP, "grouping": [3], "currency": ["", "\u00a0€"]},
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""]},
}

ChartT = TypeVar("ChartT", bound=alt.TopLevelMixin)

#: The one font family of every chart: found by the renderer on this system (fonts-dejavu),
#: with the symbols the charts use (◇ ▭ ● ★ —); vl-convert measures and embeds it.
FONT = "DejaVu Sans"

#: Fixed chart words by key then language.
WORDS: dict[str, dict[str, str]] = {
    "edition": {"en": "Edition", "fr": "Édition"},
    "rank": {"en": "Rank", "fr": "Rang"},
    "band": {"en": "Band", "fr": "Tranche"},
    "field_size": {"en": "Institutions ranked", "fr": "Établissements classés"},
    "field": {"en": "Field", "fr": "Classés"},
    "tie": {"en": "Tie", "fr": "Ex aequo"},
    "tied": {"en": "tied", "fr": "ex aequo"},
    "institution": {"en": "Institution", "fr": "Établissement"},
    "methodology_change": {"en": "methodology changed", "fr": "méthodologie modifiée"},
    "score": {"en": "Score", "fr": "Score"},
    "grade": {"en": "Grade", "fr": "Groupe"},
    "no_grade": {"en": "no grade", "fr": "sans groupe"},
    "indicator": {"en": "Indicator", "fr": "Indicateur"},
    "dimension": {"en": "Dimension", "fr": "Dimension"},
    "a_grades": {"en": "A grades", "fr": "notes A"},
    "sdg": {"en": "SDG", "fr": "ODD"},
    "counted": {"en": "counts towards the overall score", "fr": "compte dans le score global"},
    "compulsory": {"en": "SDG 17 (compulsory)", "fr": "ODD 17 (obligatoire)"},
    "not_counted": {"en": "not counted", "fr": "non compté"},
    "role": {"en": "Role", "fr": "Rôle"},
    "overall": {"en": "Overall", "fr": "Classement général"},
    "a_grades_total": {"en": "A grades in all", "fr": "Notes A au total"},
    "not_ranked": {"en": "not in the overall table", "fr": "absent du classement général"},
    "trajectory_title": {"en": "Rank by edition", "fr": "Rang par édition"},
    "a_grades_title": {"en": "A grades by edition", "fr": "Notes A par édition"},
    "no_overall_rank": {
        "en": "The publisher prints no overall rank: the number of A grades (best group).",
        "fr": "Pas de rang général publié : le nombre de notes A (meilleur groupe).",
    },
    "no_rank_published": {"en": "no rank published", "fr": "aucun rang publié"},
    "grades_title": {"en": "Performance groups", "fr": "Groupes de performance"},
    "sdg_title": {"en": "Score by SDG", "fr": "Score par ODD"},
    "compare_title": {"en": "Side by side", "fr": "Côte à côte"},
    "value": {"en": "Value", "fr": "Valeur"},
    "note": {"en": "Note", "fr": "Note"},
    "named": {"en": "named", "fr": "nommés"},
    "nominal_rank": {"en": "Nominal rank", "fr": "Rang nominal"},
    "median_rank": {"en": "Median rank", "fr": "Rang médian"},
    "interval": {"en": "{level}% interval", "fr": "Intervalle à {level}\u00a0%"},
    "uncertainty_title": {
        "en": "nominal rank and {level}% interval",
        "fr": "rang nominal et intervalle à {level}\u00a0%",
    },
    "draws": {"en": "draws", "fr": "tirages"},
    "seed": {"en": "seed", "fr": "graine"},
    "uncertainty_legend": {
        "en": "● nominal rank · | {level}% interval ({low}–{high}) · — median rank",
        "fr": "● rang nominal · | intervalle à {level}\u00a0% ({low}–{high}) · — rang médian",
    },
    "band_only": {
        "en": "band only: no rank published",
        "fr": "tranche seule\u00a0: aucun rang publié",
    },
    "band_only_legend": {
        "en": "dashed rule: band only (no rank published)",
        "fr": "trait pointillé\u00a0: tranche seule (aucun rang publié)",
    },
}


def word(key: str, lang: str) -> str:
    return WORDS[key][check_lang(lang)]


def colon(lang: str) -> str:
    """ ": " in English, " : " with a no-break space before the colon in French."""
    return f"{NBSP}: " if check_lang(lang) == "fr" else ": "


def field_subtitle(years: list[int], sizes: list[int], lang: str) -> str:
    """ "Field: 2020: 776 · 2021: 1,115" (French groups thousands with U+202F)."""
    parts = [
        f"{y}{colon(lang)}{format_int(int(n), lang)}" for y, n in zip(years, sizes, strict=True)
    ]
    return f"{word('field', lang)} " + " · ".join(parts)


def with_locale(chart: ChartT, lang: str) -> ChartT:
    """The chart with the number locale of ``lang`` (axes, tooltips), one font family for every
    word (:data:`FONT`: no fallback to a serif font for a glyph such as ◇ or ★) and legend
    swatches as opaque as the marks they stand for, in its config."""
    configured = chart.configure(
        locale=alt.Locale(number=NUMBER_LOCALES[check_lang(lang)]), font=FONT
    )
    return configured.configure_legend(
        symbolOpacity=1, labelFont=FONT, titleFont=FONT, labelLimit=0
    )


def system_name(methodology: Any, lang: str) -> str:
    """A system's name in ``lang`` from its methodology (``Classement THE Impact``), never its
    preset id."""
    header = methodology.methodology
    label = header.label_fr if check_lang(lang) == "fr" else header.label_en
    return str(label or header.label_en or header.system)


def producer_note(view: str, lang: str) -> str:
    """The producer view's label on every chart (positions computed by palmares), else ""."""
    if view != "producer":
        return ""
    from palmares.i18n import gettext

    return " - " + gettext(check_lang(lang), "computed by palmares (producer view)")


def wrap(text: str, width: int) -> str:
    """``text`` cut into lines of at most ``width`` characters at spaces (a longer word keeps
    its own line): a full name that fits its place, nothing cut away."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width, break_long_words=False)) or text
