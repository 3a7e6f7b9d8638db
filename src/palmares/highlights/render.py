"""Sentences for highlight facts, every word from the gettext catalogue (:mod:`palmares.i18n`).

Message ids are English; French (and any language added as a catalogue) translates them. Words
that agree with a noun (French "classés"/"classées", "le 1er établissement"/"la 1re école") are
looked up under the noun's context (``institution``, ``school``); ordinals agree with the
institution's grammatical gender (``gender`` attribute) or the noun's, as the catalogue states it
(:func:`palmares.i18n.gender`). Numbers and ordinals go through :mod:`palmares.lang`; ``html=True``
sets ordinal suffixes in ``<sup>``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from palmares import i18n
from palmares.highlights.facts import Fact
from palmares.lang import (
    check_lang,
    count_words,
    format_decimal,
    format_int,
    format_percent,
    ordinal,
    rank_label,
)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue; it is translated where it is used."""
    return message


#: Countries whose name takes an article or another preposition: "in the United States" / "aux
#: États-Unis". Other countries read "in {country}" with the CLDR name ("en Allemagne").
IN_COUNTRY: dict[str, str] = {
    "GB": N_("in the United Kingdom"),
    "US": N_("in the United States"),
    "NL": N_("in the Netherlands"),
    "AE": N_("in the United Arab Emirates"),
    "PH": N_("in the Philippines"),
    "CZ": N_("in the Czech Republic"),
    "DO": N_("in the Dominican Republic"),
    "CA": N_("in Canada"),
    "JP": N_("in Japan"),
    "BR": N_("in Brazil"),
    "MA": N_("in Morocco"),
    "PT": N_("in Portugal"),
    "MX": N_("in Mexico"),
    "DK": N_("in Denmark"),
    "LU": N_("in Luxembourg"),
    "CL": N_("in Chile"),
    "PE": N_("in Peru"),
    "LB": N_("in Lebanon"),
    "SN": N_("in Senegal"),
    "CM": N_("in Cameroon"),
    "VN": N_("in Vietnam"),
    "PK": N_("in Pakistan"),
    "NG": N_("in Nigeria"),
    "KE": N_("in Kenya"),
    "GH": N_("in Ghana"),
    "SG": N_("in Singapore"),
    "MT": N_("in Malta"),
    "CY": N_("in Cyprus"),
    "HK": N_("in Hong Kong"),
    "MC": N_("in Monaco"),
    "MG": N_("in Madagascar"),
    "IL": N_("in Israel"),
    "QA": N_("in Qatar"),
}
#: The noun for the institutions a system ranks (a catalogue context: "school", "institution").
SYSTEM_NOUNS: dict[str, str] = {"letudiant": "school"}
MAX_NAMED = 6


class Labels:
    """Names of nodes, institutions and networks in one language, from the dataset."""

    def __init__(self, dataset: Any, lang: str) -> None:
        self.lang = check_lang(lang)
        ind = dataset.indicators.set_index("id")
        column = f"label_{lang}" if f"label_{lang}" in ind else "label_en"
        self._nodes: dict[str, str] = {
            str(k): str(v) for k, v in ind[column].items() if isinstance(v, str) and v
        }
        inst = dataset.institutions.set_index("id")
        names = inst[f"name_{lang}"] if f"name_{lang}" in inst else inst["name"]
        # the name in ``lang`` where given, else the bundle's name (one pass, no lookups)
        fallback = inst["name"].tolist()
        self._inst = {
            str(k): str(v) if isinstance(v, str) and v else str(name)
            for k, v, name in zip(names.index.tolist(), names.tolist(), fallback, strict=True)
        }

    def node(self, node: str) -> str:
        return self._nodes.get(node, node)

    def institution(self, ident: str | None) -> str:
        return "" if ident is None else self._inst.get(ident, ident)


class Renderer:
    """Turns facts into sentences in one language (and plain text or HTML)."""

    def __init__(self, dataset: Any, lang: str, *, html: bool = False) -> None:
        self.lang = check_lang(lang)
        self.html = html
        self.labels = Labels(dataset, lang)

    # -- the catalogue ----------------------------------------------------------------------------

    def _(self, message: str, /, **values: object) -> str:
        return i18n.gettext(self.lang, message, **values)

    def _p(self, context: str, message: str, /, **values: object) -> str:
        return i18n.pgettext(self.lang, context, message, **values)

    def _n(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        return i18n.ngettext(self.lang, singular, plural, int(n), **values)

    def _np(self, context: str, singular: str, plural: str, n: int, /, **values: object) -> str:
        return i18n.npgettext(self.lang, context, singular, plural, int(n), **values)

    # -- helpers --------------------------------------------------------------------------------

    def n(self, value: int) -> str:
        return format_int(int(value), self.lang)

    def ord(self, rank: int, gender: str | None = None) -> str:
        return ordinal(int(rank), self.lang, gender, self.html)

    def percent(self, value: float) -> str:
        return format_percent(value, self.lang)

    def noun_key(self, fact: Fact) -> str:
        """The catalogue context of the noun for what ``fact``'s system ranks."""
        return SYSTEM_NOUNS.get(fact.system, "institution")

    def gender(self, fact: Fact) -> str | None:
        """The grammatical gender of that noun in this language (None when it has none)."""
        return i18n.gender(self.lang, self.noun_key(fact))

    def noun(self, fact: Fact, count: int) -> str:
        """ "institution"/"institutions" (or "school"/"schools"), as ``count`` asks."""
        if self.noun_key(fact) == "school":
            return self._n("school", "schools", count)
        return self._n("institution", "institutions", count)

    def counted(self, fact: Fact, count: int) -> str:
        """ "169 institutions" ("169 établissements")."""
        return self._np(
            self.noun_key(fact),
            "{count} {noun}",
            "{count} {noun}",
            count,
            count=self.n(count),
            noun=self.noun(fact, count),
        )

    def ranked(self, fact: Fact, count: int) -> str:
        """ "169 institutions ranked" ("169 écoles classées": the participle agrees)."""
        return self._np(
            self.noun_key(fact),
            "{count} {noun} ranked",
            "{count} {noun} ranked",
            count,
            count=self.n(count),
            noun=self.noun(fact, count),
        )

    def plural(self, fact: Fact, count: int) -> str:
        return self.noun(fact, count)

    def name(self, fact: Fact) -> str:
        return self.labels.institution(fact.institution) or fact.institution_name

    def quoted(self, text: str) -> str:
        return self._("“{text}”", text=text)

    def join(self, items: Sequence[str], *, cut: bool = True) -> str:
        """ "a, b and c"; with ``cut``, beyond MAX_NAMED items "a, ..., f and 3 more"."""
        items = list(items)
        if cut and len(items) > MAX_NAMED:
            rest = len(items) - MAX_NAMED
            return self._n(
                "{items} and {count} more",
                "{items} and {count} more",
                rest,
                items=", ".join(items[:MAX_NAMED]),
                count=self.n(rest),
            )
        if len(items) <= 1:
            return "".join(items)
        return self._("{items} and {last}", items=", ".join(items[:-1]), last=items[-1])

    def semicolons(self, items: Sequence[str]) -> str:
        """Items joined by the language's semicolon ("a\u202f; b" in French)."""
        return self._p("list separator", "; ").join(items)

    def in_country(self, code: str | None) -> str:
        """ "in France", "in the United States" ("en France", "aux États-Unis")."""
        if not code:
            return ""
        code = code.upper()
        if code in IN_COUNTRY:
            return self._(IN_COUNTRY[code])
        country = i18n.country_name(code, self.lang)
        if country == code:  # no CLDR name: the code as given
            return f"({code})"
        return self._("in {country}", country=country)

    def in_region(self, region: str) -> str:
        return self._("in its region ({region})", region=region)

    def of_network(self, name: str) -> str:
        """ "of the X network" ("du réseau X"), "of X" when the name already says so."""
        if self._own_network_name(name):
            return self._("of {network}", network=name)
        return self._("of the {network} network", network=name)

    def network(self, name: str) -> str:
        """ "The X network" ("Réseau X"), or the name alone when it already says so."""
        if self._own_network_name(name):
            return name
        return self._("The {network} network", network=name)

    def _own_network_name(self, name: str) -> bool:
        word = self._p("a network's name that starts with this word names itself", "the ")
        return name.lower().startswith(word.lower())

    def _tie(self, fact: Fact, tie_size: int) -> str:
        """ ", tied with four other schools" (", à égalité avec quatre autres écoles")."""
        others = int(tie_size) - 1
        if others < 1:
            return ""
        return ", " + self._np(
            self.noun_key(fact),
            "tied with {count} other {noun}",
            "tied with {count} other {noun}",
            others,
            count=count_words(others, self.lang, self.gender(fact)),
            noun=self.noun(fact, others),
        )

    def ranked_among(self, fact: Fact, rank: int, tie: int, field: int, scope: str) -> str:
        """ "X est 3e ex aequo des 169 écoles classées" and its English and noun forms."""
        name = self.name(fact)
        where = f" {scope}" if scope else ""
        tied = self._tie(fact, tie)
        if field is None:  # a partial import: the field size is unknown, no "of N"
            label = rank_label(rank, tie, "ex-aequo", self.lang, prose=True, html=self.html)
            return self._(
                "{name} is {rank}{where}{tie}.", name=name, rank=label, where=where, tie=tied
            )
        ranked = self.ranked(fact, field)
        if fact.gender in ("f", "m"):
            label = rank_label(
                rank, tie, "ex-aequo", self.lang, gender=fact.gender, prose=True, html=self.html
            )
            return self._(
                "{name} is {rank} of the {ranked}{where}{tie}.",
                name=name,
                rank=label,
                ranked=ranked,
                where=where,
                tie=tied,
            )
        # No gender for the institution: a language with genders makes the ordinal agree with
        # the noun ("la 1re école ex aequo, sur 169 écoles classées").
        label = rank_label(rank, tie, "ex-aequo", self.lang, prose=True, html=self.html)
        position = self.ord(rank, self.gender(fact))
        if tie > 1:
            the_rank = self._p(
                self.noun_key(fact),
                "the joint {rank} {noun}",
                rank=position,
                noun=self.noun(fact, 1),
            )
        else:
            the_rank = self._p(
                self.noun_key(fact), "the {rank} {noun}", rank=position, noun=self.noun(fact, 1)
            )
        return self._p(
            "an institution of unknown grammatical gender",
            "{name} is {rank} of the {ranked}{where}{tie}.",
            name=name,
            rank=label,
            the_rank=the_rank,
            ranked=ranked,
            where=where,
            tie=tied,
        )

    # -- one method per kind --------------------------------------------------------------------

    def rank(self, f: Fact) -> str:
        v = f.values
        node = v.get("node")
        scope = self._("in {node}", node=self.quoted(self.labels.node(node))) if node else ""
        return self.ranked_among(f, v["rank"], v["tie_size"], v["field_size"], scope)

    def _in_node(self, v: Any) -> str:
        """ " pour « Recherche » (nombre de notes A)" after a scope, for a rank inside a node."""
        if not v.get("node"):
            return ""
        text = " " + self._("for {node}", node=self.quoted(self.labels.node(v["node"])))
        if v.get("grade"):
            text += " " + self._("(number of {grade} grades)", grade=v["grade"])
        return text

    def national_rank(self, f: Fact) -> str:
        v = f.values
        scope = self.in_country(v["scope"]) + self._in_node(v)
        return self.ranked_among(f, v["rank"], v["tie_size"], v["field_size"], scope)

    def regional_rank(self, f: Fact) -> str:
        v = f.values
        scope = self.in_region(v["scope"]) + self._in_node(v)
        return self.ranked_among(f, v["rank"], v["tie_size"], v["field_size"], scope)

    def move(self, f: Fact) -> str:
        """ "X is up 3 places since the 2020 edition (5th → 2nd)", without a full stop."""
        v = f.values
        places, name = int(v["places"]), self.name(f)
        words = {
            "name": name,
            "previous": v["previous_edition"],
            "before": self.ord(v["previous_rank"]),
            "after": self.ord(v["rank"]),
            "places": self._n(
                "{count} place", "{count} places", abs(places), count=self.n(abs(places))
            ),
        }
        if places > 0:
            return self._(
                "{name} is up {places} since the {previous} edition ({before} → {after})", **words
            )
        if places < 0:
            return self._(
                "{name} is down {places} since the {previous} edition ({before} → {after})", **words
            )
        return self._("{name} holds the same rank as in {previous} ({after})", **words)

    def movement(self, f: Fact) -> str:
        v = f.values
        parts = [self.move(f)]
        if "methodology" in v.get("flags", ()):
            parts.append(
                self._(
                    "the methodology changed between {previous} and {edition}",
                    previous=v["previous_edition"],
                    edition=f.edition,
                )
            )
        return self.semicolons(parts) + "."

    def percentile(self, f: Fact) -> str:
        v = f.values
        field = self.n(v["field_size"])
        if v.get("band"):
            proof = self._(
                "band {band}, counted as {rank} of {field}",
                band=v["band"],
                rank=self.ord(v["rank"]),
                field=field,
            )
        else:
            proof = self._("{rank} of {field}", rank=self.ord(v["rank"]), field=field)
        return self._(
            "{name} is in the top {percent} of the {ranked} ({proof}).",
            name=self.name(f),
            percent=self.percent(v["top_percent"]),
            ranked=self.ranked(f, v["field_size"]),
            proof=proof,
        )

    def group_position(self, f: Fact) -> str:
        v = f.values
        words = {
            "name": self.name(f),
            "group": v["group"],
            "rank": self.ord(v["rank_in_group"]),
            "size": self.n(v["group_size"]),
        }
        if v["half"] == "first":
            return self._(
                "{name} is in the first half of group {group} ({rank} of {size}).", **words
            )
        return self._("{name} is in the second half of group {group} ({rank} of {size}).", **words)

    def band(self, f: Fact) -> str:
        v = f.values
        if v["field_size"] is None:  # a partial import: no "of N"
            return self._("{name} is in the {band} band.", name=self.name(f), band=v["band"])
        return self._(
            "{name} is in the {band} band of the {ranked}.",
            name=self.name(f),
            band=v["band"],
            ranked=self.ranked(f, v["field_size"]),
        )

    def band_change(self, f: Fact) -> str:
        v = f.values
        return self._(
            "{name} moved from the {previous_band} band ({previous}) to the {band} band.",
            name=self.name(f),
            previous_band=v["previous_band"],
            previous=v["previous_edition"],
            band=v["band"],
        )

    def top_n(self, f: Fact) -> str:
        v = f.values
        # the rank as published: "6e ex aequo" (never the tie's last position)
        rank = rank_label(
            int(v["rank"]),
            int(v.get("tie_size") or 0),
            "ex-aequo",
            self.lang,
            prose=True,
            html=self.html,
        )
        if v.get("band"):
            proof = self._("{rank} at worst, band {band}", rank=rank, band=v["band"])
        else:
            proof = rank
        words = {"name": self.name(f), "n": self.n(v["n"]), "proof": proof}
        if v["scope"] == "world":
            return self._("{name} is in the top {n} of the ranking ({proof}).", **words)
        where = self.in_country(v["scope"])
        return self._("{name} is in the top {n} {where} ({proof}).", where=where, **words)

    def top_n_change(self, f: Fact) -> str:
        v = f.values
        return self._(
            "{name} moved from the top {previous_n} ({previous}) to the top {n} ({edition}).",
            name=self.name(f),
            previous_n=self.n(v["previous_n"]),
            previous=v["previous_edition"],
            n=self.n(v["n"]),
            edition=f.edition,
        )

    def grade_count(self, f: Fact) -> str:
        v = f.values
        parts = [
            self._("{count} in {dimension}", count=self.n(c), dimension=self.labels.node(d))
            for d, c in sorted(v["by_dimension"].items(), key=lambda kv: -kv[1])
        ]
        detail = self._(": {list}", list=self.join(parts)) if parts else ""
        return self._n(
            "{name} earns {count} top grade ({grade}){detail}.",
            "{name} earns {count} top grades ({grade}){detail}.",
            v["total"],
            name=self.name(f),
            count=self.n(v["total"]),
            grade=v["grade"],
            detail=detail,
        )

    def _in_dimension(self, f: Fact, node: str) -> str:
        """ "in total" for the whole system, else "in Research" ("au total", "en Recherche")."""
        label = self.labels.node(node)
        if node == f.system or label == f.system:
            return self._("in total")
        return self._("in {dimension}", dimension=label)

    def grade_count_change(self, f: Fact) -> str:
        v = f.values
        diff = int(v["current"]) - int(v["previous"])
        words = {
            "name": self.name(f),
            "count": self.n(abs(diff)),
            "grade": v["grade"],
            "where": self._in_dimension(f, v["dimension"]),
            "current": self.n(v["current"]),
            "previous": self.n(v["previous"]),
        }
        if diff > 0:
            return self._n(
                "{name} has {count} more {grade} grade than in the previous edition {where} "
                "({current} against {previous}).",
                "{name} has {count} more {grade} grades than in the previous edition {where} "
                "({current} against {previous}).",
                abs(diff),
                **words,
            )
        return self._n(
            "{name} has {count} fewer {grade} grade than in the previous edition {where} "
            "({current} against {previous}).",
            "{name} has {count} fewer {grade} grades than in the previous edition {where} "
            "({current} against {previous}).",
            abs(diff),
            **words,
        )

    def participation(self, f: Fact) -> str:
        v = f.values
        count, streak = int(v["count"]), int(v["streak"])
        words = {
            "name": self.name(f),
            # "la 3e fois": the ordinal agrees with the catalogue's word for "time"
            "count": self.ord(count, i18n.gender(self.lang, "time")),
            "first": v["first_edition"],
            "streak": self.n(streak),
        }
        if streak > 1:
            return self._(
                "{name} is ranked for the {count} time (first in {first}; {streak} consecutive "
                "editions).",
                **words,
            )
        return self._("{name} is ranked for the {count} time (first in {first}).", **words)

    def field_size(self, f: Fact) -> str:
        v = f.values
        count = int(v["count"])
        lead = self.counted(f, count)
        approx = v.get("approximately")
        if approx:
            about = self._np(
                self.noun_key(f),
                "{count} {noun}",
                "{count} {noun}",
                count,
                count=self.n(approx["n"]),
                noun=self.noun(f, count),
            )
            if approx["word"] == "near":
                lead = self._("Nearly {about} ({count})", about=about, count=self.n(count))
            else:
                lead = self._("More than {about} ({count})", about=about, count=self.n(count))
        countries = int(v.get("countries") or 0)
        where = ""
        if countries > 1:
            where = " " + self._n(
                "from {count} country", "from {count} countries", countries, count=self.n(countries)
            )
        return self._p(
            self.noun_key(f),
            "{lead}{where} ranked in the {edition} edition.",
            lead=lead,
            where=where,
            edition=f.edition,
        )

    def field_growth(self, f: Fact) -> str:
        v = f.values
        words = {
            "previous": self.n(v["previous"]),
            "noun": self.noun(f, v["current"]),
            "previous_edition": v["previous_edition"],
            "current": self.n(v["current"]),
            "edition": f.edition,
        }
        message = (
            "The ranking went from {previous} {noun} in {previous_edition} to {current} in "
            "{edition}."
        )
        if v["current"] == v["previous"]:
            return self._p("the field size did not change", message, **words)
        return self._(message, **words)

    def _attribute_value(self, f: Fact, attribute: str, value: str, count: int) -> str:
        """ "après le bac (cursus en cinq ans)", "publiques"; an unknown value as it is."""
        if attribute == "intake" and value == "post-bac":
            return self._("after the baccalauréat (five-year programme)")
        if attribute == "intake" and value == "post-prepa":
            return self._("after preparatory classes (three-year programme)")
        if attribute == "status" and value == "public":
            return self._np(self.noun_key(f), "public", "public", count)
        if attribute == "status" and value == "private":
            return self._np(self.noun_key(f), "private", "private", count)
        return value

    def _attribute_verb(self, attribute: str) -> str | None:
        return self._("recruiting") if attribute == "intake" else None

    def field_composition(self, f: Fact) -> str:
        v = f.values
        groups = []
        for attribute, counts in v["by_attribute"].items():
            parts = [
                f"{self.n(n)} {self._attribute_value(f, attribute, value, n)}"
                for value, n in counts.items()
            ]
            verb = self._attribute_verb(attribute)
            if verb and parts:
                head, _, tail = parts[0].partition(" ")
                parts[0] = f"{head} {verb} {tail}"
            groups.append(self.join(parts))
        if f.system == "letudiant":
            lead = self._p("letudiant", "The {year} palmarès", year=f.edition)
        else:
            lead = self._("The {year} edition", year=f.edition)
        return self._(
            "{lead} ranks {counted}: {detail}.",
            lead=lead,
            counted=self.counted(f, v["field_size"]),
            detail=self.semicolons(groups),
        )

    def indicator_changes(self, f: Fact) -> str:
        v = f.values
        up = [self.labels.node(i) for i in v["improved"]]
        down = [self.labels.node(i) for i in v["declined"]]
        parts = []
        if up:
            parts.append(
                self._n(
                    "improved in {count} indicator ({list})",
                    "improved in {count} indicators ({list})",
                    len(up),
                    count=self.n(len(up)),
                    list=self.join(up),
                )
            )
        if down:
            parts.append(
                self._(
                    "declined in {count} ({list})", count=self.n(len(down)), list=self.join(down)
                )
            )
        return self._(
            "{name} {changes} since the previous edition.",
            name=self.name(f),
            changes=self.join(parts),
        )

    def trajectory(self, f: Fact) -> str:
        steps = [f"{self.ord(r)} ({y})" for y, r in sorted(f.values["ranks"].items())]
        return self._(
            "{name}, ranks over the editions: {steps}.", name=self.name(f), steps=", ".join(steps)
        )

    def methodology_structure(self, f: Fact) -> str:
        names = [self.labels.node(n) for n in f.values["names"]]
        words = {
            "system": self.quoted(self.labels.node(f.system)),
            "count": self.n(len(names)),
            "list": self.join(names),
        }
        if all("sdg" in n for n in f.values["names"]):
            return self._n(
                "The indicators of {system} are grouped in {count} Sustainable Development "
                "Goal: {list}.",
                "The indicators of {system} are grouped in {count} Sustainable Development "
                "Goals: {list}.",
                len(names),
                **words,
            )
        return self._n(
            "The indicators of {system} are grouped in {count} family: {list}.",
            "The indicators of {system} are grouped in {count} families: {list}.",
            len(names),
            **words,
        )

    def methodology_change(self, f: Fact) -> str:
        v = f.values
        added = [self.labels.node(i) for i in v["added"]]
        removed = [self.labels.node(i) for i in v["removed"]]
        parts: list[str] = []
        if added:
            parts.append(
                self._n(
                    "{count} new indicator ({list})",
                    "{count} new indicators ({list})",
                    len(added),
                    count=self.n(len(added)),
                    list=self.join(added),
                )
            )
        if removed:
            parts.append(
                self._n(
                    "{count} indicator removed ({list})",
                    "{count} indicators removed ({list})",
                    len(removed),
                    count=self.n(len(removed)),
                    list=self.join(removed),
                )
            )
        scale = self._scale_note(v)
        if scale:
            parts.append(self._("a changed scale ({scale})", scale=scale))
        if not parts:
            parts.append(
                self._("a methodology changed since {previous}", previous=v["previous_edition"])
            )
        return self._("{edition} edition: {changes}.", edition=f.edition, changes=self.join(parts))

    def _value(self, value: Any) -> str:
        """A scale parameter's value: ``0–10`` for a range, grouped integers, decimal marks."""
        if isinstance(value, list | tuple):
            return "–".join(self._value(x) for x in value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return self.n(value)
        if isinstance(value, float):
            return format_decimal(value, self.lang, len(repr(value).partition(".")[2]))
        return str(value)

    def _scale_change(self, place: str, change: Any) -> str:
        """ "critères notés sur 10 points au lieu de 5" / "criteria scored out of 10 points
        instead of 5"; a per-node override names the node."""
        parameter, new = change.get("parameter"), self._value(change.get("to"))
        old = None if change.get("from") is None else self._value(change.get("from"))
        node = place.split(":", 1)[0]
        label = "" if node == "criteria" else self.labels.node(node)
        if parameter == "max_points":
            if label:
                text = self._("{node} out of {points} points", node=label, points=new)
            else:
                text = self._("criteria scored out of {points} points", points=new)
        elif parameter == "range":
            if label:
                text = self._("{node}, scale {range}", node=label, range=new)
            else:
                text = self._("scale {range}", range=new)
        else:
            text = f"{label}, {parameter} {new}" if label else f"{parameter} {new}"
        if old is not None:
            text = self._("{change} instead of {old}", change=text, old=old)
        return text

    def _scale_note(self, v: Any) -> str:
        """What changed in the scales, then the flag that scores are not comparable."""
        changes = v.get("scale_changes") or {}
        details = ", ".join(self._scale_change(k, c) for k, c in changes.items())
        comparable = v.get("scores_comparable", not changes)
        if comparable:
            return details
        flag = self._("scores not comparable with {previous}", previous=v["previous_edition"])
        if not details:
            return flag
        return self.semicolons([details, flag])

    def strongest_families(self, f: Fact) -> str:
        names = [self.labels.node(n) for n in f.values["families"]]
        return self._(
            "{name} stands out in {list} (family rank better than or equal to the overall rank).",
            name=self.name(f),
            list=self.join(names),
        )

    def network_summary(self, f: Fact) -> str:
        v = f.values
        net = v.get("network_name") or v["network"]
        here = int(v.get("members_in_country", v["members_ranked"]))
        total = int(v["members_ranked"])
        first = self.labels.institution(v.get("first_member"))
        text = self._np(
            self.noun_key(f),
            "{count} {noun} {of_network} is among the {ranked} {country}",
            "{count} {noun} {of_network} are among the {ranked} {country}",
            here,
            count=self.n(here),
            noun=self.noun(f, here),
            of_network=self.of_network(net),
            ranked=self.ranked(f, int(v["country_field"])),
            country=self.in_country(v.get("country")),
        )
        if total != here:
            text += " " + self._("({count} members ranked in all)", count=self.n(total))
        if first:
            return self.semicolons([text, self._("{first} leads the network.", first=first)])
        return text + "."

    def network_movement(self, f: Fact) -> str:
        v = f.values
        net = v.get("network_name") or v["network"]
        kept = len(v["kept"])
        return self._n(
            "{network} since {previous}: {up} improved, {kept} kept their position, "
            "{down} declined.",
            "{network} since {previous}: {up} improved, {kept} kept their position, "
            "{down} declined.",
            kept,
            network=self.network(net),
            previous=v["previous_edition"],
            up=self.n(len(v["improved"])),
            kept=self.n(kept),
            down=self.n(len(v["declined"])),
        )

    def network_entrant(self, f: Fact) -> str:
        v = f.values
        net = v.get("network_name") or v["network"]
        words = {"name": self.name(f), "edition": v["edition"]}
        if not v.get("order"):
            return self._("{name} entered the ranking in {edition}.", **words)
        return self._p(
            self.noun_key(f),
            "{name} entered the ranking in {edition}, the {order} {noun} {of_network} to do so.",
            order=self.ord(v["order"], self.gender(f)),
            noun=self.noun(f, 1),
            of_network=self.of_network(net),
            **words,
        )

    def sdg_coverage(self, f: Fact) -> str:
        v = f.values
        return self._(
            "{name} is ranked in {ranked} of the {total} SDG tables.",
            name=self.name(f),
            ranked=self.n(v["ranked"]),
            total=self.n(v["total"]),
        )

    def _sdg_rung(self, i: int, rung: Any, count: int, named: str = "") -> str:
        """ "top 100 in 3 SDGs", then "top 200 in 2 more" ("top 100 pour 3 ODD", "... de plus")."""
        words = {"rung": self.n(int(rung)), "count": self.n(count), "named": named}
        if i:
            return self._n(
                "top {rung} in {count} more{named}",
                "top {rung} in {count} more{named}",
                count,
                **words,
            )
        return self._n(
            "top {rung} in {count} SDG{named}", "top {rung} in {count} SDGs{named}", count, **words
        )

    def sdg_bands(self, f: Fact) -> str:
        counts = sorted(f.values["counts_by_band"].items(), key=lambda kv: int(kv[0]))
        by_goal = {int(goal): int(rung) for goal, rung in f.values.get("sdgs", {}).items()}
        parts = []
        for i, (rung, count) in enumerate(counts):
            # a few SDGs in a rung are named (seed 004: "top 200 for SDGs 11 and 12")
            goals = sorted(g for g, r in by_goal.items() if r == int(rung))
            named = ""
            if 0 < len(goals) <= 3 and len(goals) == count:
                named = f" ({self.join([str(g) for g in goals])})"
            parts.append(self._sdg_rung(i, rung, count, named))
        # every rung is stated: a shortened list would hide the counts of the last ones
        return self._("{name} by SDG: {list}.", name=self.name(f), list=self.join(parts, cut=False))

    def sdg_national_firsts(self, f: Fact) -> str:
        sdgs = [str(s) for s in f.values["sdgs"]]
        return self._n(
            "{name} is first in its country for SDG {list}.",
            "{name} is first in its country for SDGs {list}.",
            len(sdgs),
            name=self.name(f),
            first=self.ord(1),
            list=self.join(sdgs),
        )

    def band_stability(self, f: Fact) -> str:
        v = f.values
        return self._(
            "{name} kept its {band} band while the ranking grew from {previous} {noun} in "
            "{previous_edition} to {current} in {edition}.",
            name=self.name(f),
            band=v["band"],
            previous=self.n(v["previous_field"]),
            noun=self.noun(f, v["previous_field"]),
            previous_edition=v["previous_edition"],
            current=self.n(v["current_field"]),
            edition=f.edition,
        )

    def national_leader_change(self, f: Fact) -> str:
        v = f.values
        before = self.join([self.labels.institution(i) for i in v["previous_leader"]])
        return self._(
            "{name} takes the lead {where} ({previous}: {before}).",
            name=self.name(f),
            where=self.in_country(v["scope"]),
            previous=v["previous_edition"],
            before=before,
        )

    def system_first_edition(self, f: Fact) -> str:
        return self._(
            "The {system} ranking has existed since {first}.",
            system=self.quoted(self.labels.node(f.system)),
            first=f.values["first_edition"],
        )

    def rank_interval(self, f: Fact) -> str:
        """ "X : rang 16e (intervalle 14e–19e sur 1 000 tirages, niveau 90 %)." and English."""
        v = f.values
        name, draws, level = self.name(f), self.n(v["draws"]), self.percent(v["level"])
        if v.get("band"):
            share = v.get("p_same_band_percent")
            if share is None:
                return self._p(
                    "rank interval", "{name} is in the {band} band.", name=name, band=v["band"]
                )
            return self._(
                "{name} is in the {band} band; the rank stays in this band in {share} of {draws} "
                "draws.",
                name=name,
                band=v["band"],
                share=self.percent(share),
                draws=draws,
            )
        words = {
            "name": name,
            "rank": self.ord(v["rank"]),
            "low": self.ord(v["q05"]),
            "high": self.ord(v["q95"]),
            "draws": draws,
            "level": level,
        }
        if int(v.get("tie_size") or 1) > 1:
            head = self._("{name} is ranked joint {rank}", **words)
        else:
            head = self._("{name} is ranked {rank}", **words)
        if v["q05"] == v["q95"]:
            return self._(
                "{head} (the same rank in at least {level} of {draws} draws).", head=head, **words
            )
        return self._(
            "{head} (interval {low}–{high} over {draws} draws, {level} level).", head=head, **words
        )

    def movement_robustness(self, f: Fact) -> str:
        """The move, then whether it keeps its direction in the draws (robust or not)."""
        v = f.values
        places = int(v["places"])
        words = {
            "share": self.percent(v["p_move_real_percent"]),
            "threshold": self.percent(v["threshold_percent"]),
            "draws": self.n(v["draws"]),
        }
        if places and v["robust"]:
            verdict = self._(
                "this move is robust (the same direction in {share} of {draws} draws, threshold "
                "{threshold})",
                **words,
            )
        elif places:
            verdict = self._(
                "this move is not robust (the same direction in only {share} of {draws} draws, "
                "threshold {threshold})",
                **words,
            )
        elif v["robust"]:
            verdict = self._(
                "this is robust (the same rank in {share} of {draws} draws, threshold {threshold})",
                **words,
            )
        else:
            verdict = self._(
                "this is not robust (the same rank in only {share} of {draws} draws, threshold "
                "{threshold})",
                **words,
            )
        parts = [self.move(f), verdict]
        if "methodology" in v.get("flags", ()):
            parts.append(
                self._(
                    "the methodology changed between {previous} and {edition}, so the move mixes "
                    "data and method",
                    previous=v["previous_edition"],
                    edition=f.edition,
                )
            )
        return self.semicolons(parts) + "."

    def render(self, fact: Fact) -> str:
        method: Callable[[Fact], str] = getattr(self, fact.kind)
        return method(fact)


def render(fact: Fact, dataset: Any, lang: str, *, html: bool = False) -> str:
    """One fact as a sentence in ``lang``."""
    return Renderer(dataset, lang, html=html).render(fact)


def render_all(facts: Sequence[Fact], dataset: Any, lang: str, *, html: bool = False) -> list[str]:
    """Sentences for many facts, sharing the label lookups."""
    renderer = Renderer(dataset, lang, html=html)
    return [renderer.render(f) for f in facts]
