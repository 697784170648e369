"""GET /metrics: the Prometheus text format, requests by route template, jobs and WebSocket clients."""

from __future__ import annotations

import time
from types import SimpleNamespace

from prometheus_client.parser import text_string_to_metric_families

from app.api.metrics import JobCollector
from tests.api.test_jobs import train

Samples = dict[tuple[str, frozenset], float]


def scrape(client) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_route_template_never_by_model_name(client):
    for name in ("alpha", "beta", "gamma"):
        assert client.get(f"/api/models/{name}").status_code == 404
    client.get("/api/health")
    response = client.get("/metrics")
    samples = scrape(client)
    assert value(samples, "unrolled_http_requests_total", method="GET", route="/api/models/{name}", status="404") == 3
    assert value(samples, "unrolled_http_requests_total", method="GET", route="/api/health", status="200") == 1
    assert not any(name in response.text for name in ("alpha", "beta", "gamma"))


def test_latency_is_a_histogram_per_route(client):
    for _ in range(4):
        client.get("/api/health")
    samples = scrape(client)
    route = {"method": "GET", "route": "/api/health"}
    assert value(samples, "unrolled_http_request_duration_seconds_count", **route) == 4
    assert value(samples, "unrolled_http_request_duration_seconds_bucket", le="+Inf", **route) == 4
    assert value(samples, "unrolled_http_request_duration_seconds_sum", **route) > 0


def test_paths_that_match_no_route_share_one_series_and_files_their_mount(client):
    for path in ("/no/such/thing", "/api/nothing-here", "/wp-admin.php"):
        assert client.get(path).status_code == 404
    client.get("/static/js/main.js")
    samples = scrape(client)
    assert value(samples, "unrolled_http_requests_total", method="GET", route="none", status="404") == 3
    assert value(samples, "unrolled_http_requests_total", method="GET", route="/static/{path}", status="200") == 1


def test_a_request_refused_before_routing_is_counted_with_its_status(client):
    response = client.get("/api/health", headers={"host": "evil.example"})
    assert response.status_code == 400
    samples = scrape(client)
    assert value(samples, "unrolled_http_requests_total", method="GET", route="none", status="400") == 1


def test_each_application_counts_its_own_requests(make_client):
    first, second = make_client(), make_client()
    first.get("/api/health")
    first.get("/api/health")
    second.get("/api/health")
    health = {"method": "GET", "route": "/api/health", "status": "200"}
    assert value(scrape(first), "unrolled_http_requests_total", **health) == 2
    assert value(scrape(second), "unrolled_http_requests_total", **health) == 1


def test_jobs_and_websocket_clients_are_reported_while_they_last(client, make_model, held_jobs):
    make_model("m", hidden_size=4)
    samples = scrape(client)
    assert value(samples, "unrolled_jobs", status="running") == value(samples, "unrolled_jobs", status="queued") == 0
    assert value(samples, "unrolled_websocket_clients") == 0
    job = train(client, steps=5, batch_size=2)  # held before its first step (held_jobs)
    with client.websocket_connect(f"/api/jobs/{job['id']}/events") as ws:
        ws.receive_json()  # the opening status: the socket is open
        samples = scrape(client)
        assert value(samples, "unrolled_websocket_clients") == 1
        assert value(samples, "unrolled_jobs", status="queued") + value(samples, "unrolled_jobs", status="running") == 1
    deadline = time.monotonic() + 10  # the server notices the closed socket on its next receive
    while value(scrape(client), "unrolled_websocket_clients") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert value(scrape(client), "unrolled_websocket_clients") == 0


def test_training_speed_is_summed_over_the_running_jobs_only():
    jobs = [
        SimpleNamespace(status="running", steps_per_s=120.0),
        SimpleNamespace(status="running", steps_per_s=30.5),
        SimpleNamespace(status="running", steps_per_s=None),  # no report yet
        SimpleNamespace(status="done", steps_per_s=999.0),
    ]
    registry = SimpleNamespace(counts=lambda: {"running": 3, "done": 1}, list=lambda: jobs)
    families = {family.name: family for family in JobCollector(lambda: registry).collect()}
    assert families["unrolled_training_steps_per_second"].samples[0].value == 150.5
    by_status = {sample.labels["status"]: sample.value for sample in families["unrolled_jobs"].samples}
    assert by_status == {"running": 3, "queued": 0, "done": 1}


def test_before_the_server_has_started_the_job_series_read_zero():
    families = {family.name: family for family in JobCollector(lambda: None).collect()}
    assert [sample.value for sample in families["unrolled_jobs"].samples] == [0, 0]
    assert families["unrolled_training_steps_per_second"].samples[0].value == 0


def test_metrics_stay_out_of_the_openapi_document(client):
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]
