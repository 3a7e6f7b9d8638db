"""What the demo runs on its world after writing it: palmares at work on the latest edition."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from palmares.dataset import Dataset
from palmares.engine import run
from palmares.examples import example_path
from palmares.methodology import load_methodology
from palmares.result import Result

#: The example methodology the demo ranks with, and the system it applies to.
EXAMPLE = "umr-composite"
EXAMPLE_SYSTEM = "u-multirank"


def rank_latest(ds: Dataset, *, seed: int = 0) -> Result:
    """The demo world's latest U-Multirank edition ranked with the bundled example composite."""
    year = max(ds.edition_years(EXAMPLE_SYSTEM))
    return run(ds, load_methodology(example_path(EXAMPLE)), year, seed=seed)


def top_rows(result: Result, k: int = 10, lang: str = "en") -> list[dict[str, Any]]:
    """The first ``k`` rows of the table: rank as displayed, institution, country, score."""
    frame = result.to_frame(lang, nodes=False).head(k)
    columns = ["rank_display", "institution", "name", "country", "score"]
    records = frame[columns].rename(columns={"rank_display": "rank"}).to_dict(orient="records")
    return [{str(key): value for key, value in record.items()} for record in records]


#: The three systems of the seeds, shown side by side.
SEED_SYSTEMS = ("u-multirank", "letudiant", "the-impact")
NETWORK = "reseau-mines"


def latest_common_edition(ds: Dataset, systems: tuple[str, ...] = SEED_SYSTEMS) -> int:
    """The latest edition year every one of ``systems`` has in the dataset."""
    common = set.intersection(*(set(ds.edition_years(s)) for s in systems))
    if not common:
        raise LookupError(f"no edition common to {', '.join(systems)}")
    return max(common)


def side_by_side(ds: Dataset, *, seed: int = 0, k: int = 5, lang: str = "en") -> dict[str, Any]:
    """The three seed systems in their latest common edition, for ``k`` institutions present in
    all three (the Réseau Mines schools first, then by id): A counts per U-Multirank dimension
    with the national standing on the total, palmarès points, rank and group, THE Impact rank or
    band, national rank and SDG coverage."""
    year = latest_common_edition(ds)
    results = {system: run(ds, system, year, seed=seed) for system in SEED_SYSTEMS}
    umr, pal, imp = (results[s] for s in SEED_SYSTEMS)
    present = set.intersection(*(set(r.institutions) for r in results.values()))
    network = ds.networks
    members = network.loc[network["network"] == showcase_network(ds), "institution"].tolist()
    chosen = [i for i in members if i in present]
    chosen += sorted(i for i in present if i not in chosen)
    chosen = chosen[:k]
    dims = list(umr.tree.children(umr.tree.roots[0]))
    sdgs = list(imp.tree.children(imp.tree.roots[0]))
    sdg_ranked = {s: imp.node_table(s).rank for s in sdgs}
    umr_display = umr.ranking.display(lang, umr.attributes.get("gender"))
    umr_national = umr.subset_ranks("country")
    pal_display = pal.ranking.display(lang, pal.attributes.get("gender"))
    imp_display = imp.ranking.display(lang)
    imp_bands = imp.ranking.bands()
    imp_national = imp.subset_ranks("country")
    rows = []
    for inst in chosen:
        u, p, t = umr.position(inst), pal.position(inst), imp.position(inst)
        counts = umr.grade_counts
        a_counts = (
            {}
            if counts is None
            else {d.rsplit(".", 1)[-1]: int(counts[u, umr.tree.index(d), 0]) for d in dims}
        )
        ranked_in = [s for s in sdgs if sdg_ranked[s][t] > 0]
        rows.append(
            {
                "institution": inst,
                "name": umr.names[u],
                "u-multirank": {
                    "A": a_counts,
                    "A_total": int(sum(a_counts.values())),
                    "rank": umr_display[u],
                    "tie_size": int(umr.ranking.tie_size[u]),
                    "national_rank": int(umr_national[u]),
                },
                "letudiant": {
                    "points": None if math.isnan(pal.score[p]) else int(pal.score[p]),
                    "rank": pal_display[p],
                    "group": pal.ranking.group[p],
                },
                "the-impact": {
                    "rank": imp_display[t],
                    "band": imp_bands[t] or imp_display[t],
                    "national_rank": int(imp_national[t]),
                    "sdgs_ranked": len(ranked_in),
                    "sdgs": len(sdgs),
                },
            }
        )
    return {
        "edition": year,
        "field_sizes": {s: r.field_size for s, r in results.items()},
        "submitters": {"the-impact": imp.submitters},
        "methodology_hashes": {s: r.methodology_hash for s, r in results.items()},
        "institutions": rows,
    }


#: The demo institution whose highlights the demo prints (fixed for every seed).
DEMO_INSTITUTION = "fr-mines-rodez"
SEEDS_INSTITUTION = "imt-mines-ales"
SEEDS_NETWORK = "imt"
HIGHLIGHTS_SYSTEM = "letudiant"


def showcase_institution(ds: Dataset) -> str:
    """The institution the demo shows: the demo world's Rodez, the seed world's IMT Mines Alès."""
    ids = set(ds.institutions["id"])
    return DEMO_INSTITUTION if DEMO_INSTITUTION in ids else SEEDS_INSTITUTION


def showcase_network(ds: Dataset) -> str:
    return NETWORK if (ds.networks["network"] == NETWORK).any() else SEEDS_NETWORK


def demo_highlights(ds: Dataset, *, lang: str = "fr", limit: int = 8) -> dict[str, Any]:
    """The most newsworthy facts of the demo institution in the latest L'Étudiant edition."""
    from palmares.highlights import facts, render_all
    from palmares.history import EditionSeries

    year = max(ds.edition_years(HIGHLIGHTS_SYSTEM))
    series = EditionSeries(ds, HIGHLIGHTS_SYSTEM)
    institution = showcase_institution(ds)
    found = facts(series, institution, year)[:limit]
    texts = render_all(found, ds, lang)
    methodology = series.methodology(year)
    header = None if methodology is None else methodology.methodology
    system_name = HIGHLIGHTS_SYSTEM
    if header is not None:
        system_name = (header.label_fr if lang == "fr" else None) or header.label_en
    names = ds.institutions.set_index("id")["name"]
    return {
        "institution": institution,
        "institution_name": str(names.get(institution, institution)),
        "system": HIGHLIGHTS_SYSTEM,
        "system_name": system_name,
        "edition": year,
        "lang": lang,
        "facts": [f.to_json(lang, t) for f, t in zip(found, texts, strict=True)],
    }


def demo_charts(ds: Dataset, out: Path, *, lang: str = "fr") -> list[Path]:
    """The demo institution's charts, written as PNG into ``out/charts``: its L'Étudiant
    trajectory and its latest U-Multirank grade sunburst."""
    from palmares.charts import grades_chart, node_labels, save_chart, trajectory_chart
    from palmares.history import EditionSeries

    folder = out / "charts"
    folder.mkdir(exist_ok=True)
    written = []
    institution = showcase_institution(ds)
    trajectory = trajectory_chart(EditionSeries(ds, HIGHLIGHTS_SYSTEM), [institution], lang=lang)
    written.append(
        save_chart(trajectory, folder / f"trajectory-{HIGHLIGHTS_SYSTEM}.png", force=True)
    )
    year = max(ds.edition_years(EXAMPLE_SYSTEM))
    result = run(ds, EXAMPLE_SYSTEM, year)
    sunburst = grades_chart(result, institution, node_labels(ds.indicators, lang), lang=lang)
    written.append(save_chart(sunburst, folder / f"grades-{EXAMPLE_SYSTEM}-{year}.png", force=True))
    return written
