"""Crash-safe file operations for the model store.

A file is never written in place: the bytes go to a temporary file in the same
folder (".<target>.<random>.tmp", which list() ignores), are flushed and
fsync'ed, then renamed over the target with os.replace (atomic on POSIX and
Windows), and finally the folder itself is fsync'ed so the rename survives a
power cut. A reader therefore sees the old file or the new one, never half.

A model is two files, so a crash can still fall between two renames. Every
step is ordered so that what it leaves is recognisable by its temp files'
names (".<target>.<hex>[.bak|.deleted].tmp", parsed by temp_target) and
repair.py can finish or undo it: a save and a create write both temp files
before publishing either; a delete first renames the .json to a ".deleted"
tombstone.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import shutil
from pathlib import Path

logger = logging.getLogger(__name__)

TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"
BACKUP_ROLE = "bak"  # the old weights kept during a save
TOMBSTONE_ROLE = "deleted"  # the .json of a model being deleted

# ".<target file name>.<hex>[.<role>].tmp": what write_temp, backup_copy and remove_pair name.
_TEMP_NAME = re.compile(r"^\.(?P<target>[^/\\]+)\.[0-9a-f]{12}(?:\.(?P<role>bak|deleted))?\.tmp$")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_temp_file(path: Path) -> bool:
    return path.name.startswith(TEMP_PREFIX) and path.name.endswith(TEMP_SUFFIX)


def temp_target(file_name: str) -> tuple[str, str] | None:
    """(target file name, role) of one of our temp files; role is "", "bak" or "deleted"."""
    match = _TEMP_NAME.fullmatch(file_name)
    return None if match is None else (match["target"], match["role"] or "")


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
    backup = target.with_name(f"{TEMP_PREFIX}{target.name}.{secrets.token_hex(6)}.{BACKUP_ROLE}{TEMP_SUFFIX}")
    try:
        os.link(target, backup)  # free: same inode, no bytes copied
    except FileNotFoundError:
        return None
    except OSError:
        shutil.copy2(target, backup)
    return backup


def publish_new_pair(weights_path: Path, weights_bytes: bytes, metadata_path: Path, metadata_bytes: bytes) -> None:
    """Both files of a new model: both temp files complete first, then each claimed, weights first.

    Raises FileExistsError if either name is taken; nothing of ours is left behind.
    A crash after the weights are claimed leaves the .json's temp file, whose
    sha256 matches them: repair publishes it.
    """
    weights_temp = write_temp(weights_path, weights_bytes)
    metadata_temp = None
    claimed = False
    try:
        metadata_temp = write_temp(metadata_path, metadata_bytes)
        publish_exclusive(weights_temp, weights_path)
        claimed = True
        publish_exclusive(metadata_temp, metadata_path)
    except BaseException:
        if claimed:
            remove_quietly(weights_path)  # ours: we claimed it a moment ago
        raise
    finally:
        for leftover in (weights_temp, metadata_temp):
            if leftover is not None and leftover.exists():
                remove_quietly(leftover)
    fsync_dir(weights_path.parent)


def remove_pair(weights_path: Path, metadata_path: Path) -> None:
    """Delete a model's files: the .json becomes a tombstone first, so from the first
    rename on the model no longer lists, and a crash leaves a name repair finishes."""
    tombstone = metadata_path.with_name(
        f"{TEMP_PREFIX}{metadata_path.name}.{secrets.token_hex(6)}.{TOMBSTONE_ROLE}{TEMP_SUFFIX}"
    )
    try:
        os.replace(metadata_path, tombstone)
    except FileNotFoundError:
        tombstone = None  # a damaged model with no .json
    try:
        os.unlink(weights_path)
    except FileNotFoundError:
        pass
    if tombstone is not None:
        os.unlink(tombstone)
    fsync_dir(weights_path.parent)


def replace_pair(weights_path: Path, weights_bytes: bytes, metadata_path: Path, metadata_bytes: bytes) -> None:
    """Overwrite both files of a model, weights first; on any failure the old pair is put back.

    Both temp files are complete before either rename, so the only window is
    between the two renames; an exception there restores the old weights from
    a backup link. A crash there leaves new weights under the old metadata,
    whose sha256 no longer matches, beside the new .json's temp file, which
    does: repair publishes it (and would restore the backup otherwise).
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
