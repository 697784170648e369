"""Under concurrent requests every answer is the true one.

Threads race creates, deletes and overwriting uploads of one name through one
TestClient (sync routes run in the server's threadpool, so the races are real)
for a bounded number of rounds. A create answers 201 or 409, never 404; an
overwrite answers 201, never 409 or 404; a delete 204 or 404; nothing 5xx; and
the store is consistent afterwards. tests/api/test_models.py holds the same
windows forced open deterministically.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from tests.core.store_helpers import temp_files

ROUNDS = 30
BODY = {"name": "race", "architecture": "elman", "task": "reber", "hidden_size": 4}
OCTET = {"content-type": "application/octet-stream"}


def race(client, workers: dict) -> dict[str, Counter]:
    """Run each worker ROUNDS times, all at once; the statuses each got."""
    statuses = {label: Counter() for label in workers}

    def run(label):
        for _ in range(ROUNDS):
            statuses[label][workers[label]().status_code] += 1

    with ThreadPoolExecutor(len(workers)) as pool:
        for future in [pool.submit(run, label) for label in workers]:
            future.result()
    return statuses


def assert_consistent(client, store) -> None:
    assert all(entry["error"] is None for entry in client.get("/api/models").json())
    assert temp_files(store.root) == []


def test_creates_racing_deletes_answer_201_or_409(client, store):
    statuses = race(
        client,
        {
            "create 1": lambda: client.post("/api/models", json=BODY),
            "create 2": lambda: client.post("/api/models", json=BODY),
            "delete 1": lambda: client.delete("/api/models/race"),
            "delete 2": lambda: client.delete("/api/models/race"),
        },
    )
    for label in ("create 1", "create 2"):
        assert set(statuses[label]) <= {201, 409}, statuses
    for label in ("delete 1", "delete 2"):
        assert set(statuses[label]) <= {204, 404}, statuses
    assert_consistent(client, store)


def test_overwrites_racing_creates_and_deletes_answer_201(client, store, make_model):
    make_model("source", hidden_size=4)
    checkpoint = client.get("/api/models/source/checkpoint").content
    statuses = race(
        client,
        {
            "overwrite 1": lambda: client.post(
                "/api/models/race/checkpoint?overwrite=true", content=checkpoint, headers=OCTET
            ),
            "overwrite 2": lambda: client.post(
                "/api/models/race/checkpoint?overwrite=true", content=checkpoint, headers=OCTET
            ),
            "create": lambda: client.post("/api/models", json=BODY),
            "delete": lambda: client.delete("/api/models/race"),
        },
    )
    for label in ("overwrite 1", "overwrite 2"):
        assert set(statuses[label]) == {201}, statuses
    assert set(statuses["create"]) <= {201, 409}, statuses
    assert set(statuses["delete"]) <= {204, 404}, statuses
    assert_consistent(client, store)
