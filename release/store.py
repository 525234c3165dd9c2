"""Numbered releases on disk and the pointer the stack loads.

    models/releases/001/model.tar.gz   the promoted model (a copy)
    models/releases/001/release.json   its gate results (the next gate compares with them)
    models/releases/current.tar.gz     symlink to the release in service
    models/releases/history.jsonl      every promotion and rollback, in order

The pointer is replaced atomically (a new symlink renamed over the old one), so a
stack starting meanwhile loads one release or the other, never half of one. Run the
stack on a release with SWITCHBOARD_MODEL=models/releases/current.tar.gz.
"""

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stack.processes import ROOT

DEFAULT_DIR = ROOT / "models" / "releases"
POINTER = "current.tar.gz"
HISTORY = "history.jsonl"


class ReleaseError(RuntimeError):
    """A release step that cannot be done (no release to roll back to, …)."""


@dataclass(frozen=True)
class Release:
    number: int
    path: Path

    @property
    def name(self) -> str:
        return f"{self.number:03d}"

    @property
    def model(self) -> Path:
        return self.path / "model.tar.gz"

    def results(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.path / "release.json").read_text())
        return data


class Releases:
    """The numbered releases in one folder."""

    def __init__(self, folder: Path = DEFAULT_DIR) -> None:
        self.folder = folder

    def all(self) -> list[Release]:
        if not self.folder.is_dir():
            return []
        numbered = [p for p in self.folder.iterdir() if p.is_dir() and p.name.isdigit()]
        return sorted((Release(int(p.name), p) for p in numbered), key=lambda r: r.number)

    def current(self) -> Release | None:
        pointer = self.folder / POINTER
        if not pointer.is_symlink():
            return None
        target = Path(os.readlink(pointer))
        return Release(int(target.parent.name), self.folder / target.parent.name)

    def promote(self, model: Path, results: dict[str, Any], report: str) -> Release:
        """Copy the model in as the next number and point the stack at it."""
        number = max((r.number for r in self.all()), default=0) + 1
        release = Release(number, self.folder / f"{number:03d}")
        release.path.mkdir(parents=True)
        shutil.copyfile(model, release.model)
        previous = self.current()
        record = {**results, "release": release.name, "previous": previous and previous.name}
        (release.path / "release.json").write_text(json.dumps(record, indent=2))
        (release.path / "report.md").write_text(report)
        self._point(release, "promoted", previous)
        return release

    def rollback(self, check: Callable[[Path], None] = lambda model: None) -> Release:
        """Point the stack back at the release the current one replaced, once `check`
        (which raises ReleaseError) accepts its model."""
        current = self.current()
        if current is None:
            raise ReleaseError("no release is in service")
        previous = current.results().get("previous")
        if not previous:
            raise ReleaseError(f"release {current.name} is the first: nothing to roll back to")
        target = Release(int(previous), self.folder / previous)
        if not target.model.is_file():
            raise ReleaseError(f"release {previous} has no model any more")
        try:
            check(target.model)
        except ReleaseError as error:
            raise ReleaseError(f"release {previous}: {error}") from error
        self._point(target, "rolled back", current)
        return target

    def _point(self, release: Release, what: str, before: Release | None) -> None:
        pointer = self.folder / POINTER
        fresh = self.folder / f".{POINTER}.new"
        fresh.unlink(missing_ok=True)
        fresh.symlink_to(Path(release.name) / "model.tar.gz")
        os.replace(fresh, pointer)
        entry = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "event": what,
            "release": release.name,
            "before": before and before.name,
        }
        with (self.folder / HISTORY).open("a") as history:
            history.write(json.dumps(entry) + "\n")
