"""French and English sentences for highlight facts.

French ordinals agree with what they qualify: with the institution's grammatical gender
(``gender`` attribute, "École des mines de Rodez est 1re ...") or, when it is unknown, through a
noun ("est le 1er établissement ...", "la 1re école ..."). Ties read "16e ex aequo" / "joint
16th"; French numbers use U+202F between thousands and U+00A0 before "%". ``html=True`` sets
ordinal suffixes in ``<sup>``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from palmares.highlights.facts import Fact
from palmares.lang import (
    NARROW_NBSP,
    NBSP,
    Noun,
    check_lang,
    format_int,
    format_percent,
    noun_for,
    ordinal,
    rank_label,
    tie_phrase,
)

#: Country names for "en France" / "in France"; other codes are written as they are.
COUNTRIES: dict[str, tuple[str, str]] = {
    "FR": ("en France", "in France"),
    "DE": ("en Allemagne", "in Germany"),
    "ES": ("en Espagne", "in Spain"),
    "IT": ("en Italie", "in Italy"),
    "GB": ("au Royaume-Uni", "in the United Kingdom"),
    "US": ("aux États-Unis", "in the United States"),
    "BE": ("en Belgique", "in Belgium"),
    "CH": ("en Suisse", "in Switzerland"),
    "CA": ("au Canada", "in Canada"),
}
#: The noun for the institutions a system ranks.
SYSTEM_NOUNS: dict[str, str] = {"letudiant": "school"}
#: What the press calls a system's edition ("Le palmarès 2023"); else "L'édition 2023".
SYSTEM_EDITIONS: dict[str, tuple[str, str]] = {
    "letudiant": ("Le palmarès {year}", "The {year} palmarès")
}
#: Attribute values in a field composition, French then English. French adjectives agree with
#: the noun: ``{gender: (singular, plural)}``; a verb leads the first value of an attribute.
ATTRIBUTE_VALUES: dict[str, dict[str, tuple[Any, Any]]] = {
    "intake": {
        "post-bac": (
            "après le bac (cursus en cinq ans)",
            "after the baccalauréat (five-year programme)",
        ),
        "post-prepa": (
            "après une classe préparatoire (cursus en trois ans)",
            "after preparatory classes (three-year programme)",
        ),
    },
    "status": {
        "public": ({"f": ("publique", "publiques"), "m": ("public", "publics")}, "public"),
        "private": ({"f": ("privée", "privées"), "m": ("privé", "privés")}, "private"),
    },
}
ATTRIBUTE_VERBS: dict[str, tuple[str, str]] = {"intake": ("recrutant", "recruiting")}
MAX_NAMED = 6


class Labels:
    """Names of nodes, institutions and networks in one language, from the dataset."""

    def __init__(self, dataset: Any, lang: str) -> None:
        self.lang = check_lang(lang)
        ind = dataset.indicators.set_index("id")
        column = f"label_{lang}"
        self._nodes: dict[str, str] = {
            str(k): str(v) for k, v in ind[column].items() if isinstance(v, str) and v
        }
        inst = dataset.institutions.set_index("id")
        names = inst[f"name_{lang}"] if f"name_{lang}" in inst else inst["name"]
        self._inst = {
            str(k): str(v) if isinstance(v, str) and v else str(inst.loc[k, "name"])
            for k, v in names.items()
        }

    def node(self, node: str) -> str:
        return self._nodes.get(node, node)

    def institution(self, ident: str | None) -> str:
        return "" if ident is None else self._inst.get(ident, ident)


def _guillemets(text: str, lang: str) -> str:
    return f"«{NBSP}{text}{NBSP}»" if lang == "fr" else f"“{text}”"


def _join(items: Sequence[str], lang: str) -> str:
    items = list(items)
    if len(items) > MAX_NAMED:
        rest = len(items) - MAX_NAMED
        head = ", ".join(items[:MAX_NAMED])
        return (
            f"{head} et {format_int(rest, 'fr')} autres"
            if lang == "fr"
            else f"{head} and {format_int(rest, 'en')} more"
        )
    if len(items) <= 1:
        return "".join(items)
    word = " et " if lang == "fr" else " and "
    return ", ".join(items[:-1]) + word + items[-1]


def _scope(scope: str | None, kind: str, lang: str) -> str:
    if kind == "regional_rank":
        return f"de sa région ({scope})" if lang == "fr" else f"in its region ({scope})"
    if kind in ("national_rank", "top_n-national") and scope:
        fr, en = COUNTRIES.get(scope, (f"({scope})", f"({scope})"))
        return fr if lang == "fr" else en
    return ""


def _of_network(name: str) -> str:
    """ "du réseau X", or "du Réseau X" when the name already says it is a network."""
    return f"du {name}" if name.lower().startswith("réseau") else f"du réseau {name}"


def _network_fr(name: str) -> str:
    return name if name.lower().startswith("réseau") else f"Réseau {name}"


def _network_en(name: str) -> str:
    """ "the X network", or the name alone when it starts with "The"."""
    return name if name.lower().startswith("the ") else f"the {name} network"


def _classed(noun: Noun) -> str:
    return "classées" if noun.gender == "f" else "classés"


class Renderer:
    """Turns facts into sentences in one language (and plain text or HTML)."""

    def __init__(self, dataset: Any, lang: str, *, html: bool = False) -> None:
        self.lang = check_lang(lang)
        self.html = html
        self.labels = Labels(dataset, lang)

    # -- helpers --------------------------------------------------------------------------------

    def n(self, value: int) -> str:
        return format_int(int(value), self.lang)

    def ord(self, rank: int, gender: str | None = None) -> str:
        return ordinal(int(rank), self.lang, gender, self.html)

    def noun(self, fact: Fact) -> Noun:
        return noun_for(SYSTEM_NOUNS.get(fact.system, "institution"), self.lang)

    def plural(self, fact: Fact, count: int) -> str:
        noun = self.noun(fact)
        return noun.singular if count == 1 else noun.plural

    def name(self, fact: Fact) -> str:
        return self.labels.institution(fact.institution) or fact.institution_name

    def _tie(self, fact: Fact, tie_size: int) -> str:
        phrase = tie_phrase(tie_size, self.lang, self.noun(fact))
        if not phrase:
            return ""
        if self.lang == "fr":
            phrase = phrase.replace("ex aequo avec", "à égalité avec")
        return f", {phrase}"

    def ranked_among(self, fact: Fact, rank: int, tie: int, field: int, scope: str) -> str:
        """ "X est 3e ex aequo des 169 écoles classées" and its English and noun forms."""
        name, noun = self.name(fact), self.noun(fact)
        where = f" {scope}" if scope else ""
        if field is None:  # a partial import: the field size is unknown, no "of N"
            label = rank_label(rank, tie, "ex-aequo", self.lang, prose=True, html=self.html)
            verb = "est" if self.lang == "fr" else "is"
            return f"{name} {verb} {label}{where}{self._tie(fact, tie)}."
        if self.lang == "en":
            label = rank_label(rank, tie, "ex-aequo", "en", prose=True, html=self.html)
            return (
                f"{name} is {label} of the {self.n(field)} {self.plural(fact, field)} "
                f"ranked{where}{self._tie(fact, tie)}."
            )
        plural = self.plural(fact, field)
        if fact.gender in ("f", "m"):
            label = rank_label(rank, tie, "ex-aequo", "fr", gender=fact.gender, html=self.html)
            return (
                f"{name} est {label} des {self.n(field)} {plural} {_classed(noun)}{where}"
                f"{self._tie(fact, tie)}."
            )
        # No gender for the institution: the ordinal agrees with the noun.
        article = "la" if noun.gender == "f" else "le"
        tied = " ex aequo" if tie > 1 else ""
        return (
            f"{name} est {article} {self.ord(rank, noun.gender)} {noun.singular}{tied}{where}, "
            f"sur {self.n(field)} {plural} {_classed(noun)}{self._tie(fact, tie)}."
        )

    # -- one method per kind --------------------------------------------------------------------

    def rank(self, f: Fact) -> str:
        v = f.values
        node = v.get("node")
        if node:
            label = _guillemets(self.labels.node(node), self.lang)
            scope = f"pour {label}" if self.lang == "fr" else f"in {label}"
        else:
            scope = ""
        return self.ranked_among(f, v["rank"], v["tie_size"], v["field_size"], scope)

    def _in_node(self, v: Any) -> str:
        """ " pour « Recherche » (nombre de notes A)" after a scope, for a rank inside a node."""
        if not v.get("node"):
            return ""
        label = _guillemets(self.labels.node(v["node"]), self.lang)
        text = f" pour {label}" if self.lang == "fr" else f" for {label}"
        if v.get("grade"):
            text += (
                f" (nombre de notes {v['grade']})"
                if self.lang == "fr"
                else f" (number of {v['grade']} grades)"
            )
        return text

    def national_rank(self, f: Fact) -> str:
        v = f.values
        scope = _scope(v["scope"], "national_rank", self.lang) + self._in_node(v)
        return self.ranked_among(f, v["rank"], v["tie_size"], v["field_size"], scope)

    def regional_rank(self, f: Fact) -> str:
        v = f.values
        scope = _scope(v["scope"], "regional_rank", self.lang) + self._in_node(v)
        return self.ranked_among(f, v["rank"], v["tie_size"], v["field_size"], scope)

    def movement(self, f: Fact) -> str:
        v = f.values
        places, name = int(v["places"]), self.name(f)
        before, after = self.ord(v["previous_rank"]), self.ord(v["rank"])
        prev = v["previous_edition"]
        count = self.n(abs(places))
        if self.lang == "fr":
            word = "place" if abs(places) == 1 else "places"
            if places > 0:
                text = f"{name} gagne {count} {word} depuis l'édition {prev} ({before} → {after})"
            elif places < 0:
                text = f"{name} perd {count} {word} depuis l'édition {prev} ({before} → {after})"
            else:
                text = f"{name} garde le même rang qu'en {prev} ({after})"
            if "methodology" in v.get("flags", ()):
                text += f" ; la méthodologie a changé entre {prev} et {f.edition}"
            return text.replace(" ;", f"{NARROW_NBSP};") + "."
        word = "place" if abs(places) == 1 else "places"
        if places > 0:
            text = f"{name} is up {count} {word} since the {prev} edition ({before} → {after})"
        elif places < 0:
            text = f"{name} is down {count} {word} since the {prev} edition ({before} → {after})"
        else:
            text = f"{name} holds the same rank as in {prev} ({after})"
        if "methodology" in v.get("flags", ()):
            text += f"; the methodology changed between {prev} and {f.edition}"
        return text + "."

    def percentile(self, f: Fact) -> str:
        v = f.values
        pct = format_percent(v["top_percent"], self.lang)
        field, name = self.n(v["field_size"]), self.name(f)
        plural = self.plural(f, v["field_size"])
        if self.lang == "fr":
            proof = (
                f"tranche {v['band']}, comptée au {self.ord(v['rank'])} rang sur {field}"
                if v.get("band")
                else f"{self.ord(v['rank'])} sur {field}"
            )
            noun = self.noun(f)
            return f"{name} est dans le top {pct} des {field} {plural} {_classed(noun)} ({proof})."
        proof = (
            f"band {v['band']}, counted as {self.ord(v['rank'])} of {field}"
            if v.get("band")
            else f"{self.ord(v['rank'])} of {field}"
        )
        return f"{name} is in the top {pct} of the {field} {plural} ranked ({proof})."

    def group_position(self, f: Fact) -> str:
        v = f.values
        first = v["half"] == "first"
        rank, size = self.ord(v["rank_in_group"]), self.n(v["group_size"])
        if self.lang == "fr":
            half = "première" if first else "seconde"
            return (
                f"{self.name(f)} est dans la {half} moitié du groupe {v['group']} "
                f"({rank} sur {size})."
            )
        half = "first" if first else "second"
        return f"{self.name(f)} is in the {half} half of group {v['group']} ({rank} of {size})."

    def band(self, f: Fact) -> str:
        v = f.values
        if v["field_size"] is None:  # a partial import: no "of N"
            if self.lang == "fr":
                return f"{self.name(f)} est dans la tranche {v['band']}."
            return f"{self.name(f)} is in the {v['band']} band."
        field, plural = self.n(v["field_size"]), self.plural(f, v["field_size"])
        if self.lang == "fr":
            return (
                f"{self.name(f)} est dans la tranche {v['band']} sur {field} {plural} "
                f"{_classed(self.noun(f))}."
            )
        return f"{self.name(f)} is in the {v['band']} band of the {field} {plural} ranked."

    def band_change(self, f: Fact) -> str:
        v = f.values
        if self.lang == "fr":
            return (
                f"{self.name(f)} passe de la tranche {v['previous_band']} "
                f"({v['previous_edition']}) à la tranche {v['band']}."
            )
        return (
            f"{self.name(f)} moved from the {v['previous_band']} band ({v['previous_edition']}) "
            f"to the {v['band']} band."
        )

    def top_n(self, f: Fact) -> str:
        v = f.values
        world = v["scope"] == "world"
        scope = "" if world else " " + _scope(v["scope"], "top_n-national", self.lang)
        # the rank as published: "6e ex aequo" (never the tie's last position)
        rank = rank_label(
            int(v["rank"]),
            int(v.get("tie_size") or 0),
            "ex-aequo",
            self.lang,
            prose=True,
            html=self.html,
        )
        if self.lang == "fr":
            where = " du classement" if world else scope
            proof = f"{rank} au plus, tranche {v['band']}" if v.get("band") else rank
            return f"{self.name(f)} est dans le top {self.n(v['n'])}{where} ({proof})."
        proof = f"{rank} at worst, band {v['band']}" if v.get("band") else rank
        where = " of the ranking" if world else scope
        return f"{self.name(f)} is in the top {self.n(v['n'])}{where} ({proof})."

    def top_n_change(self, f: Fact) -> str:
        v = f.values
        prev, n = self.n(v["previous_n"]), self.n(v["n"])
        if self.lang == "fr":
            return (
                f"{self.name(f)} passe du top {prev} ({v['previous_edition']}) au top {n} "
                f"({f.edition})."
            )
        return (
            f"{self.name(f)} moved from the top {prev} ({v['previous_edition']}) to the top {n} "
            f"({f.edition})."
        )

    def grade_count(self, f: Fact) -> str:
        v = f.values
        parts = [
            f"{self.n(c)} {'en' if self.lang == 'fr' else 'in'} {self.labels.node(d)}"
            for d, c in sorted(v["by_dimension"].items(), key=lambda kv: -kv[1])
        ]
        detail = f" : {_join(parts, 'fr')}" if self.lang == "fr" else f": {_join(parts, 'en')}"
        detail = detail.replace(" :", f"{NBSP}:") if parts else ""
        total = self.n(v["total"])
        if self.lang == "fr":
            notes = "note" if v["total"] == 1 else "notes"
            return f"{self.name(f)} obtient {total} {notes} {v['grade']} (la meilleure){detail}."
        grades = "grade" if v["total"] == 1 else "grades"
        return f"{self.name(f)} earns {total} top {grades} ({v['grade']}){detail}."

    def grade_count_change(self, f: Fact) -> str:
        v = f.values
        diff = int(v["current"]) - int(v["previous"])
        dim = self.labels.node(v["dimension"])
        if dim == f.system or v["dimension"] == f.system:
            dim = "au total" if self.lang == "fr" else "in total"
        else:
            dim = f"en {dim}" if self.lang == "fr" else f"in {dim}"
        n = self.n(abs(diff))
        prev, cur = self.n(v["previous"]), self.n(v["current"])
        if self.lang == "fr":
            more = "de plus" if diff > 0 else "de moins"
            notes = "note" if abs(diff) == 1 else "notes"
            return (
                f"{self.name(f)} a {n} {notes} {v['grade']} {more} que lors de l'édition "
                f"précédente {dim} ({cur} contre {prev})."
            )
        more = "more" if diff > 0 else "fewer"
        grades = "grade" if abs(diff) == 1 else "grades"
        return (
            f"{self.name(f)} has {n} {more} {v['grade']} {grades} than in the previous edition "
            f"{dim} ({cur} against {prev})."
        )

    def participation(self, f: Fact) -> str:
        v = f.values
        count, streak = int(v["count"]), int(v["streak"])
        if self.lang == "fr":
            text = (
                f"{self.name(f)} figure au classement pour la {self.ord(count, 'f')} fois "
                f"(première édition : {v['first_edition']}"
            ).replace(" :", f"{NBSP}:")
            if streak > 1:
                text += f"{NARROW_NBSP}; {self.n(streak)} éditions consécutives"
            return text + ")."
        text = (
            f"{self.name(f)} is ranked for the {self.ord(count)} time "
            f"(first in {v['first_edition']}"
        )
        if streak > 1:
            text += f"; {self.n(streak)} consecutive editions"
        return text + ")."

    def field_size(self, f: Fact) -> str:
        v = f.values
        count, plural = self.n(v["count"]), self.plural(f, v["count"])
        approx = v.get("approximately")
        countries = int(v.get("countries") or 0)
        if self.lang == "fr":
            lead = f"{count} {plural}"
            if approx:
                word = "près de" if approx["word"] == "near" else "plus de"
                lead = f"{word.capitalize()} {self.n(approx['n'])} {plural} ({count})"
            where = f" de {self.n(countries)} pays" if countries > 1 else ""
            return f"{lead}{where} {_classed(self.noun(f))} dans l'édition {f.edition}."
        lead = f"{count} {plural}"
        if approx:
            word = "Nearly" if approx["word"] == "near" else "More than"
            lead = f"{word} {self.n(approx['n'])} {plural} ({count})"
        where = f" from {self.n(countries)} countries" if countries > 1 else ""
        return f"{lead}{where} ranked in the {f.edition} edition."

    def field_growth(self, f: Fact) -> str:
        v = f.values
        prev, cur = self.n(v["previous"]), self.n(v["current"])
        plural = self.plural(f, v["current"])
        if self.lang == "fr":
            verb = "passe" if v["current"] != v["previous"] else "reste"
            return (
                f"Le classement {verb} de {prev} {plural} en {v['previous_edition']} à {cur} "
                f"en {f.edition}."
            )
        return (
            f"The ranking went from {prev} {plural} in {v['previous_edition']} to {cur} "
            f"in {f.edition}."
        )

    def _attribute_value(self, f: Fact, attribute: str, value: str, count: int) -> str:
        """ "après le bac (cursus en cinq ans)", "publiques"; an unknown value as it is."""
        label = ATTRIBUTE_VALUES.get(attribute, {}).get(value)
        if label is None:
            return value
        text = label[0] if self.lang == "fr" else label[1]
        if isinstance(text, dict):
            singular, plural = text[self.noun(f).gender]
            return singular if count == 1 else plural
        return str(text)

    def field_composition(self, f: Fact) -> str:
        v = f.values
        groups = []
        for attribute, counts in v["by_attribute"].items():
            parts = [
                f"{self.n(n)} {self._attribute_value(f, attribute, value, n)}"
                for value, n in counts.items()
            ]
            verb = ATTRIBUTE_VERBS.get(attribute)
            if verb and parts:
                head, _, tail = parts[0].partition(" ")
                parts[0] = f"{head} {verb[0] if self.lang == 'fr' else verb[1]} {tail}"
            groups.append(_join(parts, self.lang))
        field, plural = self.n(v["field_size"]), self.plural(f, v["field_size"])
        fr, en = SYSTEM_EDITIONS.get(f.system, ("L'édition {year}", "The {year} edition"))
        if self.lang == "fr":
            detail = f"{NARROW_NBSP}; ".join(groups)
            lead = fr.format(year=f.edition)
            return f"{lead} classe {field} {plural}{NBSP}: {detail}."
        lead = en.format(year=f.edition)
        return f"{lead} ranks {field} {plural}: {'; '.join(groups)}."

    def indicator_changes(self, f: Fact) -> str:
        v = f.values
        up = [self.labels.node(i) for i in v["improved"]]
        down = [self.labels.node(i) for i in v["declined"]]
        parts = []
        if self.lang == "fr":
            if up:
                word = "indicateur" if len(up) == 1 else "indicateurs"
                parts.append(f"progresse sur {self.n(len(up))} {word} ({_join(up, 'fr')})")
            if down:
                parts.append(f"recule sur {self.n(len(down))} ({_join(down, 'fr')})")
            return f"{self.name(f)} {' et '.join(parts)} depuis l'édition précédente."
        if up:
            word = "indicator" if len(up) == 1 else "indicators"
            parts.append(f"improved in {self.n(len(up))} {word} ({_join(up, 'en')})")
        if down:
            parts.append(f"declined in {self.n(len(down))} ({_join(down, 'en')})")
        return f"{self.name(f)} {' and '.join(parts)} since the previous edition."

    def trajectory(self, f: Fact) -> str:
        steps = [f"{self.ord(r)} ({y})" for y, r in sorted(f.values["ranks"].items())]
        if self.lang == "fr":
            return f"{self.name(f)}, rangs successifs{NBSP}: {', '.join(steps)}."
        return f"{self.name(f)}, ranks over the editions: {', '.join(steps)}."

    def methodology_structure(self, f: Fact) -> str:
        names = [self.labels.node(n) for n in f.values["names"]]
        count = self.n(len(names))
        sdg = all("sdg" in n for n in f.values["names"])
        if self.lang == "fr":
            what = "objectifs de développement durable" if sdg else "familles"
            return (
                f"Les indicateurs du classement {_guillemets(self.labels.node(f.system), 'fr')} "
                f"sont regroupés en {count} {what}"
                f"{NBSP}: {_join(names, 'fr')}."
            )
        what = "Sustainable Development Goals" if sdg else "families"
        return (
            f"The indicators of {_guillemets(self.labels.node(f.system), 'en')} are grouped in "
            f"{count} {what}: "
            f"{_join(names, 'en')}."
        )

    def methodology_change(self, f: Fact) -> str:
        v = f.values
        added = [self.labels.node(i) for i in v["added"]]
        removed = [self.labels.node(i) for i in v["removed"]]
        parts: list[str] = []
        if self.lang == "fr":
            if added:
                new = "nouvel indicateur" if len(added) == 1 else "nouveaux indicateurs"
                parts.append(f"{self.n(len(added))} {new} ({_join(added, 'fr')})")
            if removed:
                gone = "indicateur retiré" if len(removed) == 1 else "indicateurs retirés"
                parts.append(f"{self.n(len(removed))} {gone} ({_join(removed, 'fr')})")
            scale = self._scale_note(v)
            if scale:
                parts.append(f"un barème modifié ({scale})")
            if not parts:
                parts.append(f"une méthodologie modifiée depuis {v['previous_edition']}")
            return f"Édition {f.edition}{NBSP}: {_join(parts, 'fr')}."
        if added:
            new = "new indicator" if len(added) == 1 else "new indicators"
            parts.append(f"{self.n(len(added))} {new} ({_join(added, 'en')})")
        if removed:
            gone = "indicator removed" if len(removed) == 1 else "indicators removed"
            parts.append(f"{self.n(len(removed))} {gone} ({_join(removed, 'en')})")
        scale = self._scale_note(v)
        if scale:
            parts.append(f"a changed scale ({scale})")
        if not parts:
            parts.append(f"a methodology changed since {v['previous_edition']}")
        return f"{f.edition} edition: {_join(parts, 'en')}."

    def _value(self, value: Any) -> str:
        """A scale parameter's value: ``0–10`` for a range, grouped integers, French commas."""
        if isinstance(value, list | tuple):
            return "–".join(self._value(x) for x in value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return self.n(value)
        text = str(value)
        return text.replace(".", ",") if self.lang == "fr" else text

    def _scale_change(self, place: str, change: Any) -> str:
        """ "critères notés sur 10 points au lieu de 5" / "criteria scored out of 10 points
        instead of 5"; a per-node override names the node."""
        fr = self.lang == "fr"
        parameter, new = change.get("parameter"), self._value(change.get("to"))
        old = None if change.get("from") is None else self._value(change.get("from"))
        node = place.split(":", 1)[0]
        label = "" if node == "criteria" else self.labels.node(node)
        if parameter == "max_points":
            if label:
                what = f"{label} sur" if fr else f"{label} out of"
            else:
                what = "critères notés sur" if fr else "criteria scored out of"
            text = f"{what} {new} points"
        elif parameter == "range":
            text = f"échelle {new}" if fr else f"scale {new}"
            text = f"{label}, {text}" if label else text
        else:
            text = f"{label}, {parameter} {new}" if label else f"{parameter} {new}"
        if old is not None:
            text += f" au lieu de {old}" if fr else f" instead of {old}"
        return text

    def _scale_note(self, v: Any) -> str:
        """What changed in the scales, then the flag that scores are not comparable."""
        changes = v.get("scale_changes") or {}
        details = ", ".join(self._scale_change(k, c) for k, c in changes.items())
        comparable = v.get("scores_comparable", not changes)
        prev = v["previous_edition"]
        if comparable:
            return details
        flag = (
            f"scores non comparables avec {prev}"
            if self.lang == "fr"
            else f"scores not comparable with {prev}"
        )
        if not details:
            return flag
        return f"{details}{NARROW_NBSP}; {flag}" if self.lang == "fr" else f"{details}; {flag}"

    def strongest_families(self, f: Fact) -> str:
        names = [self.labels.node(n) for n in f.values["families"]]
        if self.lang == "fr":
            return (
                f"{self.name(f)} se distingue en {_join(names, 'fr')} (rang dans la famille "
                f"meilleur que le rang général ou égal)."
            )
        return (
            f"{self.name(f)} stands out in {_join(names, 'en')} (family rank better than or equal "
            f"to the overall rank)."
        )

    def network_summary(self, f: Fact) -> str:
        v = f.values
        net = v.get("network_name") or v["network"]
        here = int(v.get("members_in_country", v["members_ranked"]))
        total = int(v["members_ranked"])
        noun = self.plural(f, here)
        first = self.labels.institution(v.get("first_member"))
        country = _scope(v.get("country"), "national_rank", self.lang)
        field = self.n(v["country_field"])
        if self.lang == "fr":
            text = (
                f"{self.n(here)} {noun} {_of_network(net)} {'figure' if here == 1 else 'figurent'} "
                f"parmi les {field} "
                f"{self.noun(f).plural} {_classed(self.noun(f))} {country}"
            )
            if total != here:
                text += f" ({self.n(total)} membres classés au total)"
            return text + (f"{NARROW_NBSP}; {first} est en tête du réseau." if first else ".")
        verb = "is" if here == 1 else "are"
        text = f"{self.n(here)} {noun} of {_network_en(net)} {verb} among the {field} "
        text += f"{self.noun(f).plural} ranked {country}"
        if total != here:
            text += f" ({self.n(total)} members ranked in all)"
        return text + (f"; {first} leads the network." if first else ".")

    def network_movement(self, f: Fact) -> str:
        v = f.values
        net = v.get("network_name") or v["network"]
        up, kept, down = (self.n(len(v[k])) for k in ("improved", "kept", "declined"))
        if self.lang == "fr":
            return (
                f"{_network_fr(net)} depuis {v['previous_edition']}{NBSP}: {up} en progrès, "
                f"{kept} {'stables' if len(v['kept']) > 1 else 'stable'}, {down} en recul."
            )
        lead = _network_en(net)
        return (
            f"{lead[0].upper()}{lead[1:]} since {v['previous_edition']}: {up} improved, "
            f"{kept} kept their position, {down} declined."
        )

    def network_entrant(self, f: Fact) -> str:
        v = f.values
        net = v.get("network_name") or v["network"]
        noun = self.noun(f)
        order = self.ord(v["order"], noun.gender) if v.get("order") else ""
        if self.lang == "fr":
            tail = f", {order} {noun.singular} {_of_network(net)} à y figurer" if order else ""
            return f"{self.name(f)} entre au classement en {v['edition']}{tail}."
        tail = f", the {order} {noun.singular} of {_network_en(net)} to do so" if order else ""
        return f"{self.name(f)} entered the ranking in {v['edition']}{tail}."

    def sdg_coverage(self, f: Fact) -> str:
        v = f.values
        ranked, total = self.n(v["ranked"]), self.n(v["total"])
        if self.lang == "fr":
            return f"{self.name(f)} figure dans {ranked} des {total} classements par ODD."
        return f"{self.name(f)} is ranked in {ranked} of the {total} SDG tables."

    def sdg_bands(self, f: Fact) -> str:
        counts = sorted(f.values["counts_by_band"].items(), key=lambda kv: int(kv[0]))
        by_goal = {int(goal): int(rung) for goal, rung in f.values.get("sdgs", {}).items()}
        parts = []
        for i, (rung, count) in enumerate(counts):
            n = self.n(count)
            # a few SDGs in a rung are named (seed 004: "top 200 for SDGs 11 and 12")
            goals = sorted(g for g, r in by_goal.items() if r == int(rung))
            named = ""
            if 0 < len(goals) <= 3 and len(goals) == count:
                named = f" ({_join([str(g) for g in goals], self.lang)})"
            if self.lang == "fr":
                more = " de plus" if i else ""
                parts.append(f"top {self.n(int(rung))} pour {n} ODD{more}{named}")
            else:
                more = " more" if i else (" SDG" if count == 1 else " SDGs")
                parts.append(f"top {self.n(int(rung))} in {n}{more}{named}")
        # every rung is stated: a shortened list would hide the counts of the last ones
        word = " et " if self.lang == "fr" else " and "
        joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + word + parts[-1]
        if self.lang == "fr":
            return f"{self.name(f)} par ODD{NBSP}: {joined}."
        return f"{self.name(f)} by SDG: {joined}."

    def sdg_national_firsts(self, f: Fact) -> str:
        sdgs = [str(s) for s in f.values["sdgs"]]
        if self.lang == "fr":
            word = "l'ODD" if len(sdgs) == 1 else "les ODD"
            return (
                f"{self.name(f)} est au {self.ord(1)} rang national pour {word} "
                f"{_join(sdgs, 'fr')}."
            )
        word = "SDG" if len(sdgs) == 1 else "SDGs"
        return f"{self.name(f)} is first in its country for {word} {_join(sdgs, 'en')}."

    def band_stability(self, f: Fact) -> str:
        v = f.values
        prev, cur = self.n(v["previous_field"]), self.n(v["current_field"])
        plural = self.plural(f, v["previous_field"])
        then, now = v["previous_edition"], f.edition
        if self.lang == "fr":
            return (
                f"{self.name(f)} reste dans la tranche {v['band']} alors que le classement passe "
                f"de {prev} {plural} en {then} à {cur} en {now}."
            )
        return (
            f"{self.name(f)} kept its {v['band']} band while the ranking grew from {prev} "
            f"{plural} in {then} to {cur} in {now}."
        )

    def national_leader_change(self, f: Fact) -> str:
        v = f.values
        before = _join([self.labels.institution(i) for i in v["previous_leader"]], self.lang)
        scope = _scope(v["scope"], "national_rank", self.lang)
        if self.lang == "fr":
            return (
                f"{self.name(f)} prend la tête du classement {scope} "
                f"({v['previous_edition']}{NBSP}: {before})."
            )
        return f"{self.name(f)} takes the lead {scope} ({v['previous_edition']}: {before})."

    def system_first_edition(self, f: Fact) -> str:
        label = _guillemets(self.labels.node(f.system), self.lang)
        first = f.values["first_edition"]
        if self.lang == "fr":
            return f"Le classement {label} existe depuis {first}."
        return f"The {label} ranking has existed since {first}."

    def rank_interval(self, f: Fact) -> str:
        from palmares.highlights.uncertainty import render_rank_interval

        return render_rank_interval(self, f)

    def movement_robustness(self, f: Fact) -> str:
        from palmares.highlights.uncertainty import render_movement_robustness

        return render_movement_robustness(self, f)

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
