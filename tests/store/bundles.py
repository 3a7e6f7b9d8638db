"""A small canonical bundle with every trap a store must keep: extra columns of each kind,
Namibia's ``NA``, an id like ``007``, quotes, commas and accents in names, empty optional
cells, published rows, lineage and networks."""

from __future__ import annotations

from pathlib import Path

TABLES: dict[str, str] = {
    "institutions.csv": (
        "id,name,country,region,region_code,city,name_en,name_fr,gender,type,founded,share\n"
        '007,"École des Mines d\'Alès",FR,Occitanie,FR-OCC,Alès,IMT Mines Ales,,,school,1843,0.25\n'
        "nam,University of Namibia,NA,,,Windhoek,,,,university,1992,\n"
        'q1,"Université ""Quote"", Paris",FR,,,,,,,university,,1.5\n'
        "zz,Zeta Institute,DE,,,Berlin,,,,,,\n"
    ),
    "aliases.csv": (
        "institution,name,lang,valid_from,valid_to\n"
        "007,Mines Alès,fr,2010,\n"
        "007,EMA,,,2011\n"
        "q1,Quote University,en,,\n"
    ),
    "lineage.csv": "predecessor,successor,year,kind\nzz,q1,2021,merger\n",
    "networks.csv": (
        "network,network_name,institution,role,since,until\n"
        "imt,Institut Mines-Télécom,007,member,2012,\n"
        "imt,Institut Mines-Télécom,q1,affiliate,,2020\n"
    ),
    "indicators.csv": (
        "id,label_en,label_fr,parent,direction,unit,decimals,source,description,weight_hint\n"
        "s,System S,Système S,,,,,,,\n"
        's.a,Teaching,Enseignement,s,higher,%,1,survey,"a, b",0.5\n'
        "s.b,Cost,Coût,s,lower,EUR,0,,,\n"
    ),
    "editions.csv": (
        "system,year,label_en,label_fr,published_on,edition_note\n"
        "s,2023,S 2023,S 2023,2023-06-01,first\n"
        "s,2024,S 2024,S 2024,,\n"
    ),
    "observations.csv": (
        "institution,indicator,system,year,value,status,source\n"
        "007,s.a,s,2023,71.5,reported,\n"
        "007,s.b,s,2023,1200,reported,web\n"
        "nam,s.a,s,2023,,missing,\n"
        "nam,s.b,s,2023,800.25,estimated,\n"
        "q1,s.a,s,2023,0.1,reported,\n"
        "q1,s.b,s,2023,,not_applicable,\n"
        "007,s.a,s,2024,73,reported,\n"
        "q1,s.a,s,2024,65.125,reported,\n"
        "zz,s.a,s,2024,1e-07,reported,\n"
    ),
    "published.csv": (
        "institution,system,year,node,rank,rank_display,band_lo,band_hi,score,score_lo,"
        "score_hi,status\n"
        "007,s,2023,s,1,1,,,88.5,,,ranked\n"
        "q1,s,2023,s,,201-250,201,250,,,,banded\n"
    ),
}


def write_bundle(folder: Path, tables: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (tables or TABLES).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def big_bundle(folder: Path, institutions: int = 400, years: int = 6) -> Path:
    """A bundle of ``institutions`` x 2 indicators x ``years`` observations (load timing)."""
    lines = ["institution,indicator,system,year,value,status,source"]
    for i in range(institutions):
        for y in range(2015, 2015 + years):
            lines.append(f"i{i:05d},s.a,s,{y},{(i * 7 + y) % 101}.5,reported,")
            lines.append(f"i{i:05d},s.b,s,{y},{(i * 3 + y) % 97},reported,")
    tables = dict(TABLES)
    tables["observations.csv"] = "\n".join(lines) + "\n"
    tables["institutions.csv"] = "id,name,country\n" + "".join(
        f"i{i:05d},Institution {i},FR\n" for i in range(institutions)
    )
    tables["editions.csv"] = "system,year\n" + "".join(
        f"s,{y}\n" for y in range(2015, 2015 + years)
    )
    for name in ("aliases.csv", "lineage.csv", "networks.csv", "published.csv"):
        tables.pop(name)
    return write_bundle(folder, tables)
