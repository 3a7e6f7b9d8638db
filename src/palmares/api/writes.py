"""Writes behind ``Authorization: Bearer $PALMARES_TOKEN`` (checked by the guard middleware
before the body is read): bundle upload, published table import, cache purge.

Uploads are read in memory (or a private temporary folder removed at once) and validated with
the same located problems as ``palmares validate``; nothing is written outside the store.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.security import HTTPBearer

from palmares.api import models as m
from palmares.api.errors import (
    PROBLEM_JSON,
    ApiError,
    ProblemDocument,
    bad_request,
    invalid_input,
)
from palmares.problems import InvalidInput
from palmares.translatable import tr, tr_n

router = APIRouter(prefix="/api/v1", dependencies=[Depends(HTTPBearer(auto_error=False))])

WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ProblemDocument, "content": {PROBLEM_JSON: {}}}
    for code in (400, 401, 403, 404, 413, 415, 422)
}
MAX_MEMBERS = 64


def _context(request: Request) -> Any:
    return request.app.state.context


def _unzip(data: bytes, folder: Path) -> None:
    """The CSV members of a zip, flattened into ``folder`` (no path from the archive is used)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ApiError(
            415, tr("the upload is neither an .xlsx workbook nor a .zip of CSV")
        ) from None
    members = [i for i in archive.infolist() if not i.is_dir()]
    if len(members) > MAX_MEMBERS:
        said = tr_n(
            "the archive has {n} files (at most {most})",
            "the archive has {n} files (at most {most})",
            len(members),
            most=MAX_MEMBERS,
        )
        raise ApiError(413, said)
    total = sum(i.file_size for i in members)
    if total > 512 * 1024 * 1024:
        raise ApiError(413, tr("the archive unpacks to more than 512 MiB"))
    for info in members:
        name = Path(info.filename).name
        if not name.lower().endswith(".csv") or name.startswith("."):
            continue
        (folder / name).write_bytes(archive.read(info))


def read_upload(filename: str, data: bytes) -> Any:
    """A Dataset from an uploaded .xlsx or .zip of CSV tables (InvalidInput when invalid)."""
    import palmares

    is_xlsx = filename.lower().endswith(".xlsx") or (
        data[:2] == b"PK" and b"xl/workbook" in data[:4096]
    )
    with tempfile.TemporaryDirectory(prefix="palmares-upload-") as tmp:
        if is_xlsx:
            path = Path(tmp) / "bundle.xlsx"
            path.write_bytes(data)
            return palmares.load(path)
        folder = Path(tmp) / "bundle"
        folder.mkdir()
        _unzip(data, folder)
        if not any(folder.iterdir()):
            raise ApiError(422, tr("the archive holds no CSV table"))
        return palmares.load(folder)


@router.post("/bundles", response_model=m.WriteAnswer, responses=WRITE_ERRORS)
async def upload_bundle(
    request: Request, file: Annotated[UploadFile, File(description=".xlsx or .zip of CSV")]
) -> Any:
    """Replace the data with an uploaded bundle, validated first (nothing changes on error)."""
    ctx = _context(request)
    data = await file.read()
    try:
        dataset = read_upload(file.filename or "", data)
    except InvalidInput as error:
        raise invalid_input(error) from None
    except (ValueError, OSError, KeyError) as error:
        raise ApiError(422, tr("unreadable bundle: {reason}", reason=str(error))) from None
    snap = ctx.source.replace(dataset)
    counts = {
        "institutions": len(dataset.institutions),
        "observations": len(dataset.observations),
        "published": len(dataset.published),
    }
    return {"ok": True, "data_hash": snap.data_hash, "detail": "bundle loaded", "counts": counts}


@router.post("/published", response_model=m.WriteAnswer, responses=WRITE_ERRORS)
async def import_published(
    request: Request,
    file: Annotated[UploadFile, File(description="A publisher's table (.csv or .xlsx)")],
    system: Annotated[str, Form(max_length=200)],
    edition: Annotated[int, Form()],
    map: Annotated[list[str] | None, Form(description="FIELD=HEADER, repeatable")] = None,
) -> Any:
    """Add a published table (as ``palmares import``) to the data."""
    from palmares.api.publish import import_table

    ctx = _context(request)
    mapping: dict[str, str] = {}
    for item in map or []:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            expected = tr("{item!r}: expected FIELD=HEADER", item=item)
            raise bad_request("map", expected, item, status=422)
        mapping[key.strip()] = value.strip()
    data = await file.read()
    dataset, rows = import_table(
        ctx.dataset, file.filename or "table.csv", data, system, edition, mapping
    )
    snap = ctx.source.replace(dataset)
    return {
        "ok": True,
        "data_hash": snap.data_hash,
        "detail": f"{rows} published rows added to {system} {edition}",
        "counts": {"published": rows},
    }


@router.delete("/cache", response_model=m.PurgeAnswer, responses=WRITE_ERRORS)
def purge_cache(request: Request) -> Any:
    """Drop every computed answer (tables, histories, searches); data unchanged."""
    ctx = _context(request)
    purged = ctx.source.purge()
    return {"purged": purged, "data_hash": ctx.data_hash}
