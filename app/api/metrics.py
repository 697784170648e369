"""What /metrics reports, in the Prometheus text format (prometheus-client).

    unrolled_http_requests_total{method, route, status}       requests answered
    unrolled_http_request_duration_seconds{method, route}      latency histogram, first byte in to last byte out
    unrolled_websocket_clients                                 event streams open now
    unrolled_jobs{status}                                      training jobs kept, by status (queued, running, ...)
    unrolled_training_steps_per_second                         summed over running jobs
    process_*                                                  the server process's memory, CPU time, open files

Requests are labelled by route template ("/api/models/{name}/trace"), never by
the raw path, so model names cannot multiply the series; a request answered
before routing (refused by a middleware) or matching no route is route="none".
Each application has its own CollectorRegistry (app.state.metrics), so many
apps in one process (the tests) never share or collide. Jobs are read at
scrape time from the job registry's public counts() and list(), so nothing in
the training path has to report to this module.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.routing import Match, Mount, Route, WebSocketRoute

from app.api.routers.metrics import router
from app.logs import bind_request, unbind_request

NO_ROUTE = "none"
# From 1 ms (health, a small trace) to 30 s (a large trace on a busy CPU).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Always reported, even at zero, so a dashboard's series exist from the first scrape.
JOB_STATUSES = ("queued", "running")


class Metrics:
    """One application's metrics and the registry that holds them."""

    def __init__(self, jobs: Callable[[], object | None]):
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "unrolled_http_requests",
            "HTTP requests answered, by route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "unrolled_http_request_duration_seconds",
            "Time from a request's arrival to its response's last byte, by route template.",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.websocket_clients = Gauge(
            "unrolled_websocket_clients",
            "WebSocket connections open now (accepted, not yet closed).",
            registry=self.registry,
        )
        self.registry.register(JobCollector(jobs))
        ProcessCollector(registry=self.registry)  # reads /proc; reports nothing where there is none


class JobCollector(Collector):
    """Reads the job registry when scraped. `jobs` returns it, or None before the server has started."""

    def __init__(self, jobs: Callable[[], object | None]):
        self._jobs = jobs

    def describe(self) -> Iterable:
        return []  # unknown until scraped (the label values); prometheus-client then calls collect() only

    def collect(self) -> Iterable[GaugeMetricFamily]:
        registry = self._jobs()
        counts = dict.fromkeys(JOB_STATUSES, 0)
        steps_per_s = 0.0
        if registry is not None:
            counts.update(registry.counts())
            for job in registry.list():
                rate = getattr(job, "steps_per_s", None)
                if getattr(job, "status", None) == "running" and isinstance(rate, int | float):
                    steps_per_s += rate
        jobs = GaugeMetricFamily("unrolled_jobs", "Training jobs kept by the server, by status.", labels=["status"])
        for status, count in sorted(counts.items()):
            jobs.add_metric([status], count)
        yield jobs
        yield GaugeMetricFamily(
            "unrolled_training_steps_per_second",
            "Optimizer steps per second, summed over the running jobs (each job's latest report).",
            value=steps_per_s,
        )


def route_template(scope: dict, routes: Sequence = (), root_path: str = "") -> str:
    """The matched route's path template ("/api/models/{name}"); NO_ROUTE when none is known.

    FastAPI shares an included router's route objects, so scope["route"] (when set) lacks
    the include prefix; the prefixed template is on the effective route context FastAPI
    keeps in the scope. Older FastAPI copied routes with the prefix (scope["route"]). The
    app's own top-level routes and mounts (/docs, /static) set neither, so they are matched
    again here, on a fresh scope, with starlette's public Route.matches. tests/api/test_metrics.py
    pins the result for the FastAPI in constraints.txt.
    """
    effective = (scope.get("fastapi") or {}).get("effective_route_context")
    template = getattr(effective, "path_format", None) or getattr(scope.get("route"), "path_format", None)
    if template:
        return template
    fresh = {
        "type": scope["type"],
        "path": scope.get("path", ""),
        "root_path": root_path,
        "method": scope.get("method"),
    }
    for route in routes:
        if isinstance(route, Route | WebSocketRoute | Mount) and route.matches(fresh)[0] is Match.FULL:
            return route.path_format
    return NO_ROUTE


class RequestMetrics:
    """ASGI middleware: counts and times every HTTP request, counts open WebSockets, and binds
    the request to the log context (app/logs.py) while it is answered. Add it last: outermost,
    it sees every request, including those another middleware refuses."""

    def __init__(self, app, metrics: Metrics, routes: Sequence = ()):
        self.app = app
        self.metrics = metrics
        self.routes = routes  # the application's top-level routes (route_template)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope, receive, send):
        started = time.perf_counter()
        root_path = scope.get("root_path", "")  # before a mount extends it
        status = 500  # what the client gets if the app raises before answering (ServerErrorMiddleware)

        async def send_recording_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        token = bind_request(scope, secrets.token_hex(4))
        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            unbind_request(token)
            route, method = route_template(scope, self.routes, root_path), scope.get("method", "")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)

    async def _websocket(self, scope, receive, send):
        accepted = False

        async def send_noting_accept(message):
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                self.metrics.websocket_clients.inc()
            await send(message)

        token = bind_request(scope, secrets.token_hex(4))
        try:
            await self.app(scope, receive, send_noting_accept)
        finally:
            unbind_request(token)
            if accepted:
                self.metrics.websocket_clients.dec()


def install_metrics(app) -> Metrics:
    """Give a FastAPI app its metrics, GET /metrics and the middleware. Call it after every
    other add_middleware, so the middleware is the outermost."""
    metrics = Metrics(jobs=lambda: getattr(app.state, "jobs", None))
    app.state.metrics = metrics
    app.include_router(router)
    app.add_middleware(RequestMetrics, metrics=metrics, routes=app.router.routes)
    return metrics
