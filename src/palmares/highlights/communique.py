"""A press-release draft (Markdown) built only from highlight facts, and its number checker.

The communiqué's headline is the most newsworthy fact across the chosen systems; a lead
paragraph gives the next ones; one section per system lists every fact, grouped (ranks and
movements, national and regional ranks, families or dimensions, SDGs, network, the ranking
itself); a footer names each edition, its field size and its methodology hash, and the data hash.
Optional charts (trajectory, grade sunburst, SDG profile) are written as PNG and embedded.

Number rule: every number token of the text is a number of its facts' ``values`` (digits inside
string values count: a band "301–400"), one of their editions, or part of a footer hash. Numbers
inside names (institutions, indicators, systems, networks) and link targets are not numbers of
the text. A sentence of :mod:`palmares.highlights.render` that states a derived number (a count
of a list, "tied with 121 others", a difference) is replaced by a phrasing of this module that
does not; a fact that cannot be phrased within the rule is left out and listed in ``omitted``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from palmares.highlights.facts import KINDS, Fact, facts
from palmares.highlights.render import MAX_NAMED, N_, Renderer
from palmares.io.safe_text import markdown_text
from palmares.lang import check_lang, decimal_mark

# -- numbers in text ------------------------------------------------------------------------------

_GROUPED_SPACE = r"\d{1,3}(?:[\u202f\u00a0\u2009]\d{3})+(?!\d)"
_GROUPED_COMMA = r"\d{1,3}(?:,\d{3})+(?![\d])"
#: Number patterns by the language's decimal mark.
_PATTERNS = {
    # French: U+202F (or U+00A0, U+2009) groups thousands; the comma is the decimal mark.
    ",": re.compile(rf"(?:{_GROUPED_SPACE}|\d+)(?:,\d+)?"),
    # English: the comma groups thousands; the point is the decimal mark.
    ".": re.compile(rf"(?:{_GROUPED_SPACE}|{_GROUPED_COMMA}|\d+)(?:\.\d+)?"),
    # Unknown: a comma followed by exactly three digits groups thousands, else it is decimal.
    "": re.compile(rf"(?:{_GROUPED_SPACE}|{_GROUPED_COMMA}|\d+)(?:[.,]\d+)?"),
}
_SEPARATORS = re.compile(r"[\u202f\u00a0\u2009]")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_MASK = "§"


@dataclass(frozen=True)
class NumberToken:
    """A number as written (``"1 115"``, ``"16"`` of ``"16e"``) and its unsigned value."""

    text: str
    value: Decimal
    decimals: int


def number_tokens(text: str, lang: str | None = None) -> list[NumberToken]:
    """Every number token of ``text`` (French or English formatting), in order."""
    mark = decimal_mark(lang) if lang else ""
    out = []
    for match in _PATTERNS[mark].finditer(text):
        token = match.group(0)
        plain = _SEPARATORS.sub("", token)
        if mark == ",":
            plain = plain.replace(",", ".")
        elif mark == ".":
            plain = plain.replace(",", "")
        else:
            plain = re.sub(r",(?=\d{3}(?!\d))", "", plain).replace(",", ".")
        frac = plain.partition(".")[2]
        out.append(NumberToken(token, Decimal(plain), len(frac)))
    return out


def numbers_in(text: str, lang: str | None = None) -> list[Decimal]:
    """The values of the number tokens of ``text``: ``"1 115"`` (U+202F) and ``"1,115"`` are
    1115, ``"16e"`` and ``"1<sup>re</sup>"`` 16 and 1, ``"301–400"`` 301 and 400, ``"17 %"`` 17.
    Tokens carry no sign (a hyphen is a dash or part of a word)."""
    return [t.value for t in number_tokens(text, lang)]


@dataclass
class Accounted:
    """The numbers a text may state: exact values, and floats a token may round."""

    exact: set[Decimal] = field(default_factory=set)
    floats: list[float] = field(default_factory=list)

    def add(self, value: Any) -> None:
        """Add every number in ``value``: numbers, digits in strings, mapping keys, nested."""
        if value is None or isinstance(value, bool):
            return
        if isinstance(value, Mapping):
            for key, item in value.items():
                self.add(key)
                self.add(item)
        elif isinstance(value, str):
            self.exact.update(numbers_in(value))
        elif isinstance(value, Iterable):
            for item in value:
                self.add(item)
        elif isinstance(value, int) or (hasattr(value, "is_integer") and float(value).is_integer()):
            self.exact.add(abs(Decimal(int(value))))
        elif isinstance(value, float) or hasattr(value, "__float__"):
            number = float(value)
            if math.isfinite(number):
                self.floats.append(abs(number))

    def accepts(self, token: NumberToken) -> bool:
        if token.value in self.exact:
            return True
        half = 0.5 * 10.0**-token.decimals + 1e-9
        return any(abs(v - float(token.value)) <= half for v in self.floats)


def accounted(found: Iterable[Fact]) -> Accounted:
    """The numbers of ``found``'s ``values`` and ``edition`` fields."""
    acc = Accounted()
    for fact in found:
        acc.add(fact.values)
        acc.exact.add(Decimal(int(fact.edition)))
    return acc


def _masked(text: str, names: Iterable[str], hashes: Iterable[str]) -> str:
    text = _LINK_TARGET.sub("]()", text)  # link targets are file names, not prose
    for secret in sorted({h for h in hashes if h}, key=len, reverse=True):
        text = text.replace(secret, _MASK)
    for name in sorted({n for n in names if n and re.search(r"\d", n)}, key=len, reverse=True):
        text = text.replace(name, _MASK)
    return text


def unaccounted_in(
    text: str,
    found: Iterable[Fact],
    *,
    names: Iterable[str] = (),
    hashes: Iterable[str] = (),
    lang: str | None = None,
) -> list[str]:
    """Number tokens of ``text`` that are not in ``found``'s values or editions (names, hashes
    and link targets are masked first)."""
    acc = accounted(found)
    return [t.text for t in number_tokens(_masked(text, names, hashes), lang) if not acc.accepts(t)]


# -- the communiqué -------------------------------------------------------------------------------

#: Section groups, in order: (key, title; the title is translated where it is shown).
GROUPS: tuple[tuple[str, str], ...] = (
    ("overall", N_("Overall ranking")),
    ("national", N_("Nationally and regionally")),
    ("nodes", N_("Families, dimensions and indicators")),
    ("sdg", N_("Sustainable Development Goals")),
    ("network", N_("Network")),
    ("ranking", N_("The ranking")),
)
_GROUP_OF: dict[str, str] = {
    "movement": "overall",
    "percentile": "overall",
    "band": "overall",
    "band_change": "overall",
    "band_stability": "overall",
    "top_n_change": "overall",
    "group_position": "overall",
    "trajectory": "overall",
    "participation": "overall",
    "national_rank": "national",
    "regional_rank": "national",
    "national_leader_change": "national",
    "strongest_families": "nodes",
    "grade_count": "nodes",
    "grade_count_change": "nodes",
    "indicator_changes": "nodes",
    "sdg_coverage": "sdg",
    "sdg_bands": "sdg",
    "sdg_national_firsts": "sdg",
    "network_summary": "network",
    "network_movement": "network",
    "network_entrant": "network",
}
LEAD_FACTS = 4


def group_of(fact: Fact) -> str:
    """The section group of a fact (unknown kinds go to "the ranking")."""
    if fact.kind == "rank":
        return "overall" if fact.values.get("node") is None else "nodes"
    if fact.kind == "top_n":
        return "overall" if fact.values.get("scope") == "world" else "national"
    return _GROUP_OF.get(fact.kind, "ranking")


@dataclass(frozen=True)
class ChartFile:
    """A chart written next to the communiqué: its kind, system, path and alt text."""

    kind: str
    system: str
    path: Path
    link: str
    alt: str


@dataclass(frozen=True)
class Section:
    """One system's facts and their sentences (Markdown, ``<sup>`` ordinals)."""

    system: str
    label: str
    edition: int
    facts: tuple[Fact, ...]
    texts: tuple[str, ...]
    omitted: tuple[Fact, ...]
    methodology_hash: str | None
    field_size: int | None
    charts: tuple[ChartFile, ...] = ()


@dataclass(frozen=True)
class Communique:
    """A press-release draft: ``markdown``, the headline fact, its sections and charts."""

    institution: str
    institution_name: str
    edition: int
    lang: str
    headline: Fact
    headline_text: str
    sections: tuple[Section, ...]
    markdown: str
    data_hash: str | None
    names: tuple[str, ...]

    @property
    def facts(self) -> list[Fact]:
        """Every fact the communiqué states."""
        return [f for s in self.sections for f in s.facts]

    @property
    def omitted(self) -> list[Fact]:
        """Facts left out: no phrasing within the number rule."""
        return [f for s in self.sections for f in s.omitted]

    @property
    def charts(self) -> list[ChartFile]:
        return [c for s in self.sections for c in s.charts]

    @property
    def hashes(self) -> list[str]:
        """The footer's hashes: each edition's methodology hash and the data hash."""
        found = [s.methodology_hash for s in self.sections] + [self.data_hash]
        return [h for h in found if h]

    def unaccounted(self) -> list[str]:
        """Number tokens of the Markdown outside the facts' values, editions and hashes."""
        return unaccounted_in(
            self.markdown, self.facts, names=self.names, hashes=self.hashes, lang=self.lang
        )

    def to_json(self, out: str | Path | None = None) -> dict[str, Any]:
        """The document ``palmares communique --json`` prints."""
        return {
            "out": None if out is None else str(out),
            "headline": self.headline_text,
            "facts": len(self.facts),
            "unaccounted": self.unaccounted(),
            "omitted": [f.kind for f in self.omitted],
            "charts": [str(c.path) for c in self.charts],
        }


def unaccounted_numbers(communique: Communique) -> list[str]:
    """Number tokens of the communiqué not found in its facts' values or editions, nor in the
    footer's hashes (empty when the draft respects the number rule)."""
    return communique.unaccounted()


# -- phrasing within the number rule -------------------------------------------------------------


class Phrasing(Renderer):
    """The highlights' sentences, with a rule-abiding phrasing for the kinds whose sentence
    states a derived number (and for lists the renderer would cut with "and N more")."""

    def sentence(self, fact: Fact) -> str | None:
        """The sentence for ``fact`` within the number rule, or None."""
        own = getattr(self, f"own_{fact.kind}", None)
        long_list = any(
            isinstance(v, list | tuple | Mapping) and len(v) > MAX_NAMED
            for v in fact.values.values()
        )
        if own is not None and long_list:
            return str(own(fact))
        try:
            text = self.render(fact)
        except (AttributeError, KeyError, TypeError, ValueError):
            text = None  # a kind the renderer does not phrase (yet)
        if text is not None and not self.unaccounted(text, fact):
            return text
        if own is None:
            return None
        text = str(own(fact))
        return None if self.unaccounted(text, fact) else text

    def unaccounted(self, text: str, fact: Fact) -> list[str]:
        return unaccounted_in(text, [fact], names=self.names_of([fact]), lang=self.lang)

    def names_of(self, found: Iterable[Fact]) -> list[str]:
        """Names the sentences of ``found`` may contain: the institutions, nodes, systems and
        networks their values refer to (numbers inside them are not numbers of the text)."""
        ids: set[str] = set()
        out: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, str):
                ids.add(value)
            elif isinstance(value, Mapping):
                for k, v in value.items():
                    walk(k)
                    walk(v)
            elif isinstance(value, list | tuple):
                for v in value:
                    walk(v)

        for fact in found:
            ids.update((fact.institution, fact.system))
            out.append(self.name(fact))
            walk(fact.values)
            if "network_name" in fact.values:
                out.append(str(fact.values["network_name"]))
        # Only real labels: a string value that is no node or institution id (a band "401–600",
        # a key "100") comes back unchanged and must stay a number of the text.
        out.extend(label for i in sorted(ids) if (label := self.labels.node(i)) != i)
        out.extend(label for i in sorted(ids) if (label := self.labels.institution(i)) != i)
        return [n for n in out if n and re.search(r"\d", n)]

    # -- own phrasings -------------------------------------------------------------------------

    def _scope_words(self, fact: Fact) -> str:
        """ " de sa région (Occitanie)", " en France", then " pour « Recherche »"."""
        v = fact.values
        where = ""
        if fact.kind == "regional_rank":
            where = " " + self.in_region(v["scope"])
        elif fact.kind == "national_rank":
            where = " " + self.in_country(v["scope"])
        if v.get("node"):
            label = self.quoted(self.labels.node(v["node"]))
            if not where:
                return " " + self._("in {node}", node=label)
            where += " " + self._("for {node}", node=label)
            if v.get("grade"):  # a national rank on a count of grades
                where += " " + self._("(number of {grade} grades)", grade=v["grade"])
        return where

    def own_rank(self, f: Fact) -> str:
        """A tie stated by its size ("122 à ce rang"), not by the others ("121 autres")."""
        v = f.values
        rank, tie, size = int(v["rank"]), int(v["tie_size"]), int(v["field_size"])
        where = self._scope_words(f)
        words = {
            "name": self.name(f),
            "rank": self.ord(rank, f.gender or self.gender(f)),
            "ranked": self.ranked(f, size),
            "where": where,
            "tie": self.n(tie),
            "tied": self.counted(f, tie),
            "where_open": where[:-1],
        }
        if tie <= 1:
            return self._("{name} is {rank} of the {ranked}{where}.", **words)
        if where.endswith(")"):  # one parenthesis: "(number of A grades; 36 share this rank)"
            return self._(
                "{name} is joint {rank} of the {ranked}{where_open}; {tie} share this rank).",
                **words,
            )
        return self._(
            "{name} is joint {rank} of the {ranked}{where} ({tie} share this rank).", **words
        )

    own_national_rank = own_rank
    own_regional_rank = own_rank

    def own_indicator_changes(self, f: Fact) -> str:
        v = f.values
        parts = []
        for key in ("improved", "declined"):
            names = [self.labels.node(i) for i in v[key]]
            if not names:
                continue
            # Beyond MAX_NAMED, the first ones "among others": the count of the rest is not in
            # the values.
            listed = ", ".join(names[:MAX_NAMED]) if len(names) > MAX_NAMED else self.join(names)
            if key == "improved" and len(names) > MAX_NAMED:
                parts.append(self._("improved in {list}, among others", list=listed))
            elif key == "improved":
                parts.append(self._("improved in {list}", list=listed))
            elif len(names) > MAX_NAMED:
                parts.append(self._("declined in {list}, among others", list=listed))
            else:
                parts.append(self._("declined in {list}", list=listed))
        return self._(
            "Since the previous edition, {name} {changes}.",
            name=self.name(f),
            changes=self.semicolons(parts),
        )

    def own_methodology_change(self, f: Fact) -> str:
        v = f.values
        added = [self.labels.node(i) for i in v["added"]]
        removed = [self.labels.node(i) for i in v["removed"]]
        parts = []
        if added:
            parts.append(
                self._n(
                    "a new indicator ({list})",
                    "new indicators ({list})",
                    len(added),
                    list=self.join(added, cut=False),
                )
            )
        if removed:
            parts.append(
                self._n(
                    "an indicator removed ({list})",
                    "indicators removed ({list})",
                    len(removed),
                    list=self.join(removed, cut=False),
                )
            )
        scale = self._scale_note(v)
        if scale:
            parts.append(self._p("communiqué", "a changed scale ({scale})", scale=scale))
        if not parts:
            parts.append(
                self._p(
                    "communiqué",
                    "a methodology changed since {previous}",
                    previous=v["previous_edition"],
                )
            )
        return self._(
            "{edition} edition: {changes}.", edition=f.edition, changes=self.semicolons(parts)
        )

    def own_methodology_structure(self, f: Fact) -> str:
        ids = list(f.values["names"])
        names = [self.labels.node(n) for n in ids]
        words = {
            "system": self.quoted(self.labels.node(f.system)),
            "listed": self._(": {list}", list=self.join(names)) if len(names) <= MAX_NAMED else "",
        }
        if all("sdg" in n for n in ids):
            return self._(
                "The indicators of {system} are grouped by Sustainable Development Goal{listed}.",
                **words,
            )
        return self._("The indicators of {system} are grouped in families{listed}.", **words)

    def own_network_movement(self, f: Fact) -> str:
        v = f.values
        net = str(v.get("network_name") or v["network"])
        parts = []
        for key in ("improved", "kept", "declined"):
            members = [self.labels.institution(i) for i in v[key]]
            if not members:
                continue
            if key == "improved":
                title = self._p("network members", "improved")
            elif key == "kept":
                title = self._n("kept their position", "kept their position", len(members))
            else:
                title = self._p("network members", "declined")
            parts.append(title + self._(": {list}", list=self.join(members, cut=False)))
        return self._(
            "{network} since {previous} — {members}.",
            network=self.network(net),
            previous=v["previous_edition"],
            members=self.semicolons(parts),
        )

    def own_grade_count_change(self, f: Fact) -> str:
        v = f.values
        cur = int(v["current"])
        return self._n(
            "{name} went from {previous} to {current} {grade} grade {where} since the previous "
            "edition.",
            "{name} went from {previous} to {current} {grade} grades {where} since the previous "
            "edition.",
            cur,
            name=self.name(f),
            previous=self.n(int(v["previous"])),
            current=self.n(cur),
            grade=v["grade"],
            where=self._in_dimension(f, v["dimension"]),
        )

    def own_sdg_national_firsts(self, f: Fact) -> str:
        sdgs = [str(s) for s in f.values["sdgs"]]
        return self._np(
            "no ordinal",
            "{name} is first in its country for SDG {list}.",
            "{name} is first in its country for SDGs {list}.",
            len(sdgs),
            name=self.name(f),
            list=self.join(sdgs, cut=False),
        )

    def own_sdg_bands(self, f: Fact) -> str:
        counts = sorted(f.values["counts_by_band"].items(), key=lambda kv: int(kv[0]))
        parts = [self._sdg_rung(i, rung, count) for i, (rung, count) in enumerate(counts)]
        return self._("{name} by SDG: {list}.", name=self.name(f), list=self.join(parts, cut=False))

    def own_strongest_families(self, f: Fact) -> str:
        names = [self.labels.node(n) for n in f.values["families"]]
        return self._(
            "{name} stands out in {list} (family rank better than or equal to the overall rank).",
            name=self.name(f),
            list=self.join(names, cut=False),
        )


# -- building it ----------------------------------------------------------------------------------


def _series_for(
    dataset: Any,
    institution: str,
    edition: int,
    systems: Sequence[Any] | None,
    view: str = "published",
) -> list[Any]:
    """One EditionSeries per chosen system, cut at ``edition`` (a 2023 draft shows no 2024).

    Default: every system of the bundle where ``institution`` is ranked in ``edition``. A system
    given explicitly must have the edition and rank the institution in it (else ValueError)."""
    from palmares.history import EditionSeries

    explicit = systems is not None
    out = []
    for system in systems if systems is not None else dataset.systems:
        try:
            full = EditionSeries(dataset, system)
        except (ValueError, KeyError, FileNotFoundError) as error:
            if explicit:
                raise ValueError(f"--system {system}: {error}") from None
            continue
        if edition not in full.years:
            if explicit:
                raise ValueError(f"{full.system} has no edition {edition}")
            continue
        series = EditionSeries(
            dataset,
            system,
            editions=[y for y in full.years if y <= edition],
            view=view,  # type: ignore[arg-type]
        )
        if not series.history(institution).row(edition)["ranked"]:
            if explicit:
                raise ValueError(f"{institution} is not ranked in {full.system} {edition}")
            continue
        out.append(series)
    return out


def _field_size(found: Sequence[Fact]) -> int | None:
    """The edition's field size as a fact states it (the field_size fact, else an overall one)."""
    for fact in found:
        if fact.kind == "field_size":
            return int(fact.values["count"])
    for fact in found:
        # a partial import: the field size is unknown (None), never stated
        if fact.values.get("node") is None and fact.values.get("field_size") is not None:
            return int(fact.values["field_size"])
    return None


def _of(name: str, p: Phrasing) -> str:
    """ "of X"; French elides before a vowel: "d'École des mines", "de Mines Paris"."""
    if name[:1].lower() in "aàâeéèêëiîïoôuùûyh":
        return p._p("of a name starting with a vowel", "of {name}", name=name)
    return p._p("of a name", "of {name}", name=name)


def _alt(kind: str, name: str, label: str, edition: int, p: Phrasing) -> str:
    words = {"of_name": _of(name, p), "system": p.quoted(label), "edition": edition}
    if kind == "trajectory":
        text = p._(
            "Rank {of_name} in each edition of {system}, up to the {edition} edition", **words
        )
    elif kind == "grades":
        text = p._(
            "Grades {of_name} by indicator and dimension, {system}, {edition} edition", **words
        )
    else:
        text = p._("Score and band {of_name} for each SDG, {system}, {edition} edition", **words)
    return text.replace("[", "(").replace("]", ")")


def _charts(
    series: Any, institution: str, edition: int, phrasing: Phrasing, folder: Path, prefix: str
) -> list[tuple[ChartFile, Any]]:
    """The institution's charts for one system (not yet written): its trajectory, and the grade
    sunburst (a graded system) or the SDG profile (a system of SDG tables) of ``edition``."""
    from palmares.charts import grades_chart, node_labels, sdg_chart, trajectory_chart

    lang = phrasing.lang
    name = phrasing.labels.institution(institution)
    label = phrasing.labels.node(series.system)
    built: list[tuple[str, Any]] = [
        ("trajectory", trajectory_chart(series, [institution], lang=lang, edition=edition))
    ]
    result = series.result(edition)
    if result is not None:
        labels = node_labels(series.dataset.indicators, lang)
        tree = result.tree
        if result.grades is not None:
            built.append(("grades", grades_chart(result, institution, labels, lang=lang)))
        elif any(re.search(r"sdg\d+$", n) for n in tree.children(tree.roots[0])):
            built.append(("sdg", sdg_chart(result, institution, labels, lang=lang)))
    out = []
    for kind, chart in built:
        file = f"{prefix}{series.system}-{kind}.png"
        alt = _alt(kind, name, label, edition, phrasing)
        out.append((ChartFile(kind, series.system, folder / file, quote(file), alt), chart))
    return out


def _key(fact: Fact, section: int, position: int) -> tuple[int, int, int, int]:
    order = KINDS.index(fact.kind) if fact.kind in KINDS else len(KINDS)
    return (-fact.priority, order, section, position)


def communique(
    dataset: Any,
    institution: str,
    edition: int,
    systems: Sequence[Any] | None = None,
    lang: str = "fr",
    charts_dir: str | Path | None = None,
    *,
    chart_prefix: str = "",
    force: bool = True,
    data_hash: str | None = None,
    html: bool = True,
    view: str = "published",
) -> Communique:
    """A press-release draft for ``institution`` in ``edition`` across ``systems`` (default:
    every system of the bundle ranking it in that edition).

    With ``charts_dir`` the charts are written there as PNG (``{chart_prefix}{system}-{kind}
    .png``, refused if one exists unless ``force``) and linked relative to that folder: write
    the Markdown into it. ``html`` sets ordinal suffixes in ``<sup>``. ``view``: the published
    view (default) or the producer view (computed positions inside bands)."""
    from palmares.io import data_hash as hash_of
    from palmares.io.atomic import atomic_path, check_target

    lang = check_lang(lang)
    ident = dataset.resolve(institution)
    chosen = _series_for(dataset, ident, int(edition), systems, view)
    if not chosen:
        raise ValueError(f"{ident} is not ranked in any system's {edition} edition")
    digest = data_hash if data_hash is not None else hash_of(dataset)
    phrasing = Phrasing(dataset, lang, html=html)
    _markdown_safe(phrasing.labels)
    plain = Phrasing(dataset, lang, html=False)
    sections: list[Section] = []
    pending: list[tuple[ChartFile, Any]] = []
    for series in chosen:
        found = facts(series, ident, int(edition), data_hash=digest)
        kept, texts, omitted = [], [], []
        for fact in found:
            text = phrasing.sentence(fact)
            if text is None:
                omitted.append(fact)
            else:
                kept.append(fact)
                texts.append(text)
        charts: list[tuple[ChartFile, Any]] = []
        if charts_dir is not None:
            charts = _charts(series, ident, int(edition), plain, Path(charts_dir), chart_prefix)
            pending.extend(charts)
        hashes = {f.methodology_hash for f in found if f.methodology_hash}
        sections.append(
            Section(
                system=series.system,
                label=phrasing.labels.node(series.system),
                edition=int(edition),
                facts=tuple(kept),
                texts=tuple(texts),
                omitted=tuple(omitted),
                methodology_hash=next(iter(sorted(hashes)), None),
                field_size=_field_size(kept),
                charts=tuple(c for c, _ in charts),
            )
        )
    everything = [
        (_key(f, i, k), f, t, s)
        for i, s in enumerate(sections)
        for k, (f, t) in enumerate(zip(s.facts, s.texts, strict=True))
    ]
    if not everything:
        raise ValueError(f"no fact about {ident} in {edition} can be stated")
    everything.sort(key=lambda item: item[0])
    _, top, top_text, top_section = everything[0]
    headline = phrasing._(
        "{system} {edition}: {headline}",
        system=top_section.label,
        edition=edition,
        headline=top_text.rstrip("."),
    )
    lead = [(f, t, s) for _, f, t, s in everything[1 : 1 + LEAD_FACTS]]
    name = phrasing.labels.institution(ident)
    names = [name, *(s.label for s in sections), *phrasing.names_of(f for _, f, _, _ in everything)]
    markdown = _markdown(headline, lead, sections, digest, phrasing)
    draft = Communique(
        institution=ident,
        institution_name=name,
        edition=int(edition),
        lang=lang,
        headline=top,
        headline_text=headline,
        sections=tuple(sections),
        markdown=markdown,
        data_hash=digest,
        names=tuple(dict.fromkeys(n for n in names if re.search(r"\d", n))),
    )
    if pending:
        # the charts (altair, vl-convert: 1-2 s and 40 MB) only when asked for
        from palmares.charts.render import render as render_chart

        if not force:
            for chart_file, _ in pending:
                check_target(chart_file.path, force=False)
        payloads = [(c.path, render_chart(chart, "png")) for c, chart in pending]
        for path, payload in payloads:
            with atomic_path(path, force=True) as temporary:
                temporary.write_bytes(payload)
    return draft


def _markdown_safe(labels: Any) -> None:
    """Names and labels escaped for the Markdown they land in (which carries HTML): a name
    such as ``<script>`` or ``[x](y)`` is shown as written, never run or linked."""
    labels._nodes = {k: markdown_text(v) for k, v in labels._nodes.items()}
    labels._inst = {k: markdown_text(v) for k, v in labels._inst.items()}


def _markdown(
    headline: str,
    lead: Sequence[tuple[Fact, str, Section]],
    sections: Sequence[Section],
    data_hash: str | None,
    p: Phrasing,
) -> str:
    lines = [f"# {headline}", ""]
    # Lead: the next most newsworthy facts, by system in the order they come.
    by_system: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    for _, text, section in lead:
        by_system.setdefault(section.system, []).append(text)
        titles[section.system] = f"{section.label} {section.edition}"
    lead_text = " ".join(f"**{titles[s]}.** " + " ".join(texts) for s, texts in by_system.items())
    if lead_text:
        lines += [lead_text, ""]
    for section in sections:
        lines += [f"## {_section_title(section, p)}", ""]
        for key, title in GROUPS:
            items = [
                t for f, t in zip(section.facts, section.texts, strict=True) if group_of(f) == key
            ]
            if items:
                lines += [f"### {p._(title)}", ""]
                lines += [f"- {t}" for t in items]
                lines.append("")
        for chart in section.charts:
            lines += [f"![{markdown_text(chart.alt)}]({chart.link})", ""]
    sources = p._("Sources")
    lines += ["---", "", f"**{sources}**", ""]
    for section in sections:
        lines.append(f"- {_source_line(section, p)}")
    if data_hash:
        quoted_hash = f"`{data_hash}`"
        lines.append("- " + p._("Data: {hash}.", hash=quoted_hash))
    note = p._(
        "Draft built from the facts palmares computed: every number in the text is in their "
        "values, their editions or these hashes."
    )
    lines += ["", f"*{note}*", ""]
    return "\n".join(lines)


def _section_title(section: Section, p: Phrasing) -> str:
    """ "U-Multirank, 2021 edition" ("U-Multirank, édition 2021")."""
    return p._("{system}, {edition} edition", system=section.label, edition=section.edition)


def _source_line(section: Section, p: Phrasing) -> str:
    parts = []
    if section.field_size is not None and section.facts:
        parts.append(p.ranked(section.facts[0], section.field_size))
    if section.methodology_hash:
        parts.append(p._("methodology {hash}", hash=f"`{section.methodology_hash}`"))
    head = _section_title(section, p)
    if not parts:
        return head + "."
    return p._("{source}: {details}.", source=head, details=p.semicolons(parts))


def write_communique(draft: Communique, path: str | Path, *, force: bool = False) -> Path:
    """Write the Markdown atomically; refuse an existing file unless ``force``."""
    from palmares.io.atomic import atomic_path

    target = Path(path)
    with atomic_path(target, force=force) as temporary:
        temporary.write_text(draft.markdown, encoding="utf-8")
    return target
