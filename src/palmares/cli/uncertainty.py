"""``palmares uncertainty`` (rank intervals, contracts section 8) and ``palmares sensitivity``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from palmares.cli.app import app, err, print_json, print_table
from palmares.cli.names import methodology_name, node_labels
from palmares.cli.options import LangOption, TopOption, method_ref
from palmares.cli.rank import (
    DataOption,
    EditionOption,
    JsonOption,
    MethodOption,
    SystemOption,
    edition_of,
    parse_edition,
)
from palmares.cli.source import data_path
from palmares.i18n import gettext, ngettext
from palmares.lang import format_decimal, format_int, format_percent, format_significant
from palmares.problems import UsageProblem
from palmares.translatable import reason, tr

if TYPE_CHECKING:
    from palmares.uncertainty.spec import LoadedSpec

SpecOption = Annotated[
    Path | None, typer.Option("--spec", help="Uncertainty spec TOML (default: Dirichlet weights).")
]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed of every random draw.")]


def loaded_spec(path: Path | None) -> LoadedSpec:
    from palmares.uncertainty.spec import LoadedSpec, SpecSource, UncertaintySpec, load_spec

    return load_spec(path) if path is not None else LoadedSpec(UncertaintySpec(), SpecSource())


@app.command()
def uncertainty(
    data: DataOption = None,
    method: MethodOption = None,
    system: SystemOption = None,
    edition: EditionOption = "",
    draws: Annotated[int, typer.Option("--draws", help="Number of Monte Carlo draws.")] = 1000,
    seed: SeedOption = 0,
    spec: SpecOption = None,
    previous_edition: Annotated[
        str | None,
        typer.Option("--previous-edition", help="Edition to compare moves with (paired draws)."),
    ] = None,
    top_k: Annotated[
        int | None, typer.Option("--top-k", help="K of P(top K) (default: the spec's).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Start a local Dask cluster of N workers.")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Use a Dask scheduler (tcp://HOST:PORT).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the table and rank histogram (.parquet).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out.")] = False,
    top: TopOption = None,
    lang: LangOption = "",
    as_json: JsonOption = False,
) -> None:
    """Rank intervals under perturbed weights and method choices (Monte Carlo)."""
    import palmares
    from palmares.uncertainty import uncertainty as run_uncertainty
    from palmares.uncertainty.monte_carlo import stderr_progress
    from palmares.uncertainty.replay import ReplayUnsupported

    if draws < 1:
        raise UsageProblem(tr("--draws {draws}: give a number of draws of at least 1", draws=draws))
    if workers is not None and scheduler is not None:
        raise UsageProblem(tr("give --workers N or --scheduler ADDR, not both"))
    if scheduler is not None and not re.fullmatch(r"(?:[a-z]+://)?[^:/\s]+:\d{1,5}", scheduler):
        raise UsageProblem(
            tr(
                "--scheduler {scheduler!r}: give an address such as tcp://HOST:PORT",
                scheduler=scheduler,
            )
        )
    if workers is not None and workers < 1:
        raise UsageProblem(tr("--workers must be >= 1"))
    if top_k is not None and top_k < 1:
        raise UsageProblem(tr("--top-k must be >= 1"))
    if out is not None and out.suffix.lower() != ".parquet":
        raise UsageProblem(tr("--out {out}: the output is a .parquet file", out=out))
    if out is not None and out.exists() and not force:
        raise UsageProblem(tr("{out} exists; pass --force to replace it", out=out))
    if edition:
        parse_edition(edition)  # a malformed year is refused before the data is read
    previous = parse_edition(previous_edition) if previous_edition else None
    loaded = loaded_spec(spec)
    dataset = palmares.load(data_path(data))
    year = edition_of(edition, dataset, method_ref(method, system))
    kept, key = _kept_run(
        dataset, method_ref(method, system), year, loaded, top_k, previous, draws, seed
    )
    done = None
    if kept is None:
        try:
            done = run_uncertainty(
                dataset,
                method_ref(method, system),
                year,
                draws,
                seed=seed,
                spec=loaded,
                previous_edition=previous,
                top_k=top_k,
                workers=workers,
                scheduler=scheduler,
                progress=stderr_progress,
            )
        except ReplayUnsupported as error:
            raise UsageProblem(
                tr("uncertainty cannot replay this methodology: {reason}", reason=reason(error))
            ) from error
    if key is not None:
        kept = _keep(dataset, key, draws, seed, done, kept)
    if out is not None:
        if done is not None:
            done.write(out, force=force)
        elif kept is not None:
            from palmares.uncertainty.kept import write_kept

            write_kept(kept, out, force=force)
    document = done.to_json() if done is not None else dict(kept.document)
    if document["methodology_changed"]:
        err(
            f"warning: the methodology changed between {previous} and {year}: "
            "moves mix data and method changes"
        )
    if as_json:
        if top is not None:  # the first N institutions by nominal rank, as the table shows
            document["results"] = document["results"][:top]
        if key is not None:  # read from a store: say whether the run was kept (section 9)
            document["cached"] = done is None
        print_json(document)
        return
    if done is not None:
        frame = done.frame()
        q_low, q_high = done.spec.quantiles
        shown_system = done.nominal.system
    else:
        frame = kept.intervals().frame
        q_low, q_high = document["quantiles"]
        shown_system = key.system
    columns = ["nominal_rank", "name", "median_rank", "q05", "q95", "p_top_k", "p_same_band"]
    if previous is not None:
        columns.append("p_move_real")
    caption = gettext(
        lang,
        "{draws}, seed {seed}; q{low}-q{high} interval; mean absolute rank shift {shift}",
        draws=ngettext(lang, "{count} draw", "{count} draws", draws, count=format_int(draws, lang)),
        seed=seed,
        low=format_significant(q_low * 100, lang),
        high=format_significant(q_high * 100, lang),
        shift=format_decimal(float(document["mean_abs_rank_shift"]), lang, 2),
    )
    system = (
        methodology_name(done.nominal.methodology, lang, done.nominal.system)
        if done is not None
        else shown_system
    )
    title = gettext(lang, "{system} {edition}: rank uncertainty", system=system, edition=year)
    k = top_k if top_k is not None else (done.spec.top_k if done is not None else document["top_k"])
    headers = {
        "nominal_rank": gettext(lang, "Rank"),
        "name": gettext(lang, "Institution"),
        "median_rank": gettext(lang, "Median rank"),
        "q05": f"q{format_significant(q_low * 100, lang)}",
        "q95": f"q{format_significant(q_high * 100, lang)}",
        "p_top_k": gettext(lang, "P(top {k})", k=k),
        "p_same_band": gettext(lang, "P(same band)"),
        "p_move_real": gettext(lang, "P(the move is real)"),
    }
    print_table(frame[columns].head(top or 50).rename(columns=headers), title, caption, lang=lang)


def _kept_run(
    dataset: Any,
    method: Any,
    year: int,
    loaded: LoadedSpec,
    top_k: int | None,
    previous: int | None,
    draws: int,
    seed: int,
) -> tuple[Any, Any]:
    """(the run the store keeps for these arguments or None, its key); (None, None) when the
    data is not read from a store (or the methodology cannot be run: the engine says why)."""
    from palmares.result_store import store_of

    url = store_of(dataset)
    if url is None:
        return None, None
    from palmares.uncertainty.kept import read_kept, run_key

    the_spec = loaded.spec
    if top_k is not None:
        the_spec = the_spec.model_copy(update={"top_k": top_k})
    try:
        key = run_key(dataset, method, year, the_spec, previous)
    except Exception:  # said in the engine's own words when the run is attempted
        return None, None
    return read_kept(url, key, draws=draws, seed=seed), key


def _keep(dataset: Any, key: Any, draws: int, seed: int, done: Any, kept: Any) -> Any:
    """Keep a computed run in the store (once); the kept run (None if it could not be)."""
    from palmares.result_store import store_of
    from palmares.uncertainty.kept import KeptRun, keep, run_bytes

    if done is None:
        return kept
    from palmares.jsonsafe import json_safe

    fresh = KeptRun(json_safe(done.to_json()), run_bytes(done))
    url = store_of(dataset)
    if url is not None and not keep(
        url, key, draws=draws, seed=seed, document=fresh.document, parquet=fresh.parquet
    ):
        err("note: the uncertainty result was not kept in the store (it is busy)")
    return fresh


@app.command()
def sensitivity(
    institution: Annotated[
        str | None,
        typer.Argument(help="Analyse one institution's rank (default: the mean rank shift)."),
    ] = None,
    data: DataOption = None,
    method: MethodOption = None,
    system: SystemOption = None,
    edition: EditionOption = "",
    samples: Annotated[
        int, typer.Option("--samples", help="Saltelli base samples N (a power of 2).")
    ] = 256,
    seed: SeedOption = 0,
    spec: SpecOption = None,
    institution_option: Annotated[
        str | None,
        typer.Option("--institution", hidden=True, help="Old spelling of INSTITUTION."),
    ] = None,
    lang: LangOption = "",
    as_json: JsonOption = False,
) -> None:
    """First-order and total Sobol indices of ranks, with bootstrap intervals (SALib)."""
    import palmares
    from palmares.uncertainty.replay import ReplayUnsupported
    from palmares.uncertainty.sensitivity import NothingVaries
    from palmares.uncertainty.sensitivity import sensitivity as run_sensitivity

    if edition:
        parse_edition(edition)  # a malformed year is refused before the data is read
    if samples < 2 or samples & (samples - 1):
        raise UsageProblem(tr("--samples must be a power of 2 (>= 2)"))
    dataset = palmares.load(data_path(data))
    if institution and institution_option and institution != institution_option:
        raise UsageProblem(tr("give INSTITUTION or its old spelling --institution, not both"))
    institution = institution or institution_option
    who = dataset.resolve(institution) if institution else None
    try:
        found = run_sensitivity(
            dataset,
            method_ref(method, system),
            edition_of(edition, dataset, method_ref(method, system)),
            samples,
            seed=seed,
            spec=loaded_spec(spec),
            institution=who,
        )
    except (ReplayUnsupported, NothingVaries) as error:
        raise UsageProblem(tr("sensitivity: {reason}", reason=reason(error))) from error
    if as_json:
        print_json(found.to_json())
        return
    frame = found.to_frame()
    labels = node_labels(dataset, lang)

    def factor(name: str) -> str:
        kind, _, node = name.partition(":")
        if kind == "weight":
            return gettext(lang, "weight of “{node}”", node=labels.get(node, node))
        return name

    frame["factor"] = frame["factor"].map(factor)
    if found.output.startswith("rank:"):
        ident = found.output.partition(":")[2]
        names = dataset.institutions.set_index("id")["name"]
        title = gettext(lang, "Sobol indices of the rank of {name}", name=names.get(ident, ident))
    else:
        title = gettext(lang, "Sobol indices of the mean absolute rank shift")
    headers = {
        "factor": gettext(lang, "Factor"),
        "first": gettext(lang, "First order"),
        "first_low": gettext(lang, "First order, low"),
        "first_high": gettext(lang, "First order, high"),
        "total": gettext(lang, "Total"),
        "total_low": gettext(lang, "Total, low"),
        "total_high": gettext(lang, "Total, high"),
        "interaction": gettext(lang, "Interaction"),
    }
    print_table(
        frame.rename(columns=headers),
        title,
        gettext(
            lang,
            "{runs} (N = {samples}), seed {seed}; intervals are bootstrap {level}",
            runs=ngettext(
                lang, "{count} run", "{count} runs", found.runs, count=format_int(found.runs, lang)
            ),
            samples=format_int(samples, lang),
            seed=seed,
            level=format_percent(95, lang),
        ),
        lang=lang,
    )
