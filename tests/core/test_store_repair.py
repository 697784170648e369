"""A crash at any point of a save, create, update or delete is repaired at the next start.

The store's file operations (creating a temp file, rename, link, unlink) are
counted; the k-th is followed by a "crash": the folder is copied as it is at
that instant, which is what a kill would leave on disk, and the operation is
abandoned. The copy is then opened as a restarted server would open it: after
repair() every model is its old or its new version, verified, and no temp
file is left. Two points are also killed for real (SIGKILL in a child process).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from app.core.store import ModelNotFound, ModelStore, atomic
from tests.core.store_helpers import elman_shapes, make_metadata, make_tensors, temp_files

REPO = Path(__file__).resolve().parents[2]
OLD, NEW = 0, 1  # seeds of the old and new weights; total_steps 10 and 20


class Crash(BaseException):
    """Not an Exception: the store's own error handling must not be what saves the day."""


class CrashingOs:
    """Stands in for `os` inside atomic.py: counts the operations that change the folder and,
    after the crash_after-th, copies the folder (the disk as a kill leaves it) and raises Crash."""

    def __init__(self, root: Path, snapshot: Path, crash_after: int) -> None:
        self.root, self.snapshot, self.crash_after = root, snapshot, crash_after
        self.count = 0

    def __getattr__(self, attribute):
        return getattr(os, attribute)

    def _changed(self, result=None, fd: int | None = None):
        self.count += 1
        if self.count == self.crash_after:
            if fd is not None:
                os.close(fd)
            self.snapshot.mkdir()
            for path in self.root.iterdir():
                if path.is_file():
                    shutil.copy2(path, self.snapshot / path.name)
            raise Crash(f"crash after operation {self.count}")
        return result

    def open(self, path, flags, *args):
        fd = os.open(path, flags, *args)
        return self._changed(fd, fd) if flags & os.O_CREAT else fd  # opening a folder to fsync it changes nothing

    def replace(self, *args):
        return self._changed(os.replace(*args))

    def rename(self, *args):
        return self._changed(os.rename(*args))

    def link(self, *args):
        return self._changed(os.link(*args))

    def unlink(self, *args):
        return self._changed(os.unlink(*args))


def new_store(root: Path) -> ModelStore:
    return ModelStore(root, expected_shapes=elman_shapes)


def save(store):
    store.save("m", make_metadata(total_steps=20), make_tensors(NEW))


def create(store):
    store.create("m", make_metadata(total_steps=20), make_tensors(NEW))


def update(store):
    store.update_metadata("m", {"total_steps": 20})


def delete(store):
    store.delete("m")


def overwrite(store):
    store.put("m", make_metadata(total_steps=20), make_tensors(NEW), overwrite=True)


# operation -> (is there an old model before it, the versions a repaired store may hold)
OPERATIONS = {
    save: (True, {"old", "new"}),
    overwrite: (True, {"old", "new"}),
    create: (False, {"absent", "new"}),
    update: (True, {"old", "updated"}),
    delete: (True, {"old", "absent"}),
}


def version_of(store: ModelStore) -> str:
    try:
        loaded = store.load("m")
    except ModelNotFound:
        return "absent"
    steps = loaded.metadata.total_steps
    weights = loaded.tensors["readout.weight"]
    if torch.equal(weights, make_tensors(NEW)["readout.weight"]):
        return "new" if steps == 20 else f"new weights with {steps} steps"
    if torch.equal(weights, make_tensors(OLD)["readout.weight"]):
        return {10: "old", 20: "updated"}.get(steps, f"old weights with {steps} steps")  # update: steps change only
    return f"weights of neither version ({steps} steps)"


def run_with_crash(tmp_path: Path, operation, crash_after: int, monkeypatch) -> tuple[Path, bool]:
    """Run operation on a fresh folder, crashing after its crash_after-th operation; the folder as left."""
    root, snapshot = tmp_path / f"live-{crash_after}", tmp_path / f"crashed-{crash_after}"
    store = new_store(root)
    if OPERATIONS[operation][0]:
        store.create("m", make_metadata(total_steps=10), make_tensors(OLD))
    crashing = CrashingOs(root, snapshot, crash_after)
    with monkeypatch.context() as patch:
        patch.setattr(atomic, "os", crashing)
        try:
            operation(store)
        except Crash:
            return snapshot, True
    return root, False


def operation_count(tmp_path: Path, operation, monkeypatch) -> int:
    root = tmp_path / "count"
    store = new_store(root)
    if OPERATIONS[operation][0]:
        store.create("m", make_metadata(total_steps=10), make_tensors(OLD))
    counting = CrashingOs(root, tmp_path / "never", crash_after=-1)
    with monkeypatch.context() as patch:
        patch.setattr(atomic, "os", counting)
        operation(store)
    return counting.count


@pytest.mark.parametrize("operation", list(OPERATIONS), ids=lambda operation: operation.__name__)
def test_a_crash_at_every_point_is_repaired_to_the_old_or_the_new_version(tmp_path, operation, monkeypatch):
    count = operation_count(tmp_path, operation, monkeypatch)
    assert count >= 2
    allowed = OPERATIONS[operation][1]
    seen = []
    for crash_after in range(1, count + 1):
        folder, crashed = run_with_crash(tmp_path, operation, crash_after, monkeypatch)
        assert crashed
        before = new_store(folder)
        # Even before repair, a model the listing calls healthy loads.
        for entry in before.list():
            if entry.error is None:
                before.load(entry.name)
        after = new_store(folder)
        report = after.repair()
        version = version_of(after)
        assert version in allowed, f"crash after operation {crash_after} of {count}: {version}"
        assert temp_files(folder) == [], f"crash after operation {crash_after}"
        assert all(entry.error is None for entry in after.list())
        assert report.unrepaired == {}
        seen.append(version)
    completed = tmp_path / "completed"
    operation(new_store(completed) if not OPERATIONS[operation][0] else _with_old_model(completed))
    assert seen[-1] == version_of(new_store(completed))  # a crash after the last operation lost nothing


def _with_old_model(root: Path) -> ModelStore:
    store = new_store(root)
    store.create("m", make_metadata(total_steps=10), make_tensors(OLD))
    return store


def test_a_kill_between_the_renames_of_a_save_is_listed_as_broken_until_repaired(tmp_path, monkeypatch):
    # The defect as reported: new weights under the old .json, listed healthy, the old weights hidden.
    count = operation_count(tmp_path, save, monkeypatch)
    between = next(
        k for k in range(1, count + 1) if _weights_replaced(*run_with_crash(tmp_path / str(k), save, k, monkeypatch))
    )
    folder = tmp_path / str(between) / f"crashed-{between}"
    (entry,) = new_store(folder).list()
    assert entry.error is not None and "sha256" in entry.error
    report = new_store(folder).repair()
    assert report.rolled_forward == ["m"]
    assert version_of(new_store(folder)) == "new"


def _weights_replaced(folder: Path, crashed: bool) -> bool:
    store = new_store(folder)
    return crashed and any(entry.error for entry in store.list())


def test_leftover_temp_files_of_any_kind_are_removed(tmp_path):
    store = new_store(tmp_path)
    store.create("m", make_metadata(), make_tensors())
    (tmp_path / ".m.safetensors.0123456789ab.tmp").write_bytes(b"\0" * 1000)  # a write cut short
    (tmp_path / ".gone.json.0123456789ab.tmp").write_bytes(b"{")  # a create that never published
    (tmp_path / ".write-probe.0123456789ab.tmp").write_bytes(b"")
    report = new_store(tmp_path).repair()
    assert report.temp_files_removed == 3
    assert temp_files(tmp_path) == []
    assert version_of(store) == "old"


def test_weights_that_fail_their_checksum_without_a_backup_are_reported_and_listed(tmp_path):
    store = new_store(tmp_path)
    store.create("m", make_metadata(), make_tensors())
    data = bytearray((tmp_path / "m.safetensors").read_bytes())
    data[-1] ^= 0xFF  # one flipped bit in the last weight
    (tmp_path / "m.safetensors").write_bytes(bytes(data))
    report = new_store(tmp_path).repair()
    assert "sha256" in report.unrepaired["m"]
    (entry,) = new_store(tmp_path).list()
    assert entry.metadata is not None and "sha256" in entry.error


KILL_CHILD = """
import os, signal, sys
from pathlib import Path
from app.core.store import ModelStore, atomic
from tests.core.store_helpers import elman_shapes, make_metadata, make_tensors

class KillAtFirstRename:
    def __getattr__(self, attribute):
        return getattr(os, attribute)
    def replace(self, *args):
        os.replace(*args)
        os.kill(os.getpid(), signal.SIGKILL)

store = ModelStore(Path(sys.argv[1]), expected_shapes=elman_shapes)
atomic.os = KillAtFirstRename()
if sys.argv[2] == "save":
    store.save("m", make_metadata(total_steps=20), make_tensors(1))
else:
    store.delete("m")
"""


@pytest.mark.parametrize(("operation", "expected"), [("save", "new"), ("delete", "absent")])
def test_a_real_kill_at_the_first_rename_is_repaired(tmp_path, operation, expected):
    new_store(tmp_path).create("m", make_metadata(total_steps=10), make_tensors(OLD))
    child = subprocess.run(
        [sys.executable, "-c", KILL_CHILD, str(tmp_path), operation], cwd=REPO, capture_output=True, timeout=120
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    assert temp_files(tmp_path) != []  # the kill left its temp files
    store = new_store(tmp_path)
    store.repair()
    assert version_of(store) == expected
    assert temp_files(tmp_path) == []
