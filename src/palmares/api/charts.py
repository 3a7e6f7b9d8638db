"""Charts over HTTP: the library's chart functions rendered as SVG, PNG or a Vega-Lite spec."""

from __future__ import annotations

import json
from typing import Any

from palmares.api.errors import ApiError, bad_request
from palmares.translatable import reason, tr, tr_n

KINDS = ("trajectory", "grades", "sdg", "compare", "uncertainty")
FORMATS = {"svg": "image/svg+xml", "png": "image/png", "vega": "application/json"}


def chart_bytes(
    ctx: Any,
    kind: str,
    institutions: str | None,
    system: str,
    edition: int | str | None,
    lang: str,
    fmt: str,
) -> tuple[bytes, str]:
    """``ctx`` is the :class:`palmares.api.context.ServiceContext` that calls this (typed
    loosely: naming it here would make the two modules import one another)."""
    from palmares.charts.render import render
    from palmares.charts.text import node_labels

    if kind not in KINDS:
        said = tr("unknown chart {kind!r}: one of {kinds}", kind=kind, kinds=", ".join(KINDS))
        raise ApiError(404, said)
    if fmt not in FORMATS:
        raise bad_request("format", tr("{format!r}: expected svg, png or vega", format=fmt), fmt)
    ids = ctx.resolve_many(institutions)
    system = ctx.check_system(system)
    series = ctx.series(system)
    labels = node_labels(ctx.dataset.indicators, lang)
    chart: Any
    try:
        with ctx.snapshot.lock:
            if kind == "trajectory":
                from palmares.charts.trajectory import trajectory_chart

                chart = trajectory_chart(series, ids, lang=lang)
            else:
                year = ctx.check_edition(system, edition)
                result = ctx.result(system, year)
                if kind == "grades":
                    from palmares.charts.grades import grades_chart

                    chart = grades_chart(result, _one(ids), labels, lang=lang)
                elif kind == "sdg":
                    from palmares.charts.sdg import sdg_chart

                    chart = sdg_chart(result, _one(ids), labels, lang=lang)
                elif kind == "compare":
                    from palmares.charts.compare import compare_chart

                    chart = compare_chart(result, ids, labels, lang=lang)
                else:
                    chart = _uncertainty(ctx, system, year, ids, lang, result)
    except (ValueError, LookupError, KeyError) as error:
        raise ApiError(422, reason(error)) from None
    spec = chart if isinstance(chart, dict) else chart.to_dict()
    if fmt == "vega":
        return json.dumps(spec, ensure_ascii=False).encode("utf-8"), FORMATS[fmt]
    return render(spec, fmt), FORMATS[fmt]


def _one(ids: list[str]) -> str:
    if len(ids) != 1:
        said = tr_n(
            "this chart shows one institution, got {n}",
            "this chart shows one institution, got {n}",
            len(ids),
        )
        raise bad_request("institutions", said)
    return ids[0]


def _uncertainty(
    ctx: Any, system: str, year: int, ids: list[str], lang: str, nominal: Any = None
) -> Any:
    """The uncertainty chart needs a finished uncertainty job of that edition; ``nominal``
    (the edition's Result) gives the published band beside each interval."""
    from palmares.charts.uncertainty import uncertainty_chart

    jobs = ctx.jobs
    found = None if jobs is None else jobs.latest_result("uncertainty", system, year)
    if found is None:
        raise ApiError(
            404,
            tr(
                "no uncertainty result for {system} {year}: "
                "POST /api/v1/jobs/uncertainty first, then ask again",
                system=system,
                year=year,
            ),
        )
    return uncertainty_chart(found, ids, lang=lang, nominal=nominal)
