"""A cap on request body size, counted as the bytes arrive.

Content-Length is checked first, but a client may omit it (chunked upload) or
lie; so the ASGI receive channel is wrapped and the request is refused with 413
as soon as the running total passes the limit, before the body is buffered.

The 413 is sent from inside receive, at the moment the limit is passed, and the
application is then told the client has gone (http.disconnect): whatever it
makes of that (FastAPI's JSON parsing would answer 400) is never sent. So a
chunked body gets the same 413 on every route, whoever reads it.
"""

from __future__ import annotations

import json
import logging

log = logging.getLogger(__name__)


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send)
        seen = 0
        response_started = refused = False

        async def counting_receive():
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    if response_started:  # a streaming route already answering: end it
                        raise BodyTooLarge()
                    refused = True
                    await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message):
            nonlocal response_started
            if refused:
                return  # the 413 has been sent; what the application answers to the "disconnect" is not
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await self._refuse(send)
        except Exception:
            if not refused:
                raise
            # The application failed on the "disconnect" we fed it after refusing: already answered.
            log.debug("request to %s ended after its body was refused", scope.get("path"), exc_info=True)

    async def _refuse(self, send):
        body = json.dumps({"detail": f"the request body is larger than the limit of {self.max_bytes} bytes"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
