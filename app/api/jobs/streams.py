"""A training job's live events over one WebSocket.

    training thread --Job.report_*()--> Subscription (bounded, newest wins)
                                           | notify = loop.call_soon_threadsafe(wake.set)
    this client's coroutines:   send_pending: wake -> take what is pending -> send
                                receive_commands: {"type": "cancel"}, size limit, disconnect
Sending and receiving run side by side, so a client that goes away is noticed
even while nothing is being sent, and a client that stops reading only ever has
its own bounded Subscription waiting: training and the other clients never wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import anyio
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.api.jobs.job import Job, Subscription

log = logging.getLogger(__name__)

CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008  # a foreign Origin
CLOSE_TOO_BIG = 1009
CLOSE_UNKNOWN_JOB = 4404  # 4000-4999 are the application's own; this one mirrors HTTP 404
CANCELLED_BY_CLIENT = "cancelled by a client of its event stream"
# What sending to or reading from a client that has gone away raises (starlette's
# "send after close" is a RuntimeError).
CLIENT_GONE = (WebSocketDisconnect, RuntimeError, OSError, anyio.ClosedResourceError, anyio.EndOfStream)


async def stream_job(websocket: WebSocket, job: Job, max_message_bytes: int) -> None:
    """Send the opening messages, then live events until the job ends or the client leaves."""
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    subscription, opening = job.subscribe(lambda: loop.call_soon_threadsafe(wake.set))
    try:
        for text in opening:
            await websocket.send_text(text)
        if subscription is None:  # the job had already ended: the opening held its final event
            await websocket.close(CLOSE_NORMAL)
            return
        # Whichever side finishes first (the final event sent, or the client gone)
        # ends the other: the task group's scope is cancelled.
        async with anyio.create_task_group() as group:

            async def send_then_stop() -> None:
                with contextlib.suppress(*CLIENT_GONE):
                    await _send_pending(websocket, subscription, wake)
                group.cancel_scope.cancel()

            group.start_soon(send_then_stop)
            with contextlib.suppress(*CLIENT_GONE):
                await _receive_commands(websocket, job, max_message_bytes)
            group.cancel_scope.cancel()
    except CLIENT_GONE as error:  # the client left while the opening was being sent
        log.debug("job %s: stream ended early: %r", job.id, error)
    finally:
        job.unsubscribe(subscription)


async def _send_pending(websocket: WebSocket, subscription: Subscription, wake: asyncio.Event) -> None:
    while True:
        await wake.wait()
        # Cleared before taking: an event offered after take() sets it again, so none is missed.
        wake.clear()
        texts, final = subscription.take()
        for text in texts:
            await websocket.send_text(text)
        if final:
            await websocket.close(CLOSE_NORMAL)
            return


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
