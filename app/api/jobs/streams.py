"""A training job's live events over one WebSocket, and the limits that keep streams light.

    training thread --Job.report_*()--> Subscription (the newest of each kind wins)
                                           | notify = loop.call_soon_threadsafe(wake.set)
    this client's coroutines:   send_pending: wake -> take what is pending -> send
                                              (a trace at most every 1/ws_traces_per_s)
                                receive_commands: {"type": "cancel"}, size limit, disconnect
                                watch_stall: a send stuck for stall_timeout_s -> close, then abort
Sending and receiving run side by side, so a client that goes away is noticed
even while nothing is being sent, and a client that stops reading only ever has
its own bounded Subscription waiting: training and the other clients never wait for it.

A client that stops reading fills the socket's buffers (megabytes of kernel memory
per connection) and then the server's send waits. After stall_timeout_s of that
wait the stream is closed with CLOSE_STALLED and a reason; when the client does
not answer that close at once, the connection is aborted, which
frees the kernel memory at once (StreamTransport below finds the transport).
Each client address may hold at most max_streams_per_client streams; one more is
accepted and closed at once with CLOSE_TRY_LATER and a reason a person can read.

Every client is sent the same encoded frames; what costs per client is the sending,
so a client behind gets only the latest progress (the Subscription), and traces
are capped per client (UNROLLED_WS_TRACES_PER_S): one that comes sooner waits and a
newer one replaces it. The server runs without permessage-deflate (app/cli/commands.py),
which compressed every frame once per client.

With ?encoding=msgpack trace events go out as binary frames (msgpack, arrays as
little-endian float32: app.api.responses); every other event stays JSON text.
Nothing is encoded on the event loop: events come encoded from the training
thread, and the opening status (the whole history) is built in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.api.jobs.events import TraceFrames
from app.api.jobs.job import Job, Subscription
from app.settings import Settings

if TYPE_CHECKING:
    from app.api.jobs.registry import JobRegistry

log = logging.getLogger(__name__)

CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008  # a bad request to the stream (an unknown encoding)
CLOSE_STALLED = 1008  # the client read nothing for stall_timeout_s (policy: streams are for readers)
CLOSE_TOO_BIG = 1009
CLOSE_TRY_LATER = 1013  # too many streams from this address
CLOSE_UNKNOWN_JOB = 4404  # 4000-4999 are the application's own; this one mirrors HTTP 404
CANCELLED_BY_CLIENT = "cancelled by a client of its event stream"
ENCODINGS = ("json", "msgpack")
# How long a close frame may wait for room in a stalled client's buffers before the connection is aborted.
CLOSE_GRACE_S = 1.0
# What sending to or reading from a client that has gone away raises (starlette's
# "send after close" is a RuntimeError).
CLIENT_GONE = (WebSocketDisconnect, RuntimeError, OSError, anyio.ClosedResourceError, anyio.EndOfStream)
STREAM_TRANSPORT = "unrolled.transport"  # the scope key StreamTransport fills


@dataclass(frozen=True)
class StreamOptions:
    max_message_bytes: int  # what the client may send in one message
    stall_timeout_s: float  # a send waiting this long means the client has stopped reading
    binary_traces: bool = False  # trace events as msgpack binary frames
    trace_gap_s: float = 0.0  # at least this long between two traces sent to the client (0: no cap)

    @classmethod
    def from_settings(cls, settings: Settings, binary_traces: bool = False) -> StreamOptions:
        gap = 1.0 / settings.ws_traces_per_s
        return cls(settings.max_ws_message_bytes, settings.ws_stall_timeout_s, binary_traces, gap)


async def serve_job_stream(websocket: WebSocket, job_id: str, jobs: JobRegistry, settings: Settings) -> None:
    """WS /api/jobs/{job_id}/events: accept, check the address's share, the job and the encoding, then stream."""
    streams = _open_streams(websocket)
    address = websocket.client.host if websocket.client else "unknown"
    await websocket.accept()  # refusals after accepting, so a browser can read their reason
    if streams[address] >= settings.max_streams_per_client:
        log.info("refused a stream from %s: %d open already", address, streams[address])
        limit = settings.max_streams_per_client
        await refuse(websocket, CLOSE_TRY_LATER, f"too many streams from one address (at most {limit}); close one")
        return
    streams[address] += 1
    try:
        job = jobs.get(job_id)
        encoding = websocket.query_params.get("encoding", "json")
        if job is None:
            # A close reason may hold 123 bytes at most.
            named = f"no job {job_id!r}" if len(job_id.encode()) <= 64 else "no such job"
            await refuse(websocket, CLOSE_UNKNOWN_JOB, named)
        elif encoding not in ENCODINGS:
            await refuse(websocket, CLOSE_POLICY, "encoding must be json or msgpack")
        else:
            await stream_job(websocket, job, StreamOptions.from_settings(settings, encoding == "msgpack"))
    finally:
        streams[address] -= 1
        if streams[address] <= 0:
            del streams[address]


def _open_streams(websocket: WebSocket) -> Counter:
    """Open streams by client address, one Counter per application (touched only on its event loop)."""
    state = websocket.app.state
    if getattr(state, "open_streams", None) is None:
        state.open_streams = Counter()
    return state.open_streams


class _SendClock:
    """When the send in progress began (None between sends): the stall watchdog reads it."""

    def __init__(self) -> None:
        self.since: float | None = None

    def stalled_for(self) -> float:
        return 0.0 if self.since is None else time.monotonic() - self.since


async def stream_job(websocket: WebSocket, job: Job, options: StreamOptions) -> None:
    """Send the opening messages, then live events until the job ends, the client leaves or stalls."""
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    clock = _SendClock()
    subscription: Subscription | None = None
    stalled = False
    try:
        # In a worker thread: the opening status carries the whole progress history to encode.
        subscription, opening = await anyio.to_thread.run_sync(
            job.subscribe, lambda: loop.call_soon_threadsafe(wake.set)
        )
        # Whichever finishes first (the final event sent, the client gone, a stall) ends the others.
        async with anyio.create_task_group() as group:

            async def send_then_stop() -> None:
                with contextlib.suppress(*CLIENT_GONE):
                    for frame in opening:
                        await _send(websocket, frame, options.binary_traces, clock)
                    if subscription is None:  # the job had already ended: the opening held its final event
                        await websocket.close(CLOSE_NORMAL)
                    else:
                        await _send_pending(websocket, subscription, wake, options, clock)
                group.cancel_scope.cancel()

            async def watch_then_stop() -> None:
                nonlocal stalled
                await _watch_stall(clock, options.stall_timeout_s)
                stalled = True
                group.cancel_scope.cancel()

            group.start_soon(send_then_stop)
            group.start_soon(watch_then_stop)
            with contextlib.suppress(*CLIENT_GONE):
                await _receive_commands(websocket, job, options.max_message_bytes)
            group.cancel_scope.cancel()
    except CLIENT_GONE as error:
        log.debug("job %s: stream ended early: %r", job.id, error)
    finally:
        job.unsubscribe(subscription)
    if stalled:
        await _drop_stalled(websocket, job, options.stall_timeout_s)


async def _send(websocket: WebSocket, frame: str | TraceFrames, binary: bool, clock: _SendClock) -> None:
    clock.since = time.monotonic()
    if isinstance(frame, TraceFrames):
        if binary:
            await websocket.send_bytes(frame.binary)
        else:
            await websocket.send_text(frame.text)
    else:
        await websocket.send_text(frame)
    clock.since = None


async def _send_pending(
    websocket: WebSocket, subscription: Subscription, wake: asyncio.Event, options: StreamOptions, clock: _SendClock
) -> None:
    """Send what the Subscription holds each time it has something, until the final event.
    A trace comes at most once every options.trace_gap_s: one that comes sooner waits in
    the Subscription (a newer one replaces it) and goes when its time comes."""
    next_trace_at = 0.0
    while True:
        due_in = next_trace_at - time.monotonic() if subscription.holds_trace() else None
        with anyio.move_on_after(due_in):  # None: wait for the next event however long
            await wake.wait()
        # Cleared before taking: an event offered after take() sets it again, so none is missed.
        wake.clear()
        frames, final = subscription.take(with_trace=time.monotonic() >= next_trace_at)
        for frame in frames:
            if isinstance(frame, TraceFrames):
                next_trace_at = time.monotonic() + options.trace_gap_s
            await _send(websocket, frame, options.binary_traces, clock)
        if final:
            await websocket.close(CLOSE_NORMAL)
            return


async def _watch_stall(clock: _SendClock, stall_timeout_s: float) -> None:
    """Return once a send has waited stall_timeout_s (the client's buffers full, nothing read)."""
    period = min(1.0, stall_timeout_s / 4)
    while clock.stalled_for() < stall_timeout_s:
        await anyio.sleep(period)


async def _drop_stalled(websocket: WebSocket, job: Job, stall_timeout_s: float) -> None:
    """Close with CLOSE_STALLED and a reason; unless the client answers the close within
    CLOSE_GRACE_S (it reads after all), abort the connection: its unread frames sit in kernel
    buffers, megabytes that a normal close would keep until the client reads them."""
    reason = f"closed: nothing was read for {stall_timeout_s:g} s; reconnect to follow the job again"
    log.info("job %s: dropping a stream client that stopped reading", job.id)
    with anyio.move_on_after(CLOSE_GRACE_S), contextlib.suppress(*CLIENT_GONE):
        await websocket.close(CLOSE_STALLED, reason=reason)
    transport = websocket.scope.get(STREAM_TRANSPORT)
    if transport is None:
        return
    with anyio.move_on_after(CLOSE_GRACE_S):
        while not transport.is_closing():  # the server closes its side once the client answers
            await anyio.sleep(CLOSE_GRACE_S / 20)
    if not transport.is_closing():
        _reset(transport)


def _reset(transport: asyncio.Transport) -> None:
    """Abort with a TCP reset: a plain close of a socket whose sends are unacknowledged keeps
    them queued in the kernel (an orphan, still pinning memory); lingering 0 s discards them."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class StreamTransport:
    """ASGI middleware: puts a WebSocket's asyncio transport in its scope, so a stalled
    stream can be aborted.

    uvicorn's `send` is a method of its protocol object, which holds the transport;
    this middleware must wrap the application outside any middleware that replaces
    `send`. With another server nothing is added, and a stalled client is closed,
    not aborted."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if isinstance(transport, asyncio.Transport):
                scope[STREAM_TRANSPORT] = transport
        await self.app(scope, receive, send)


async def _receive_commands(websocket: WebSocket, job: Job, max_message_bytes: int) -> None:
    """Read until the client disconnects. Everything but {"type": "cancel"} is ignored."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text, data = message.get("text"), message.get("bytes")
        size = len(text.encode()) if text is not None else len(data or b"")
        if size > max_message_bytes:
            await websocket.close(CLOSE_TOO_BIG, reason=f"messages are limited to {max_message_bytes} bytes")
            return
        if _is_cancel(text if text is not None else data):
            job.request_stop(CANCELLED_BY_CLIENT)


def _is_cancel(raw: str | bytes | None) -> bool:
    if not raw:
        return False
    try:
        command = json.loads(raw)
    except ValueError:
        return False
    return isinstance(command, dict) and command.get("type") == "cancel"


async def refuse(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(RuntimeError, OSError):
        await websocket.close(code, reason=reason)
