"""Workspaces in classroom mode: each visitor's own models, and the demos every visitor shares.

    <models_dir>/<name>.*                        the shipped demo models: read-only in classroom mode
    <workspaces_dir>/<workspace id>/<name>.*     one workspace's models (a ModelStore each)

WorkspaceStores.view(visitor) is the store a request works on: a WorkspaceView that
reads the workspace's own models first, then the demos, and writes only its own;
writing a demo's name raises ReadOnlyModel (403). Each workspace store has its own
max_models (UNROLLED_WORKSPACE_MAX_MODELS), and at most max_workspaces exist. A
workspace's folder is made by its first write, so a visitor who only looks (or a
crawler opening the page) costs no folder and no slot. The teacher (Visitor.teacher)
works in the workspace called "teacher" and opens any other by id. Training jobs
run in the workspace's folder (WorkspaceView.place) and are counted per workspace
(app/api/jobs/registry.py). A local server (classroom mode off) gets the shared
store itself, as before.

The default workspaces_dir is models_dir/workspaces: a folder inside the shared
store, which the store's listing and repair pass over (they read files only) and
which does not count as content when an empty store is seeded (main.py says so).
"""

from __future__ import annotations

import threading
from pathlib import Path

from app.api.auth import WORKSPACE_ID, Visitor
from app.core.execution import StorePlace
from app.core.store import ListingEntry, ModelStore, StoreLimits
from app.core.store import folder as store_folder
from app.core.store.errors import LimitExceeded, ModelNotFound, StoreError

# The teacher's own models: a workspace id no student cookie can hold (theirs have 22 characters).
TEACHER_WORKSPACE = "teacher"
DEMO_READ_ONLY = (
    "model {name!r} is a demo model: read-only in classroom mode. To train it, make a copy of your own: "
    "download GET /api/models/{name}/checkpoint and import it under a new name with "
    "POST /api/models/NEW-NAME/checkpoint (the page's “Make a copy” button does both)"
)


def valid_workspace_id(workspace: str) -> bool:
    return workspace == TEACHER_WORKSPACE or WORKSPACE_ID.fullmatch(workspace) is not None


class ReadOnlyModel(StoreError):
    """A demo model written to (or trained) in classroom mode (403)."""


class TooManyWorkspaces(LimitExceeded):
    """max_workspaces exist already (409: the teacher must clear some)."""


def read_only_error(name: str) -> ReadOnlyModel:
    return ReadOnlyModel(DEMO_READ_ONLY.format(name=name))


class WorkspaceView:
    """The store one workspace sees: ModelStore's interface over its own models plus the demos."""

    def __init__(self, stores: WorkspaceStores, workspace: str):
        self.stores = stores
        self.workspace = workspace
        self.demos = stores.demos
        self.limits = stores.limits
        self.validate_name = stores.demos.validate_name

    @property
    def place(self) -> StorePlace:
        """Where a training job of this workspace opens its store (the executor's StorePlace)."""
        return StorePlace(self.stores.folder(self.workspace), self.limits)

    def own(self, create: bool = False) -> ModelStore | None:
        """The workspace's own store; None while it has no folder (create=True makes it)."""
        return self.stores.store(self.workspace, create=create)

    # ----- reading: own first, then the demos ---------------------------------------

    def list(self) -> list[ListingEntry]:
        own = self.own()
        mine = own.list() if own is not None else []
        taken = {entry.name for entry in mine}
        return sorted(mine + [entry for entry in self.demos.list() if entry.name not in taken], key=lambda e: e.name)

    def owns(self, name: str) -> bool:
        own = self.own()
        return own is not None and own.exists(name)

    def exists(self, name: str) -> bool:
        return self.owns(name) or self.demos.exists(name)

    def is_demo(self, name: str) -> bool:
        """Whether `name` is read here from the demos (and so cannot be written)."""
        return not self.owns(name) and self.demos.exists(name)

    def _reader(self, name: str) -> ModelStore:
        if self.is_demo(name):
            return self.demos
        own = self.own()
        if own is None:
            self.validate_name(name)
            raise ModelNotFound(f"no model named {name!r}")
        return own

    def load_metadata(self, name: str):
        return self._reader(name).load_metadata(name)

    def load(self, name: str):
        return self._reader(name).load(name)

    def weights_path(self, name: str) -> Path:
        return self._reader(name).weights_path(name)

    # ----- writing: own only ----------------------------------------------------------

    def check_not_demo(self, name: str) -> None:
        if self.demos.exists(name):
            raise read_only_error(name)

    def _writer(self, name: str) -> ModelStore:
        self.check_not_demo(name)
        return self.own(create=True)

    def create(self, name, metadata, tensors):
        return self._writer(name).create(name, metadata, tensors)

    def save(self, name, metadata, tensors):
        return self._writer(name).save(name, metadata, tensors)

    def put(self, name, metadata, tensors, overwrite: bool):
        return self._writer(name).put(name, metadata, tensors, overwrite=overwrite)

    def update_metadata(self, name, metadata) -> None:
        self._writer(name).update_metadata(name, metadata)

    def delete(self, name: str) -> None:
        self.check_not_demo(name)
        own = self.own()  # a delete never makes a folder: nothing there, nothing to delete
        if own is None:
            self.validate_name(name)
            raise ModelNotFound(f"no model named {name!r}")
        own.delete(name)

    def import_checkpoint(self, name, data, metadata=None, overwrite: bool = False):
        return self._writer(name).import_checkpoint(name, data, metadata, overwrite=overwrite)

    def check_writable(self) -> None:
        own = self.own()
        if own is not None:
            own.check_writable()
        else:
            self.stores.check_root()

    @property
    def write_problem(self) -> str | None:
        own = self.own()
        return own.write_problem if own is not None else None


class WorkspaceStores:
    """Every workspace's ModelStore, opened on first use (repaired then); safe to share between threads."""

    def __init__(
        self, demos: ModelStore, root: Path, limits: StoreLimits, max_workspaces: int, expected_shapes=None
    ) -> None:
        self.demos = demos
        self.root = Path(root)
        self.limits = limits
        self.max_workspaces = max_workspaces
        self._expected_shapes = expected_shapes
        self._stores: dict[str, ModelStore] = {}
        self._guard = threading.Lock()

    def ids(self) -> list[str]:
        """Every workspace that holds a folder, made this run or before."""
        try:
            return sorted(path.name for path in self.root.iterdir() if path.is_dir() and valid_workspace_id(path.name))
        except OSError:  # no folder yet
            return []

    def folder(self, workspace: str) -> Path:
        if not valid_workspace_id(workspace):
            raise ModelNotFound(f"no workspace {workspace!r}")
        return self.root / workspace

    def store(self, workspace: str, create: bool = False) -> ModelStore | None:
        """Workspace `workspace`'s store; None when it has no folder yet and create is False.
        TooManyWorkspaces when making it would pass max_workspaces."""
        folder = self.folder(workspace)
        with self._guard:
            store = self._stores.get(workspace)
            if store is not None:
                return store
            if not folder.is_dir():
                if not create:
                    return None
                if len(self.ids()) >= self.max_workspaces:
                    raise TooManyWorkspaces(
                        f"this server already holds {self.max_workspaces} workspaces (UNROLLED_MAX_WORKSPACES); "
                        "the teacher can delete the models of old ones"
                    )
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise store_folder.not_writable(folder, exc) from exc
            store = ModelStore(folder, self.limits, expected_shapes=self._expected_shapes)
            store.repair()  # a workspace a crash interrupted is put right the first time it is opened
            self._stores[workspace] = store
            return store

    def check_root(self) -> None:
        """For a workspace without a folder yet: StoreNotWritable if its first write could not make one."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise store_folder.not_writable(self.root, exc) from exc
        store_folder.check_writable(self.root)

    def view(self, visitor: Visitor, workspace: str | None = None) -> WorkspaceView:
        """The store `visitor` works on; the teacher names the `workspace` to open (else the
        teacher's own, called "teacher"). A student's `workspace` argument is ignored."""
        if visitor.teacher:
            if workspace is not None and not self.known(workspace):
                raise ModelNotFound(f"no workspace {workspace!r}")
            return WorkspaceView(self, workspace or TEACHER_WORKSPACE)
        return WorkspaceView(self, visitor.workspace)

    def known(self, workspace: str) -> bool:
        return workspace == TEACHER_WORKSPACE or workspace in self.ids()


# ----- what a route tells each visitor ---------------------------------------------------


def workspace_of(store) -> str | None:
    """The workspace a request's store is (None: the shared store of a local server)."""
    return store.workspace if isinstance(store, WorkspaceView) else None


def place_of(store) -> StorePlace | None:
    """Where a job on this store opens it (None: the executor's own, the shared store)."""
    return store.place if isinstance(store, WorkspaceView) else None


def is_read_only(store, name: str) -> bool:
    """Whether model `name` is a demo this store may read but not write (classroom mode)."""
    return isinstance(store, WorkspaceView) and store.is_demo(name)


def shown_workspace(visitor: Visitor, workspace: str | None) -> str | None:
    """A workspace id as a response may show it: to the teacher only. A student's page never
    sees its own id, which is the key its HttpOnly cookie keeps from scripts."""
    return workspace if visitor.teacher else None
