"""GET /metrics: the server's metrics in the Prometheus text format (see app/api/metrics.py).

At the root, where Prometheus looks by default, not under /api; left out of the
OpenAPI document, which describes the application's API (docs/operations.md
lists the series). Read-only. The format follows the scraper's Accept header
(prometheus-client's choose_encoder): the classic text format 0.0.4 unless it
asks for OpenMetrics or a newer text version.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client.exposition import choose_encoder

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    # A plain def: FastAPI runs it on a worker thread, so a scrape never holds the
    # event loop while the job registry's lock is taken.
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(request.app.state.metrics.registry), headers={"Content-Type": content_type})
