"""Institution search (contracts section 9): by id, name or alias, case- and accent-insensitive,
typo-tolerant (rapidfuzz), best first. Built once per dataset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from palmares.dataset import Dataset
from palmares.names import fold_name


@dataclass(frozen=True)
class SearchIndex:
    keys: list[str]  # folded id, name or alias
    shown: list[str]  # the text as written
    owners: list[str]  # institution id of each key
    names: dict[str, str]
    countries: dict[str, str | None]

    def search(
        self, text: str, *, country: str | None = None, limit: int = 20
    ) -> list[dict[str, Any]]:
        from rapidfuzz import fuzz, process

        wanted = fold_name(text or "")
        if not wanted:
            return []
        choices: Any = self.keys
        if country:
            choices = {
                k: key
                for k, key in enumerate(self.keys)
                if self.countries.get(self.owners[k]) == country
            }
        found = process.extract(
            wanted, choices, scorer=fuzz.WRatio, limit=max(limit * 8, 50), score_cutoff=60
        )
        best: dict[str, tuple[float, str]] = {}
        for _, score, k in found:
            owner = self.owners[k]
            exact = 100.0 if self.keys[k] == wanted else float(score)
            if owner not in best or exact > best[owner][0]:
                best[owner] = (exact, self.shown[k])
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
        return [
            {
                "id": owner,
                "name": self.names[owner],
                "country": self.countries.get(owner),
                "matched": matched,
                "score": round(score, 1),
            }
            for owner, (score, matched) in ranked
        ]


def search_index(ds: Dataset) -> SearchIndex:
    inst = ds.institutions
    keys: list[str] = []
    shown: list[str] = []
    owners: list[str] = []
    names: dict[str, str] = {}
    countries: dict[str, str | None] = {}
    columns = [c for c in ("name", "name_en", "name_fr") if c in inst.columns]
    for row in inst.itertuples(index=False):
        ident = str(row.id)
        names[ident] = str(row.name)
        country = getattr(row, "country", None)
        countries[ident] = country if isinstance(country, str) else None
        seen = set()
        for text in [ident, *(getattr(row, c) for c in columns)]:
            if isinstance(text, str) and text and text not in seen:
                seen.add(text)
                keys.append(fold_name(text))
                shown.append(text)
                owners.append(ident)
    aliases = ds.aliases
    for owner, name in zip(aliases["institution"], aliases["name"], strict=True):
        if isinstance(name, str) and owner in names:
            keys.append(fold_name(name))
            shown.append(name)
            owners.append(str(owner))
    return SearchIndex(keys, shown, owners, names, countries)
