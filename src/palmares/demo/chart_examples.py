"""The example charts of ``docs/examples/`` (``make examples``): what they draw, in one place, so
that the layout test (``tests/charts/test_layout.py``) checks exactly the charts the docs show.

    python -m palmares.demo.chart_examples docs/examples [--draws 1000]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from palmares.dataset import Dataset

#: The seed world's schools the examples follow (``palmares demo --world seeds``).
ALES, ATLANTIQUE, SAINT_ETIENNE = "imt-mines-ales", "imt-atlantique", "mines-saint-etienne"
#: The communiqué whose charts are examples too (its text is checked in tests/highlights).
COMMUNIQUE = (ALES, 2023)
#: Every example chart's file stem (``docs/examples/{stem}.png``).
STEMS = (
    "trajectory-the-impact-fr",
    "trajectory-u-multirank-en",
    "grades-u-multirank-2021-fr",
    "sdg-the-impact-2021-en",
    "compare-u-multirank-2021-fr",
    *(
        f"communique-imt-mines-ales-2023-{lang}-{kind}"
        for lang in ("fr", "en")
        for kind in ("letudiant-trajectory", "the-impact-trajectory", "the-impact-sdg")
    ),
    "uncertainty-umr-composite-2022-fr",
)


def example_charts(
    seeds: Dataset, demo: Dataset | None = None, *, draws: int = 1000
) -> dict[str, Callable[[], Any]]:
    """File stem -> a function drawing that example chart (an Altair chart). ``seeds`` is the
    seed world (seed 0); ``demo`` the demo world (seed 0) for the uncertainty example."""
    from palmares.charts import compare_chart, grades_chart, sdg_chart, trajectory_chart
    from palmares.charts.text import node_labels
    from palmares.history import EditionSeries

    def series(system: str) -> EditionSeries:
        return EditionSeries(seeds, system)

    def computed(system: str, edition: int) -> Any:
        found = series(system).result(edition)
        if found is None:
            raise ValueError(f"no computed {system} {edition} in the seed world")
        return found

    def trajectory() -> Any:
        return trajectory_chart(
            series("the-impact"), [ALES, ATLANTIQUE, SAINT_ETIENNE], lang="fr", edition=2024
        )

    def a_counts() -> Any:
        # U-Multirank prints no overall rank: the trajectory of A counts
        return trajectory_chart(
            series("u-multirank"), [ALES, ATLANTIQUE, SAINT_ETIENNE], lang="en", edition=2022
        )

    def grades() -> Any:
        result = computed("u-multirank", 2021)
        return grades_chart(result, ALES, node_labels(seeds.indicators, "fr"), lang="fr")

    def sdg() -> Any:
        result = computed("the-impact", 2021)
        return sdg_chart(result, ALES, node_labels(seeds.indicators, "en"), lang="en")

    def compare() -> Any:
        result = computed("u-multirank", 2021)
        labels = node_labels(seeds.indicators, "fr")
        return compare_chart(result, [ALES, ATLANTIQUE, SAINT_ETIENNE], labels, lang="fr")

    def communique_chart(system: str, kind: str, lang: str) -> Callable[[], Any]:
        def draw() -> Any:
            institution, edition = COMMUNIQUE
            chosen = series(system)
            if kind == "trajectory":
                return trajectory_chart(chosen, [institution], lang=lang, edition=edition)
            labels = node_labels(seeds.indicators, lang)
            return sdg_chart(computed(system, edition), institution, labels, lang=lang)

        return draw

    charts: dict[str, Callable[[], Any]] = {
        "trajectory-the-impact-fr": trajectory,
        "trajectory-u-multirank-en": a_counts,
        "grades-u-multirank-2021-fr": grades,
        "sdg-the-impact-2021-en": sdg,
        "compare-u-multirank-2021-fr": compare,
    }
    for lang in ("fr", "en"):
        stem = f"communique-imt-mines-ales-2023-{lang}"
        charts[f"{stem}-letudiant-trajectory"] = communique_chart("letudiant", "trajectory", lang)
        charts[f"{stem}-the-impact-trajectory"] = communique_chart("the-impact", "trajectory", lang)
        charts[f"{stem}-the-impact-sdg"] = communique_chart("the-impact", "sdg", lang)
    if demo is not None:
        charts["uncertainty-umr-composite-2022-fr"] = lambda: _uncertainty(demo, draws)
    return charts


def _uncertainty(demo: Dataset, draws: int) -> Any:
    import dataclasses

    from palmares.charts.text import system_name
    from palmares.charts.uncertainty import uncertainty_chart
    from palmares.examples import example_path
    from palmares.uncertainty import uncertainty
    from palmares.uncertainty.intervals import intervals_of

    done = uncertainty(demo, str(example_path("umr-composite")), 2022, draws, seed=0)
    label = system_name(done.nominal.methodology, "fr")
    found = dataclasses.replace(intervals_of(done), system=label)
    named = ["fr-mines-rodez", "fr-mines-niort"]
    return uncertainty_chart(found, named, top=15, lang="fr", nominal=done.nominal)


def main(argv: list[str] | None = None) -> None:
    """Write every example chart as PNG (and SVG with ``--svg``) into the folder given."""
    from palmares.charts.render import save_chart
    from palmares.demo import generate
    from palmares.demo.seeds import generate_seeds

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--svg", action="store_true", help="also write each chart as SVG")
    parser.add_argument("--only", default="", help="only the stems containing this text")
    parser.add_argument("--seeds", type=Path, help="the seed world's bundle (else generated)")
    parser.add_argument("--demo", type=Path, help="the demo world's bundle (else generated)")
    args = parser.parse_args(argv)
    import palmares

    seeds = palmares.load(args.seeds) if args.seeds else generate_seeds(0)
    demo = palmares.load(args.demo) if args.demo else generate(0)
    charts = example_charts(seeds, demo, draws=args.draws)
    for stem, draw in charts.items():
        if args.only not in stem:
            continue
        chart = draw()
        print(save_chart(chart, args.folder / f"{stem}.png", force=True))
        if args.svg:
            print(save_chart(chart, args.folder / f"{stem}.svg", force=True))


if __name__ == "__main__":
    main()
