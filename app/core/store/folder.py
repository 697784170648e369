"""The models folder as a whole: its lock across processes, and writes it refuses.

Writers share the folder, repair has it alone. The server and the command
line may use one folder at the same time. Every write (create, save, metadata
update, delete) holds a shared flock on the folder itself for its few
milliseconds; repair() holds it exclusively, so it never mistakes another
process's half-written save for the leftovers of a crash. Locking the
folder, not a file in it, leaves nothing behind and works on a read-only
folder. Each holder opens the folder afresh: flock locks belong
to an open file, so two threads of one process then exclude each other
exactly like two processes do.

Where flock does not exist (Windows) the lock is a no-op: repair then trusts
that it runs at start-up, before anything writes.

A write the folder refuses (read-only, owned by another user, full) becomes
StoreNotWritable naming the folder, so a client is told what is wrong instead
of getting a server error; check_writable() asks the same question up front.
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.core.store.errors import StoreNotWritable

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

logger = logging.getLogger(__name__)

PROBE_PREFIX = ".write-probe."

# What a folder says when it will not take a file; any other OSError is a bug to see.
REFUSALS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENOENT, errno.ENOTDIR}


def not_writable(root: Path, exc: OSError) -> StoreNotWritable:
    reason = exc.strerror or type(exc).__name__
    return StoreNotWritable(
        f"the model folder {root} cannot be written ({reason}); models can be read but not created, "
        "trained, imported or deleted until it can"
    )


@contextmanager
def writing(root: Path) -> Iterator[None]:
    """Around every write: the shared lock, and a refused write told as StoreNotWritable.

    FileExistsError and FileNotFoundError of the store's own logic pass through
    (they mean a taken or vanished name); ENOENT is a refusal only when the
    folder itself has gone.
    """
    try:
        with shared(root):
            yield
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in REFUSALS or (exc.errno == errno.ENOENT and root.is_dir()):
            raise
        raise not_writable(root, exc) from exc


def check_writable(root: Path) -> None:
    """Create and remove a small file in root; StoreNotWritable if the folder refuses."""
    probe = root / f"{PROBE_PREFIX}{secrets.token_hex(6)}.tmp"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(probe)
    except OSError as exc:
        raise not_writable(root, exc) from exc


@contextmanager
def shared(root: Path) -> Iterator[None]:
    """Held by every write: many at once, never during a repair."""
    with _locked(root, exclusive=False):
        yield


@contextmanager
def exclusive(root: Path) -> Iterator[None]:
    """Held by repair: waits for the writes in progress, keeps new ones out."""
    with _locked(root, exclusive=True):
        yield


@contextmanager
def _locked(root: Path, exclusive: bool) -> Iterator[None]:
    fd = _open(root) if fcntl is not None else None
    if fd is None:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # closing the last descriptor of the open file releases its lock


def _open(root: Path) -> int | None:
    """The folder, opened for reading (all flock needs); None where it cannot be opened
    (a folder that does not exist, where nothing can be written or repaired either)."""
    try:
        return os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        logger.debug("cannot lock the model folder %s: %s", root, exc)
        return None
