"""The manifest: the live segments in order, and the articles deleted from each. Swapping it is the commit.

Layout of the index directory::

    CURRENT                 the name of the live manifest (replaced atomically: the commit point)
    manifest-<n>.json       config (model, chunking, tokenizer...), segments, tombstones
    seg-<id>/               an immutable segment (see rag.store.segment)
    .write.lock             the writers' advisory lock

A write puts a new segment beside the others, then a new manifest, and only then points CURRENT at it, so
a writer killed at any moment leaves the previous manifest and all its segments loadable. Segments and
manifests that the live manifest does not name are removed by the next writer, under the lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import IndexError_, IndexNotFound

FORMAT = 3  # 1: one directory per generation, rewritten on every write; 2: segments; 3: + extra article fields


@dataclass
class SegmentRef:
    """A live segment as the manifest lists it."""

    name: str
    rows: int  # passages stored in it, deleted ones included
    docs: int
    deleted: list[str] = field(default_factory=list)  # ids of its articles that are deleted or replaced


@dataclass
class Manifest:
    config: dict[str, Any]
    segments: list[SegmentRef] = field(default_factory=list)
    seq: int = 0
    written_at: str = ""

    @property
    def name(self) -> str:
        return f"manifest-{self.seq:08d}.json"

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        d = json.loads(text)
        return cls(config=d["config"], segments=[SegmentRef(**s) for s in d["segments"]], seq=int(d["seq"]),
                   written_at=d.get("written_at", ""))


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(path: Path, data: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


@contextmanager
def write_lock(index_dir: Path) -> Iterator[None]:
    """The advisory lock that writers in every process hold for a whole read-modify-write of the index."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".write.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


def current_generation(index_dir: Path) -> str | None:
    """The name of the live manifest on disk (None: no index yet)."""
    try:
        return (index_dir / "CURRENT").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def read(index_dir: Path) -> Manifest:
    """The live manifest; IndexNotFound when there is none, IndexError_ when it cannot be read."""
    hint = f"rebuild with `rag build seeds/ --index {index_dir}`"
    name = current_generation(index_dir)
    if name is None:
        raise IndexNotFound(f"no index in {index_dir}/: build one with `rag build seeds/ --index {index_dir}`")
    if name.startswith("gen-"):
        raise IndexError_(f"the index in {index_dir}/ has the old one-directory format; {hint}")
    if not name.startswith("manifest-") or "/" in name:
        raise IndexError_(f"{index_dir}/CURRENT is corrupt; {hint}")
    try:
        return Manifest.from_json((index_dir / name).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexError_(f"cannot read {index_dir / name} ({exc}); {hint}") from exc


def commit(index_dir: Path, manifest: Manifest) -> str:
    """Write `manifest` as the next one and switch CURRENT to it atomically. Call under write_lock."""
    manifest.seq += 1
    manifest.written_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    tmp = index_dir / f".tmp-{manifest.name}"
    write_file(tmp, manifest.to_json())
    os.replace(tmp, index_dir / manifest.name)
    fsync_dir(index_dir)
    cur_tmp = index_dir / f".CURRENT.{os.getpid()}"
    write_file(cur_tmp, manifest.name + "\n")
    os.replace(cur_tmp, index_dir / "CURRENT")  # the commit point
    fsync_dir(index_dir)
    return manifest.name


def collect_garbage(index_dir: Path, keep: set[str]) -> None:
    """Remove what no live manifest names: old manifests, dropped segments, leftovers of killed writers, the
    old format's generations. Call under write_lock. Readers that still hold a dropped segment keep it
    open: its files are unlinked, not gone, until they let go."""
    try:
        current = read(index_dir)
    except IndexError_:  # IndexNotFound included
        return  # no readable manifest: leave everything alone rather than guess
    live = current.name
    keep = keep | {s.name for s in current.segments}
    for p in index_dir.iterdir():
        if p.name.startswith(".merging-") and _owner_alive(p.name):
            continue  # a merge in progress (in this or another process) builds its segment here
        if p.name in keep or p.name == live or not p.name.startswith(
                ("seg-", "manifest-", "gen-", ".tmp-", ".CURRENT.", ".merging-")):
            continue
        try:
            shutil.rmtree(p) if p.is_dir() else p.unlink()
        except OSError:
            pass


def merging_dir(index_dir: Path) -> Path:
    """A private directory for a merge that runs outside the lock; the collector leaves it alone while
    the process that made it lives."""
    path = index_dir / f".merging-{os.getpid()}-{time.time_ns()}"
    path.mkdir()
    return path


def _owner_alive(name: str) -> bool:
    try:
        os.kill(int(name.split("-")[1]), 0)
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True
