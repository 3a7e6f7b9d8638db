"""Pure ASGI middleware: write authorisation before the body is read, body size limits,
ETag / If-None-Match, and a Server-Timing header on every answer."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from palmares.api.errors import PROBLEM_JSON, ApiError
from palmares.translatable import tr

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: (method, path) of the routes that change data; they need the bearer token.
WRITES = {
    ("POST", "/api/v1/bundles"),
    ("POST", "/api/v1/published"),
    ("DELETE", "/api/v1/cache"),
}
#: Largest request body accepted (uploads); every other request is far smaller.
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
MAX_BODY_BYTES = 1024 * 1024
NO_ETAG_PREFIXES = ("/api/v1/jobs", "/docs", "/openapi.json", "/static-offline-docs")


async def send_problem(send: Send, error: ApiError, instance: str, lang: str | None = None) -> None:
    body = json.dumps(error.document(instance, lang), ensure_ascii=False).encode("utf-8")
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in error.headers.items()),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def token_problem(authorization: str | None, token: str | None) -> ApiError | None:
    """None when the bearer token is right; else the 401 or 403 to answer."""
    scheme, _, given = (authorization or "").partition(" ")
    if not authorization or scheme.lower() != "bearer" or not given.strip():
        return ApiError(
            401,
            tr("this route changes data: send Authorization: Bearer $PALMARES_TOKEN"),
            headers={"WWW-Authenticate": 'Bearer realm="palmares"'},
        )
    if not token:
        return ApiError(403, tr("writes are disabled: the server has no PALMARES_TOKEN"))
    if not hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8")):
        return ApiError(403, tr("the bearer token is not the server's PALMARES_TOKEN"))
    return None


class GuardMiddleware:
    """Authorisation of writes and body limits, checked before any byte of the body is read."""

    def __init__(self, app: ASGIApp, token: Callable[[], str | None]) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        path = scope["path"]
        headers = dict(scope.get("headers") or [])
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), True))
        lang = query.get("lang") if query.get("lang") in ("fr", "en") else None
        limit = MAX_BODY_BYTES
        if (method, path.rstrip("/") or "/") in WRITES:
            authorization = headers.get(b"authorization", b"").decode("latin-1")
            refused = token_problem(authorization, self.token())
            if refused is not None:
                await send_problem(send, refused, path, lang)
                return
            limit = MAX_UPLOAD_BYTES
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await send_problem(
                    send, ApiError(400, tr("Content-Length is not a number")), path, lang
                )
                return
            if declared > limit:
                await send_problem(send, ApiError(413, too_large(limit)), path, lang)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, limited, send)
        except BodyTooLarge as error:
            await send_problem(send, ApiError(413, too_large(error.limit)), path, lang)


def too_large(limit: int) -> Any:
    return tr("the body is over {limit} bytes", limit=limit)


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class CacheMiddleware:
    """ETag from the data and methodology hashes, path, query, language, view and format;
    ``If-None-Match`` answered 304 without running the route; ``Server-Timing`` everywhere."""

    def __init__(self, app: ASGIApp, fingerprint: Callable[[], str]) -> None:
        self.app = app
        self.fingerprint = fingerprint

    def etag(self, scope: Scope) -> str:
        query = sorted(parse_qsl(scope.get("query_string", b"").decode("latin-1"), True))
        params = dict(query)
        path = scope["path"]
        fmt = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else "json"
        headers = dict(scope.get("headers") or [])
        accept_language = headers.get(b"accept-language", b"").decode("latin-1")
        key = "\n".join(
            [
                self.fingerprint(),
                path,
                repr(query),
                params.get("lang", "") or accept_language,
                params.get("view", "published"),
                params.get("format", fmt),
            ]
        )
        return '"' + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + '"'

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        cacheable = scope["method"] in ("GET", "HEAD") and not scope["path"].startswith(
            NO_ETAG_PREFIXES
        )
        etag = self.etag(scope) if cacheable else None
        if etag is not None:
            headers = dict(scope.get("headers") or [])
            wanted = headers.get(b"if-none-match", b"").decode("latin-1")
            if wanted and (wanted.strip() == "*" or etag in [w.strip() for w in wanted.split(",")]):
                took = (time.perf_counter() - start) * 1000
                await send(
                    {
                        "type": "http.response.start",
                        "status": 304,
                        "headers": [
                            (b"etag", etag.encode()),
                            (b"server-timing", f"app;dur={took:.2f}".encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": b""})
                return

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - start) * 1000
                headers = list(message.get("headers") or [])
                headers.append((b"server-timing", f"app;dur={took:.2f}".encode()))
                if etag is not None and message["status"] == 200:
                    headers.append((b"etag", etag.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, timed)
