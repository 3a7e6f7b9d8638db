"""Writes behind the bearer token: refused before the body is read, nothing changed; accepted
uploads validated like ``palmares validate``; formula-safe exports."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from palmares.dataset import Dataset
from palmares.io import canonical_csv, data_hash, write_dataset

from .conftest import FORMULA_NAME, TOKEN

API = "/api/v1"
WRITES = [
    ("post", f"{API}/bundles"),
    ("post", f"{API}/published"),
    ("delete", f"{API}/cache"),
]


def _zip_of(ds: Dataset, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in canonical_csv(ds).items():
            archive.writestr(f"bundle/{name}.csv", data)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(("method", "url"), WRITES)
def test_writes_without_a_token_are_401_and_change_nothing(
    small_client: TestClient, small_world: Dataset, method: str, url: str
) -> None:
    before = small_client.app.state.context.data_hash  # type: ignore[attr-defined]
    assert before == data_hash(small_world)
    files = {"file": ("b.zip", _zip_of(small_world), "application/zip")}
    kwargs = {"files": files} if method == "post" else {}
    missing = getattr(small_client, method)(url, **kwargs)
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong = getattr(small_client, method)(
        url, headers={"Authorization": "Bearer not-the-token"}, **kwargs
    )
    assert wrong.status_code == 403
    basic = getattr(small_client, method)(url, headers={"Authorization": "Basic eDp5"}, **kwargs)
    assert basic.status_code == 401
    assert small_client.app.state.context.data_hash == before  # type: ignore[attr-defined]
    page = small_client.get(f"{API}/systems/letudiant/editions/2024/ranking").json()
    assert page["data_hash"] == before


def test_a_server_without_a_token_refuses_every_write(small_world: Dataset) -> None:
    from palmares.api import ServiceContext, create_app

    with TestClient(create_app(ServiceContext.from_dataset(small_world))) as c:
        answer = c.delete(f"{API}/cache", headers={"Authorization": "Bearer anything"})
        assert answer.status_code == 403 and "no PALMARES_TOKEN" in answer.json()["detail"]


def test_the_token_is_checked_before_the_body_is_read(small_client: TestClient) -> None:
    huge = {"content-length": str(10**12)}
    refused = small_client.post(f"{API}/bundles", headers=huge, content=b"x")
    assert refused.status_code == 401
    authorised = {**huge, "Authorization": f"Bearer {TOKEN}"}
    too_large = small_client.post(f"{API}/bundles", headers=authorised, content=b"x")
    assert too_large.status_code == 413


def test_read_bodies_are_limited(small_client: TestClient) -> None:
    body = b'{"system": "letudiant", "edition": 2024, "criteria": [' + b'"x",' * 400_000 + b'"x"]}'
    answer = small_client.post(
        f"{API}/personalise", content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413


def test_upload_replaces_the_data_after_validation(
    small_client: TestClient, small_world: Dataset, tmp_path: Path
) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    tables = small_world.to_frames()
    inst = tables["institutions"]
    inst.loc[inst["id"] == "fr-mines-rodez", "name"] = "Rodez, école des mines"
    changed = Dataset(tables)
    outside = tmp_path / "escape.csv"
    payload = _zip_of(changed, {f"../../{outside.name}": b"id\n", "/tmp/abs.csv": b"id\n"})
    answer = small_client.post(
        f"{API}/bundles", headers=auth, files={"file": ("b.zip", payload, "application/zip")}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["data_hash"] == data_hash(changed) != data_hash(small_world)
    assert not outside.exists() and not (tmp_path.parent / outside.name).exists()
    who = small_client.get(f"{API}/institutions/fr-mines-rodez").json()
    assert who["name"] == "Rodez, école des mines"
    xlsx = tmp_path / "bundle.xlsx"
    write_dataset(small_world, xlsx, format="xlsx")
    back = small_client.post(
        f"{API}/bundles", headers=auth, files={"file": ("bundle.xlsx", xlsx.read_bytes())}
    )
    assert back.status_code == 200
    assert back.json()["data_hash"] == data_hash(small_world)


def test_an_invalid_upload_lists_located_problems_and_changes_nothing(
    small_client: TestClient, small_world: Dataset
) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    frames = canonical_csv(small_world)
    obs = frames["observations"].decode().splitlines()
    header = obs[0].split(",")
    row = obs[1].split(",")
    row[header.index("value")] = "12,5"
    obs[1] = ",".join(row[: len(header)])
    broken = {**frames, "observations": ("\n".join(obs) + "\n").encode()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in broken.items():
            archive.writestr(f"{name}.csv", data)
    before = small_client.app.state.context.data_hash  # type: ignore[attr-defined]
    answer = small_client.post(
        f"{API}/bundles", headers=auth, files={"file": ("b.zip", buffer.getvalue())}
    )
    assert answer.status_code == 422
    problems = answer.json()["problems"]
    assert problems and all(p["file"].endswith(".csv") for p in problems)
    assert any(p["row"] == 2 and p["code"] in ("not-a-number", "field-count") for p in problems)
    assert small_client.app.state.context.data_hash == before  # type: ignore[attr-defined]
    junk = small_client.post(f"{API}/bundles", headers=auth, files={"file": ("x.zip", b"junk")})
    assert junk.status_code == 415


def test_purge_drops_computed_answers(small_client: TestClient) -> None:
    small_client.get(f"{API}/systems/letudiant/editions/2024/ranking")
    answer = small_client.delete(f"{API}/cache", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.json()["purged"] >= 1
    again = small_client.get(f"{API}/systems/letudiant/editions/2024/ranking?per_page=1")
    assert again.json()["results"][0]["name"] == FORMULA_NAME


def test_exports_are_formula_safe(small_client: TestClient) -> None:
    base = f"{API}/systems/letudiant/editions/2024/ranking"
    text = small_client.get(base + ".csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    leader = next(r for r in rows if r["institution"] == "fr-randoupon-compiegne")
    assert leader["name"] == "'" + FORMULA_NAME
    assert leader["rank"] == "1" and leader["score"] == "98.0"
    assert len(rows) == 170
    workbook = load_workbook(io.BytesIO(small_client.get(base + ".xlsx").content))
    sheet = workbook["Ranking"]  # the workbook for people (palmares.workbook), English
    header = [c.value for c in sheet[1]]
    cells = {
        row[0].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)
    }
    name = cells["fr-randoupon-compiegne"]["Institution"]
    assert name.data_type == "s" and name.value == FORMULA_NAME
    rank = cells["fr-randoupon-compiegne"]["Rank (number)"]
    assert rank.data_type == "n" and rank.value == 1
    document = small_client.get(base + ".json").json()
    assert document["results"][0]["name"] == FORMULA_NAME  # JSON keeps raw values
    assert document["total"] == len(document["results"]) == 170
    assert small_client.get(base + ".pdf").status_code == 404


def test_a_negative_number_stays_a_number_in_exports() -> None:
    import pandas as pd

    from palmares.api.exports import export_table

    rows = pd.DataFrame({"institution": ["a"], "name": ["-31"], "score": [-31.0]})
    body, _ = export_table({"system": "s"}, rows, "csv")
    assert body.decode().splitlines()[1] == "a,-31,-31.0"


def test_a_published_table_is_imported_as_palmares_import_does(
    small_client: TestClient, small_world: Dataset
) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    table = (
        "Name,Rank,Country,Overall\n"
        "École des mines de Rodez,=150,France,55.1\n"
        "École des mines d'Épinal,201–250,France,\n"
        "Nobody school,5,France,80.0\n"
    )
    form = {"system": "the-wur", "edition": "2024"}
    refused = small_client.post(
        f"{API}/published", data=form, files={"file": ("t.csv", table.encode())}
    )
    assert refused.status_code == 401
    answer = small_client.post(
        f"{API}/published", headers=auth, data=form, files={"file": ("t.csv", table.encode())}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["counts"] == {"published": 2}  # the unknown school is not matched
    assert answer.json()["data_hash"] != data_hash(small_world)
    systems = {s["id"]: s["editions"] for s in small_client.get(f"{API}/systems").json()}
    assert systems["the-wur"] == [2024]
    history = small_client.get(f"{API}/institutions/fr-mines-rodez/history?system=the-wur")
    assert history.json()["editions"][0]["rank"] == 150
    # the imported table is served as printed: a rank, then a band, nothing computed
    page = small_client.get(f"{API}/systems/the-wur/editions/2024/ranking").json()
    assert (page["total"], page["field_size"]) == (2, 2)
    first, second = page["results"]
    assert (first["institution"], first["rank"], first["rank_display"]) == (
        "fr-mines-rodez",
        150,
        "=150",
    )
    assert (second["rank"], second["band_lo"], second["band_hi"]) == (None, 201, 250)
    assert not first["rank_is_computed"] and not second["rank_is_computed"]
    # Every shipped preset has a published-table format (issue 18): L'Etudiant's imports too.
    letudiant = small_client.post(
        f"{API}/published",
        headers=auth,
        data={"system": "letudiant", "edition": "2024"},
        files={"file": ("t.csv", table.encode())},
    )
    assert letudiant.status_code == 200, letudiant.text
    assert letudiant.json()["counts"] == {"published": 2}
    unknown = small_client.post(
        f"{API}/published",
        headers=auth,
        data={"system": "nosuch", "edition": "2024"},
        files={"file": ("t.csv", table.encode())},
    )
    assert unknown.status_code == 404 and "unknown system" in unknown.json()["detail"]
    bad_map = small_client.post(
        f"{API}/published",
        headers=auth,
        data={**form, "map": "rank"},
        files={"file": ("t.csv", table.encode())},
    )
    assert bad_map.status_code == 422 and bad_map.json()["problems"][0]["column"] == "map"
