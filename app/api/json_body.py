"""JSON request bodies parsed and validated in a worker thread, never on the event loop.

FastAPI parses a route's JSON body on the event loop before a plain `def` route
runs in the threadpool: a body of a few MiB (a trace's `x` may hold 10^6 numbers)
holds the loop for hundreds of milliseconds, and every other client waits,
/api/health included. A route that takes a large body declares it as

    body: Annotated[ModelCreate, json_body(ModelCreate, max_bytes=64 * 2**10)]
    and in the route's decorator   openapi_extra=json_body_openapi(ModelCreate)

The dependency awaits the raw bytes (the loop only moves them) and hands parsing
and validation to a worker thread (pydantic's own JSON parser, one pass, no
intermediate dict). Failures become the RequestValidationError FastAPI raises
itself, so the 422 and its message are the ones the route gave before.

A worker thread alone is not enough: pydantic's parser holds the GIL for the whole
document (~10 ms per MiB of numbers), so the loop would still wait for it. A route
whose body has a natural size passes `max_bytes` to read_json_body: a larger body
is refused with 413 before a byte of it is parsed (the trace route bounds it by
what any trace of the model can need).
"""

from __future__ import annotations

import email.message
from typing import Any, TypeVar

import anyio
from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

Body = TypeVar("Body", bound=BaseModel)

# The bound for bodies of a few fields (create, train): far above any real one, far below a
# body whose parsing would hold the event loop for long.
SMALL_BODY_BYTES = 64 * 2**10


def json_body(schema: type[Body], max_bytes: int | None = None, why: str = "") -> Any:
    """A dependency giving the request's JSON body validated as `schema`, parsed off the loop;
    over max_bytes it is refused with 413 unparsed (`why`, the reason for the bound, in the message)."""

    async def parsed(request: Request) -> Body:
        return await read_json_body(request, schema, max_bytes, why)

    return Depends(parsed)


async def read_json_body(request: Request, schema: type[Body], max_bytes: int | None = None, why: str = "") -> Body:
    """The body validated as `schema` in a worker thread; over max_bytes (with `why`, the reason for
    the bound, in the message) it is refused with 413 unparsed, before it is read when its length is declared."""
    declared = request.headers.get("content-length", "")
    if max_bytes is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(int(declared), max_bytes, why)
    raw = await request.body()
    if max_bytes is not None and len(raw) > max_bytes:  # a chunked body declares no length
        raise _too_large(len(raw), max_bytes, why)
    _check_json_type(request.headers.get("content-type"))
    return await anyio.to_thread.run_sync(parse_json_body, schema, raw)


def _too_large(size: int, max_bytes: int, why: str) -> HTTPException:
    because = f" ({why})" if why else ""
    return HTTPException(413, f"the request body has {size} bytes; this route takes at most {max_bytes}{because}")


def json_body_openapi(schema: type[BaseModel]) -> dict:
    """The requestBody entry FastAPI would have written for a body parameter of `schema`
    (a dependency reading the raw body leaves the document without one)."""
    document = schema.model_json_schema(ref_template="#/components/schemas/{model}")
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": document}}}}


def parse_json_body(schema: type[Body], raw: bytes) -> Body:
    """raw validated as `schema`; RequestValidationError (422) with FastAPI's locations and messages."""
    if not raw:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required"}])
    try:
        return schema.model_validate_json(raw)
    except ValidationError as error:
        raise RequestValidationError([_as_fastapi_error(problem) for problem in error.errors()]) from None


def _as_fastapi_error(problem: dict) -> dict:
    # Only loc, msg and type travel: `input` may be the whole multi-MiB body.
    if problem["type"] == "json_invalid":  # worded as FastAPI words its own JSON errors
        return {"type": "json_invalid", "loc": ("body",), "msg": f"JSON decode error: {problem['msg']}"}
    return {"type": problem["type"], "loc": ("body", *problem["loc"]), "msg": problem["msg"]}


def _check_json_type(content_type: str | None) -> None:
    """A body declared as something other than JSON is refused as FastAPI refuses it (422)."""
    if not content_type:
        return
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    if message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json")):
        return
    raise RequestValidationError(
        [{"type": "content_type", "loc": ("body",), "msg": "the body must be JSON (Content-Type: application/json)"}]
    )
