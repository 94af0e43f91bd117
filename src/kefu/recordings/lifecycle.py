"""A recording's file from close to deletion: compressed and hashed on close, checked by
``verify``, moved to the archive tier, deleted by retention.

Each step orders its file operations and its row update so that a crash anywhere leaves a
state the same step, run again, completes, with nothing lost or done twice:

- finish: compress (``.part``, fsync, rename), remove the WAV, hash, then the row.  A crash
  before the WAV is removed leaves it and the row untouched (redone in full); after, the
  row still names the WAV and its compressed twin is complete (finished from the twin).
- archive: copy (``.part``, fsync, hash checked), the row switched (with its audit entry,
  one transaction per file), then the live file removed; a live file left by a crash
  between the last two is removed by the next run.
- retain: the file removed, then the row marked ``deleted`` with its audit entry (one
  transaction); a crash between them leaves a row whose file is gone, deleted next run.

Everything is synchronous (file and database I/O): asyncio callers run it in a worker
thread.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

from kefu.config import RecordingsSettings, RetentionRule
from kefu.media.recorder import repair_wav

from . import files
from .records import Recording
from .service import Recordings

log = logging.getLogger(__name__)

__all__ = ["Lifecycle", "Problems"]

DAY = 86400.0
SYSTEM = "system"
"""The username the server's own jobs audit as."""

T = TypeVar("T")
Progress = Callable[[Iterable[T], int | None, str], Iterable[T]]


def _quiet(items: Iterable[T], total: int | None, what: str) -> Iterable[T]:
    return items


@dataclass
class Problems:
    """What ``verify`` found; empty: every file is as recorded."""

    mismatched: list[Recording] = field(default_factory=list)   # hash differs
    missing: list[Recording] = field(default_factory=list)      # row, no file
    orphans: list[Path] = field(default_factory=list)           # file, no live row
    checked: int = 0

    def __bool__(self) -> bool:
        return bool(self.mismatched or self.missing or self.orphans)

    def lines(self) -> Iterator[str]:
        for rec in self.mismatched:
            yield f"hash mismatch: recording {rec.id} {rec.path}"
        for rec in self.missing:
            yield f"missing file: recording {rec.id} {rec.path}"
        for path in self.orphans:
            yield f"no metadata: {path}"


class Lifecycle:
    """The file jobs over one :class:`Recordings`, its live and archive directories."""

    def __init__(self, recordings: Recordings, settings: RecordingsSettings, live_dir: Path,
                 archive_dir: Path, clock: Callable[[], float] = time.time) -> None:
        self.recordings = recordings
        self.settings = settings
        self.live_dir = Path(live_dir)
        self.archive_dir = Path(archive_dir)
        self.clock = clock

    # --- on close ---------------------------------------------------------------------
    def finish(self, rec: Recording) -> Recording:
        """Compress the closed recording per the config, hash the final file and record
        codec, size, duration and SHA-256 on its row."""
        path = Path(rec.path)
        codec = self.settings.codec if rec.codec == "wav" else rec.codec
        is_wav = path.suffix == files.SUFFIXES["wav"]
        if is_wav and path.exists():
            repair_wav(path)                # a file cut off by a crash: all its audio counts
        final, duration = path, 0.0
        if is_wav and codec != "wav":
            twin = files.target_of(path, codec)
            if path.exists():
                duration = files.duration_of(path)
                if duration:
                    final = files.compress(path, codec)
                    files.unlink(path)      # only now: the compressed file is complete
                else:                       # no audio: libsndfile cannot read an empty FLAC
                    codec = "wav"
            elif twin.exists():             # a crash after the WAV was removed
                final, duration = twin, files.duration_of(twin)
            else:
                raise FileNotFoundError(f"recording {rec.id}: neither {path} nor {twin}")
        else:
            duration = files.duration_of(path)
        return self.recordings.update(rec.id, path=str(final), codec=codec,
                                      size=final.stat().st_size, duration=round(duration, 3),
                                      sha256=files.sha256_of(final))

    def finish_pending(self) -> int:
        """At start: finish every closed recording that has no hash yet (a crash during
        compression, or closed by reconciliation); how many were finished."""
        done = 0
        for rec in list(self.recordings.scan(unhashed=True)):
            try:
                self.finish(rec)
                done += 1
            except (OSError, RuntimeError) as exc:   # soundfile raises LibsndfileError
                log.warning("recording %s: cannot finish %s: %s", rec.id, rec.path, exc)
        return done

    # --- integrity --------------------------------------------------------------------
    def verify(self, progress: Progress[Recording] = _quiet) -> Problems:
        """Re-hash every recorded file; list those whose hash differs, rows without a file
        and files in the live or archive directory without a row."""
        found = Problems()
        known: set[str] = set()
        total = sum(1 for _ in self.recordings.scan())
        for rec in progress(self.recordings.scan(), total, "verify"):
            path = Path(rec.path)
            known.add(str(path.resolve()))
            found.checked += 1
            if not path.is_file():
                found.missing.append(rec)
            elif rec.sha256 is not None and files.sha256_of(path) != rec.sha256:
                found.mismatched.append(rec)
        for top in (self.live_dir, self.archive_dir):
            for path in _files_under(top):
                if str(path.resolve()) not in known:
                    found.orphans.append(path)
        return found

    # --- archive ----------------------------------------------------------------------
    def archive_path(self, rec: Recording) -> Path:
        """Where a live recording goes in the archive tier: the same path under it."""
        path = Path(rec.path)
        try:
            return self.archive_dir / path.relative_to(self.live_dir)
        except ValueError:
            return self.archive_dir / path.name

    def due_for_archive(self) -> list[Recording]:
        days = self.settings.archive_after_days
        if not days:
            return []
        return list(self.recordings.scan(tier="live", before=self.clock() - days * DAY))

    def archive(self, username: str = SYSTEM, progress: Progress[Recording] = _quiet) -> int:
        """Move the recordings older than ``archive_after_days`` to the archive tier, one
        transaction per file; how many were moved."""
        self._sweep_live()
        due = [r for r in self.due_for_archive() if r.state != "recording"]
        moved = 0
        for rec in progress(due, len(due), "archive"):
            self.archive_one(rec, username)
            moved += 1
        return moved

    def archive_one(self, rec: Recording, username: str = SYSTEM) -> Recording:
        src, dst = Path(rec.path), self.archive_path(rec)
        sha = rec.sha256 or files.sha256_of(src)
        files.copy_verified(src, dst, sha)
        moved = self.recordings.update_audited(
            rec.id, username, "archive", "", f"{src} -> {dst}", path=str(dst), tier="archive",
            sha256=sha, size=dst.stat().st_size)
        files.unlink(src)
        return moved

    def _sweep_live(self) -> None:
        """Remove live files an interrupted run copied and switched but did not remove:
        their archive twin is the one a row names."""
        for path in _files_under(self.live_dir):
            try:
                twin = self.archive_dir / path.relative_to(self.live_dir)
            except ValueError:
                continue
            if twin.is_file() and self.recordings.at_path(str(path)) is None:
                owner = self.recordings.at_path(str(twin))
                if owner is not None and owner.tier == "archive":
                    log.info("recording %s: removing %s left by an interrupted archive run",
                             owner.id, path)
                    files.unlink(path)

    # --- retention --------------------------------------------------------------------
    def keep_days(self, rec: Recording) -> int:
        """Days ``rec`` is kept (0: forever): the longest matching rule's, else
        ``retain_days``."""
        matching = [r.days for r in self.settings.retention if _matches(r, rec)]
        if not matching:
            return self.settings.retain_days
        return 0 if 0 in matching else max(matching)

    def due_for_deletion(self) -> list[Recording]:
        now = self.clock()
        days = [d for d in (self.settings.retain_days, *(r.days for r in self.settings.retention))
                if d]
        if not days:
            return []
        shortest = min(days)                # nothing younger than this can be due
        return [r for r in self.recordings.scan(before=now - shortest * DAY)
                if r.state != "recording"
                and (keep := self.keep_days(r)) and r.started_at < now - keep * DAY]

    def retain(self, username: str = SYSTEM, progress: Progress[Recording] = _quiet) -> int:
        """Delete the recordings past their retention, each audited; how many."""
        due = self.due_for_deletion()
        deleted = 0
        for rec in progress(due, len(due), "retain"):
            self.delete_one(rec, username)
            deleted += 1
        return deleted

    def delete_one(self, rec: Recording, username: str = SYSTEM) -> Recording:
        files.unlink(Path(rec.path))
        return self.recordings.update_audited(
            rec.id, username, "delete", "", f"retention: kept {self.keep_days(rec)} days",
            state="deleted")


def _matches(rule: RetentionRule, rec: Recording) -> bool:
    return ((not rule.tag or rule.tag in rec.tags)
            and (not rule.disposition or rule.disposition == rec.disposition)
            and (not rule.queue or rule.queue == rec.queue))


def _files_under(top: Path) -> Iterator[Path]:
    """The recording files under ``top`` (not the ``.part`` files of a write under way)."""
    if not top.is_dir():
        return
    for root, _dirs, names in os.walk(top):
        for name in sorted(names):
            if not name.endswith(files.PART):
                yield Path(root) / name
