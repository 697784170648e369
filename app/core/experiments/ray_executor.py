"""The Ray executor: an experiment's runs as Ray tasks on a cluster (or a local Ray instance).

    with RayExecutor("local", workers=2) as cluster:      # or "head-node:6379", "ray://host:10001", "auto"
        for result in cluster.results(jobs):              # as each task finishes (ray.wait)
            ...
        cluster.cancel()                                   # ray.cancel: pending tasks dropped, running ones interrupted

Ray is an optional extra (`pip install 'unrolled[ray]'`) imported only here and
only when used. Each run is one task declaring what it takes: one CPU, or with
gpus_per_run a share of a GPU (the run then trains on CUDA). The task runs the
same execute_run as the local pool, so the same jobs give the same records on
the CPU. A worker node needs Unrolled installed at the same version; results
(and the representative runs' models) come back to the caller, which stores
them, so the nodes need no shared storage.

An address that does not answer is refused at once with its reason (a TCP
connect with a short timeout) rather than after Ray's own minute of retries.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import urlsplit

from app.core.experiments.run import RunJob, RunResult, execute_run

CONNECT_TIMEOUT_S = 3.0
DEFAULT_PORT = 6379  # `ray start --head` listens here; ray:// client addresses on 10001


class RayUnavailable(RuntimeError):
    """Ray is not installed, or the cluster cannot be reached; the message says which and how to fix it."""


def import_ray():
    try:
        import ray
    except ImportError:
        raise RayUnavailable(
            "the ray executor needs Ray: install it with pip install 'unrolled[ray]' (make setup does)"
        ) from None
    return ray


def check_reachable(address: str) -> None:
    """RayUnavailable unless something listens at a host:port or ray://host:port address."""
    parsed = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parsed.hostname, parsed.port or DEFAULT_PORT
    except ValueError:
        raise RayUnavailable(f"the Ray address {address!r} is not host:port") from None
    if not host:
        raise RayUnavailable(f"the Ray address {address!r} is not host:port")
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise RayUnavailable(
            f"cannot reach the Ray cluster at {address} ({reason}); start one with `ray start --head`, "
            "or use --address local for a Ray instance on this machine"
        ) from None


def _execute_remote(job: RunJob) -> RunResult:
    return execute_run(job)


class RayExecutor:
    kind = "ray"

    def __init__(self, address: str, workers: int | None = None, gpus_per_run: float = 0.0):
        if not isinstance(address, str) or not address.strip():
            raise RayUnavailable("give a Ray address: host:port, ray://host:port, auto, or local")
        self.address, self.workers, self.gpus_per_run = address.strip(), workers, gpus_per_run
        self._ray = None
        self._started_here = False
        self._pending: list = []
        self._cancelled = False  # a cancel that comes before the tasks are submitted still reaches them

    def describe(self) -> dict:
        facts = {"executor": self.kind, "address": self.address}
        if self._ray is not None:
            facts["cluster_cpus"] = self._ray.cluster_resources().get("CPU")
        return facts

    def connect(self) -> None:
        ray = import_ray()
        if self.address not in ("local", "auto"):
            check_reachable(self.address)
        if ray.is_initialized():  # one Ray connection per process: a host program's own, reused
            self._ray = ray
            return
        options = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if self.address == "local":
            ray.init(num_cpus=self.workers, **options)
        else:
            try:
                ray.init(address=self.address, **options)
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise RayUnavailable(f"cannot join the Ray cluster at {self.address}: {error}") from None
        self._ray, self._started_here = ray, True

    def results(self, jobs: list[RunJob]) -> Iterator[RunResult]:
        if not jobs:
            return
        if self._ray is None:
            self.connect()
        ray = self._ray
        remote = ray.remote(num_cpus=1, num_gpus=self.gpus_per_run, max_retries=0)(_execute_remote)
        device = "cuda" if self.gpus_per_run > 0 else "cpu"
        self._pending = [remote.remote(replace(job, device=device)) for job in jobs]
        if self._cancelled:
            self.cancel()
        try:
            while self._pending:
                done, self._pending = ray.wait(self._pending, num_returns=1)
                for ref in done:
                    try:
                        yield ray.get(ref)
                    except (ray.exceptions.TaskCancelledError, ray.exceptions.RayTaskError) as error:
                        if isinstance(error, ray.exceptions.TaskCancelledError) or _interrupted(error):
                            continue  # cancelled: no result
                        raise
        finally:
            self._cancel_tasks()  # left early (Ctrl-C, an error): the tasks still out stop too

    def cancel(self) -> None:
        """Drop the tasks not started and interrupt the running ones (ray.cancel)."""
        self._cancelled = True
        self._cancel_tasks()

    def _cancel_tasks(self) -> None:
        if self._ray is None:
            return
        for ref in list(self._pending):
            self._ray.cancel(ref)

    def close(self) -> None:
        if self._ray is not None and self._started_here:
            self._ray.shutdown()
        self._ray, self._started_here = None, False

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _interrupted(error: Exception) -> bool:
    """A task error that is a cancel's KeyboardInterrupt, not a failure."""
    return isinstance(getattr(error, "cause", None), KeyboardInterrupt)
