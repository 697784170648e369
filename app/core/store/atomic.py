"""Crash-safe file operations for the model store.

A file is never written in place: the bytes go to a temporary file in the same
folder (".<target>.<random>.tmp", which list() ignores), are flushed and
fsync'ed, then renamed over the target with os.replace (atomic on POSIX and
Windows), and finally the folder itself is fsync'ed so the rename survives a
power cut. A reader therefore sees the old file or the new one, never half.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
from pathlib import Path

logger = logging.getLogger(__name__)

TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_temp_file(path: Path) -> bool:
    return path.name.startswith(TEMP_PREFIX) and path.name.endswith(TEMP_SUFFIX)


def write_temp(target: Path, data: bytes) -> Path:
    """Write data, durably, to a new temporary file beside target; return its path."""
    temp = target.with_name(f"{TEMP_PREFIX}{target.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}")
    # O_EXCL: never follow or reuse whatever might already sit at that name.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        remove_quietly(temp)
        raise
    return temp


def atomic_write(target: Path, data: bytes) -> None:
    """Replace target with data so that a reader or a crash sees old or new, never half."""
    temp = write_temp(target, data)
    try:
        os.replace(temp, target)
    except BaseException:
        remove_quietly(temp)
        raise
    fsync_dir(target.parent)


def publish_exclusive(temp: Path, target: Path) -> None:
    """Move a finished temp file to target only if target does not exist yet.

    os.link fails with FileExistsError when the name is taken, which makes it
    the claim that settles a race between two creators, even across processes.
    Raises FileExistsError for the loser; the temp file is consumed either way.
    """
    try:
        os.link(temp, target)
    except FileExistsError:
        remove_quietly(temp)
        raise
    except OSError:
        # Some filesystems (FAT, certain network or container mounts) have no
        # hard links: claim the name with O_EXCL instead, then fill it atomically.
        logger.debug("hard links unsupported in %s; claiming %s with O_EXCL", target.parent, target.name)
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            remove_quietly(temp)
            raise
        try:
            os.replace(temp, target)
        except BaseException:
            remove_quietly(target)  # our own empty claim, not someone else's file
            remove_quietly(temp)
            raise
        return
    remove_quietly(temp)


def backup_copy(target: Path) -> Path | None:
    """A temporary second name for target's current content (None if it does not exist)."""
    if not target.exists():
        return None
    backup = target.with_name(f"{TEMP_PREFIX}{target.name}.{secrets.token_hex(6)}.bak{TEMP_SUFFIX}")
    try:
        os.link(target, backup)  # free: same inode, no bytes copied
    except FileNotFoundError:
        return None
    except OSError:
        shutil.copy2(target, backup)
    return backup


def publish_new_pair(weights_path: Path, weights_bytes: bytes, metadata_path: Path, metadata_bytes: bytes) -> None:
    """Both files of a new model, weights first, each claimed exclusively.

    Raises FileExistsError if either name is taken; nothing of ours is left behind.
    """
    publish_exclusive(write_temp(weights_path, weights_bytes), weights_path)
    try:
        publish_exclusive(write_temp(metadata_path, metadata_bytes), metadata_path)
    except BaseException:
        remove_quietly(weights_path)  # ours: we claimed it a moment ago
        raise
    fsync_dir(weights_path.parent)


def replace_pair(weights_path: Path, weights_bytes: bytes, metadata_path: Path, metadata_bytes: bytes) -> None:
    """Overwrite both files of a model, weights first; on any failure the old pair is put back.

    Both temp files are complete before either rename, so the only window is
    between the two renames; an exception there restores the old weights from
    a backup link. (A crash there leaves new weights under the old metadata,
    whose sha256 no longer matches: reported as corrupt, never loaded.)
    """
    weights_temp = write_temp(weights_path, weights_bytes)
    metadata_temp = backup = None
    replaced = False
    try:
        metadata_temp = write_temp(metadata_path, metadata_bytes)
        backup = backup_copy(weights_path)
        os.replace(weights_temp, weights_path)
        replaced = True
        os.replace(metadata_temp, metadata_path)
    except BaseException:
        if replaced:
            _restore(backup, weights_path)
        raise
    finally:
        for leftover in (weights_temp, metadata_temp, backup):
            if leftover is not None and leftover.exists():
                remove_quietly(leftover)
    fsync_dir(weights_path.parent)


def _restore(backup: Path | None, target: Path) -> None:
    try:
        if backup is None:
            target.unlink(missing_ok=True)  # there was no old file to put back
        else:
            os.replace(backup, target)
    except OSError as exc:
        logger.error("could not restore the previous %s: %s", target.name, exc)


def fsync_dir(directory: Path) -> None:
    """Make renames in directory durable; a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        logger.debug("could not fsync folder %s: %s", directory, exc)
    finally:
        os.close(fd)


def remove_quietly(path: Path | None) -> None:
    """Remove a file if present; used on cleanup paths that must not raise again."""
    if path is None:
        return
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        logger.warning("could not remove %s: %s", path, exc)
