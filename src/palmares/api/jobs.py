"""Jobs for long work (uncertainty, sensitivity): queued on a one-thread pool (one job at a
time, the rest wait), progress reported, results kept and reused for the same question."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from palmares.api import models as m
from palmares.api.errors import ApiError, not_found
from palmares.api.routes import ERRORS
from palmares.jsonsafe import json_safe
from palmares.translatable import tr

if TYPE_CHECKING:
    from palmares.api.context import ServiceContext

router = APIRouter(prefix="/api/v1/jobs")


@dataclass
class Job:
    id: str
    kind: str
    key: str
    system: str
    edition: int
    status: str = "queued"
    progress: float = 0.0
    result: dict[str, Any] | None = None
    intervals: Any = None  # uncertainty: the Intervals for charts
    error: str | None = None
    reused: bool = False
    done: threading.Event = field(default_factory=threading.Event)

    def status_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "progress": round(self.progress, 4),
            "result_url": f"/api/v1/jobs/{self.id}/result" if self.status == "done" else None,
            "error": self.error,
            "reused": self.reused,
        }


class JobQueue:
    """One worker thread: jobs run one at a time, in the order they came."""

    def __init__(
        self, context: ServiceContext, *, workers: int = 1, scheduler: str | None = None
    ) -> None:
        """``scheduler``: a Dask scheduler address (``palmares serve --scheduler``) that runs
        the draws; without it they run on this process's job thread."""
        self.context = context
        self.scheduler = scheduler or os.environ.get("PALMARES_SCHEDULER") or None
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="palmares-job")
        self._jobs: dict[str, Job] = {}
        self._by_key: dict[str, str] = {}
        self._lock = threading.Lock()

    def submit(self, kind: str, system: str, edition: int, params: dict[str, Any]) -> Job:
        ctx = self.context
        methodology_hash = ctx.methodology(system, edition)["hash"]
        key = hashlib.sha256(
            json.dumps(
                [kind, system, edition, params, ctx.data_hash, methodology_hash], sort_keys=True
            ).encode()
        ).hexdigest()
        with self._lock:
            known = self._by_key.get(key)
            if known is not None and self._jobs[known].status != "failed":
                job = self._jobs[known]
                if job.status == "done":
                    job.reused = True
                return job
            job = Job(uuid.uuid4().hex, kind, key, system, edition)
            self._jobs[job.id] = job
            self._by_key[key] = job.id
        stored = self._stored(key)
        if stored is not None:  # computed earlier (another worker, an earlier run): reuse
            job.result, job.status, job.progress, job.reused = stored, "done", 1.0, True
            job.done.set()
            return job
        self._pool.submit(self._run, job, params)
        return job

    def _stored(self, key: str) -> dict[str, Any] | None:
        try:
            text = self.context.source.get_answer(f"job:{key}")
        except Exception:  # the store is busy or gone: compute instead
            return None
        return None if text is None else dict(json.loads(text))

    def _keep(self, job: Job) -> None:
        try:
            payload = json.dumps(job.result, ensure_ascii=False)
            self.context.source.put_answer(f"job:{job.key}", f"api-{job.kind}", payload)
        except Exception:  # keeping is an optimisation: the job's answer stands
            return

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise not_found(tr("unknown job"), job_id, [])
        return job

    def latest_document(self, kind: str, system: str, edition: int) -> dict[str, Any] | None:
        """The newest finished job's result document of that kind for an edition (computed
        here or reused from the store), or None."""
        for job in reversed(list(self._jobs.values())):
            if (job.kind, job.system, job.edition, job.status) == (kind, system, edition, "done"):
                return job.result
        return None

    def latest_result(self, kind: str, system: str, edition: int) -> Any:
        for job in reversed(list(self._jobs.values())):
            if (job.kind, job.system, job.edition, job.status) == (kind, system, edition, "done"):
                return job.intervals
        return None

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, job: Job, params: dict[str, Any]) -> None:
        job.status = "running"
        try:
            if job.kind == "uncertainty":
                self._uncertainty(job, params)
            else:
                self._sensitivity(job, params)
            job.progress = 1.0
            self._keep(job)
            job.status = "done"
        except Exception as error:  # a job's failure is reported, never raised
            job.error = f"{type(error).__name__}: {error}"
            job.status = "failed"
        finally:
            job.done.set()

    def _uncertainty(self, job: Job, params: dict[str, Any]) -> None:
        from palmares.uncertainty import uncertainty
        from palmares.uncertainty.intervals import intervals_of

        ctx = self.context
        snap = ctx.snapshot

        def progress(done: int, total: int) -> None:
            job.progress = done / max(total, 1)

        found = uncertainty(
            snap.dataset,
            job.system,
            job.edition,
            params["draws"],
            seed=params["seed"],
            spec=_spec(params.get("spec")),
            top_k=params.get("top_k"),
            progress=progress,
            data_hash=snap.data_hash,
            scheduler=self.scheduler,
        )
        job.result = json_safe(found.to_json())
        job.intervals = intervals_of(found)

    def _sensitivity(self, job: Job, params: dict[str, Any]) -> None:
        from palmares.uncertainty.sensitivity import sensitivity

        snap = self.context.snapshot
        found = sensitivity(
            snap.dataset,
            job.system,
            job.edition,
            params["samples"],
            seed=params["seed"],
            data_hash=snap.data_hash,
        )
        job.result = json_safe(found.to_json())


def _spec(text: str | None) -> Any:
    from palmares.uncertainty.spec import LoadedSpec, SpecSource, UncertaintySpec, parse_spec

    if not text:
        return LoadedSpec(UncertaintySpec(), SpecSource())
    return parse_spec(text, "spec")


async def queue(request: Request) -> JobQueue:
    return request.app.state.context.jobs


Queue = Annotated[JobQueue, Depends(queue)]
JobId = Annotated[str, Path(max_length=64)]


def _accepted(job: Job) -> JSONResponse:
    return JSONResponse(
        {"id": job.id, "status_url": f"/api/v1/jobs/{job.id}"},
        status_code=202,
        headers={"Location": f"/api/v1/jobs/{job.id}"},
    )


@router.post("/uncertainty", status_code=202, response_model=m.JobAccepted, responses=ERRORS)
def submit_uncertainty(jobs: Queue, body: m.UncertaintyJobRequest) -> Any:
    """Queue rank intervals under perturbed weights (Monte Carlo; at most 100,000 draws)."""
    ctx = jobs.context
    system = ctx.check_system(body.system)
    year = ctx.check_edition(system, body.edition)
    if body.spec:
        from palmares.problems import InvalidInput

        try:
            _spec(body.spec)
        except InvalidInput as error:
            raise ApiError(
                422, tr("the uncertainty spec is invalid"), problems=error.problems
            ) from None
    params = {"draws": body.draws, "seed": body.seed, "spec": body.spec, "top_k": body.top_k}
    return _accepted(jobs.submit("uncertainty", system, year, params))


@router.post("/sensitivity", status_code=202, response_model=m.JobAccepted, responses=ERRORS)
def submit_sensitivity(jobs: Queue, body: m.SensitivityJobRequest) -> Any:
    """Queue Sobol indices of ranks (SALib; ``samples`` a power of 2)."""
    ctx = jobs.context
    system = ctx.check_system(body.system)
    year = ctx.check_edition(system, body.edition)
    if body.samples & (body.samples - 1):
        from palmares.api.errors import bad_request

        raise bad_request("samples", tr("a power of 2"), body.samples, status=422)
    params = {"samples": body.samples, "seed": body.seed}
    return _accepted(jobs.submit("sensitivity", system, year, params))


@router.get("/{id}", response_model=m.JobStatus, responses=ERRORS)
def job_status(jobs: Queue, id: JobId) -> Any:
    """A job's status and progress; ``result_url`` once done."""
    return jobs.get(id).status_json()


@router.get("/{id}/result", response_model=dict[str, Any], responses=ERRORS)
def job_result(jobs: Queue, id: JobId) -> Any:
    """A finished job's result (the CLI's ``--json`` document)."""
    job = jobs.get(id)
    if job.status != "done" or job.result is None:
        if job.error:
            said = tr("job {id} is {status}: {error}", id=id, status=job.status, error=job.error)
        else:
            said = tr("job {id} is {status}", id=id, status=job.status)
        raise ApiError(409, said)
    return job.result
