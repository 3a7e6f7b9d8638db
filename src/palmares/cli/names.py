"""Names people read in place of ids: a system's name, a node's label, a country's name, in the
chosen language (never a preset id or a node id where a name exists)."""

from __future__ import annotations

from typing import Any


def methodology_name(methodology: Any, lang: str, fallback: str) -> str:
    """The system's name in ``lang`` from a methodology ("Classement THE Impact"), else
    ``fallback`` (its preset id) when the methodology names nothing."""
    header = getattr(methodology, "methodology", None)
    if header is None:
        return fallback
    label = header.label_fr if lang == "fr" else header.label_en
    return str(label or header.label_en or fallback)


def system_name(series: Any, lang: str) -> str:
    """The name of an edition series' system, as its latest methodology gives it."""
    years = sorted(series.years)
    methodology = series.methodology(years[-1]) if years else None
    return methodology_name(methodology, lang, str(series.system))


def node_labels(dataset: Any, lang: str) -> dict[str, str]:
    """Node id -> its label in ``lang`` (English when the language has none)."""
    indicators = dataset.indicators
    out: dict[str, str] = {}
    for column in ("label_en", f"label_{lang}"):  # the language's own label wins
        if column in indicators:
            for node, label in zip(indicators["id"], indicators[column], strict=True):
                if isinstance(label, str) and label:
                    out[str(node)] = label
    return out
