"""The Chroma collection behind the index: an embedded folder by default, a server when set.

Every Chroma failure surfaces as StoreError with a sentence a user can act on.
"""

from __future__ import annotations

from dataclasses import dataclass

import chromadb
from chromadb.config import Settings as ChromaSettings
from llama_index.vector_stores.chroma import ChromaVectorStore

from .settings import Settings


class StoreError(RuntimeError):
    """The vector store cannot be reached or read; the message says what to do."""


@dataclass
class Store:
    client: object
    collection: object
    vector_store: ChromaVectorStore

    def count(self) -> int:
        try:
            return self.collection.count()
        except Exception as e:  # chromadb raises many types for a broken folder
            raise StoreError(f"cannot read the vector store ({type(e).__name__}: {e}); run `bot index --rebuild`") from None


def client(settings: Settings):
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.index_dir / "chroma"), settings=chroma_settings)
    except Exception as e:
        raise StoreError(f"cannot open the vector store ({settings.chroma_mode}): {e}") from None


def open_store(settings: Settings, reset: bool = False, create: bool = True) -> Store:
    c = client(settings)
    try:
        if reset:
            try:
                c.delete_collection(settings.collection)
            except Exception:
                pass  # nothing to reset
        if create:
            coll = c.get_or_create_collection(settings.collection, metadata={"hnsw:space": "cosine"})
        else:
            coll = c.get_collection(settings.collection)
    except Exception as e:
        if not create:
            raise StoreError(f"no index found ({settings.chroma_mode}); run `bot index` first") from None
        raise StoreError(f"cannot open collection {settings.collection!r} ({settings.chroma_mode}): {e}") from None
    return Store(c, coll, ChromaVectorStore(chroma_collection=coll))
