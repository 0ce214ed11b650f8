"""File helpers shared by the caches kept beside the index and the model (head states, briefings)."""

from __future__ import annotations

from pathlib import Path


def keep_newest(folder: Path, pattern: str, keep: int) -> list[Path]:
    """Delete all but the `keep` newest files of `folder` matching `pattern` (by modification
    time) and return the deleted ones. A file another process removed meanwhile is skipped."""
    def mtime(path: Path) -> int:
        try:
            return path.stat().st_mtime_ns
        except FileNotFoundError:
            return -1

    old = sorted(folder.glob(pattern), key=mtime, reverse=True)[keep:]
    for path in old:
        path.unlink(missing_ok=True)
    return old
