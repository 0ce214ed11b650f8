"""The Chroma collections behind the index: an embedded folder by default, a server when set.

The index is built in generations: each (re)index that changes something writes a new
collection `<collection>-<ms>` and then flips a small pointer file, so a question asked
during a rebuild is answered from the previous, complete generation (never a half-built one).
The previous generation is kept until the next switch, for processes still reading it.
Every Chroma failure surfaces as StoreError with a sentence a user can act on.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from llama_index.vector_stores.chroma import ChromaVectorStore

from .settings import Settings

REBUILD_HINT = "run `bot index --rebuild`"


class StoreError(RuntimeError):
    """The vector store cannot be reached, read or written; the message says what to do."""


def io_error(e: OSError, what: str) -> StoreError:
    if e.errno == errno.ENOSPC:
        return StoreError(f"the disk is full while {what}; free some space and run `bot index` again (the previous index is unchanged)")
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StoreError(f"no permission while {what} ({e.filename or e}); check the index folder's permissions")
    return StoreError(f"{what} failed: {e.strerror or e}")


@dataclass
class Store:
    name: str
    client: object
    collection: object
    vector_store: ChromaVectorStore

    def nodes(self, batch: int = 5000) -> list:
        """Every chunk as a llama-index node, paged (one big `get` exceeds SQLite's variable limit)."""
        from llama_index.core.vector_stores.utils import metadata_dict_to_node

        out = []
        try:
            for offset in range(0, self.count(), batch):
                got = self.collection.get(include=["documents", "metadatas"], limit=batch, offset=offset)
                for meta, text in zip(got["metadatas"], got["documents"]):
                    node = metadata_dict_to_node(meta, text=text)
                    out.append(node)
        except StoreError:
            raise
        except Exception as e:
            raise StoreError(f"cannot read the index ({type(e).__name__}: {e}); {REBUILD_HINT}") from None
        return out

    def count(self) -> int:
        try:
            return self.collection.count()
        except Exception as e:  # chromadb raises many types for a broken folder
            raise StoreError(f"cannot read the vector store ({type(e).__name__}: {e}); {REBUILD_HINT}") from None


def _target(settings: Settings) -> str:
    return f"{settings.chroma_host}_{settings.chroma_port}" if settings.chroma_host else "local"


def pointer_path(settings: Settings) -> Path:
    return settings.index_dir / f"active-{_target(settings)}-{settings.collection}.json"


def docstore_path(settings: Settings, generation: str) -> Path:
    """The ingestion docstore (document hashes) that describes one generation."""
    return settings.index_dir / f"docstore-{_target(settings)}-{generation}.json"


def active_generation(settings: Settings) -> str | None:
    try:
        return json.loads(pointer_path(settings).read_text(encoding="utf-8"))["collection"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        raise StoreError(f"the index pointer {pointer_path(settings)} is unreadable; {REBUILD_HINT}") from None


def activate(settings: Settings, generation: str) -> None:
    """Point readers at `generation`: write-then-rename, so readers see the old or the new name."""
    path = pointer_path(settings)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    try:
        tmp.write_text(json.dumps({"collection": generation, "activated": time.time()}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise io_error(e, "switching to the new index") from None


def connect(settings: Settings):
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.index_dir / "chroma"), settings=chroma_settings)
    except OSError as e:
        raise io_error(e, f"opening the vector store ({settings.chroma_mode})") from None
    except Exception as e:
        raise StoreError(f"cannot open the vector store ({settings.chroma_mode}): {e}; {REBUILD_HINT} if it persists") from None


def set_aside_damaged(settings: Settings) -> Path | None:
    """Move an embedded Chroma folder that cannot be opened out of the way (kept for inspection)."""
    folder = settings.index_dir / "chroma"
    if settings.chroma_host or not folder.exists():
        return None
    try:
        connect(settings).list_collections()
        return None
    except Exception:
        aside = folder.with_name(f"chroma.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        folder.rename(aside)
        # chromadb caches one client per path in-process, including a broken one: forget it.
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
        pointer_path(settings).unlink(missing_ok=True)
        return aside


@contextmanager
def writer_lock(settings: Settings):
    """One index writer at a time; readers never wait for it."""
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    path = settings.index_dir / "index.lock"
    with open(path, "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"another `bot index` is running (lock {path}); wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _wrap(client, coll) -> Store:
    return Store(coll.name, client, coll, ChromaVectorStore(chroma_collection=coll))


def open_store(settings: Settings) -> Store:
    """The active generation, for reading."""
    name = active_generation(settings)
    if name is None:
        raise StoreError(f"no index found ({settings.chroma_mode}); run `bot index` first")
    client = connect(settings)
    try:
        return _wrap(client, client.get_collection(name))
    except Exception as e:
        raise StoreError(f"the index ({settings.chroma_mode}) is missing or damaged ({type(e).__name__}); {REBUILD_HINT}") from None


def new_generation(settings: Settings) -> Store:
    client = connect(settings)
    name = f"{settings.collection}-{time.time_ns() // 1_000_000}"
    try:
        return _wrap(client, client.create_collection(name, metadata={"hnsw:space": "cosine"}))
    except Exception as e:
        raise StoreError(f"cannot create a collection in the vector store ({settings.chroma_mode}): {e}") from None


def drop(settings: Settings, store: Store) -> None:
    try:
        store.client.delete_collection(store.name)
    except Exception:
        pass  # best effort: a leftover generation is pruned by the next index run
    docstore_path(settings, store.name).unlink(missing_ok=True)


def prune(settings: Settings, keep: set[str]) -> None:
    """Delete generations of this collection other than `keep` (the active and the previous)."""
    client = connect(settings)
    try:
        names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
    except Exception:
        return
    for name in names:
        if name.startswith(f"{settings.collection}-") and name not in keep:
            try:
                client.delete_collection(name)
            except Exception:
                continue
            docstore_path(settings, name).unlink(missing_ok=True)
