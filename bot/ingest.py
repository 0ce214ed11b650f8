"""corpus/ -> chunks with metadata and offsets -> MiniLM vectors -> Chroma.

llama-index's IngestionPipeline does the bookkeeping: with a persisted docstore and the
UPSERTS_AND_DELETE strategy, an unchanged article (same document hash) is skipped, a changed
one has its old chunks deleted from Chroma before the new ones go in, and an article that
left corpus/ has its chunks deleted. Chunk ids are `<article id>:<n>`, so they are stable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from llama_index.core import Document
from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.storage.docstore import SimpleDocumentStore

from .corpus import Article, load_corpus
from .embeddings import MiniLMEmbedding, count_tokens
from .settings import Settings
from .store import StoreError, open_store

# Only the title joins the chunk text in the embedding; the rest is for citations.
EMBED_METADATA = {"title"}


@dataclass
class IndexReport:
    articles: int
    changed: list[str]  # added or updated article ids
    deleted: list[str]
    chunks: int  # chunks in the store afterwards
    seconds: float

    def summary(self) -> str:
        what = f"{len(self.changed)} article(s) (re)embedded" if self.changed else "nothing changed"
        gone = f", {len(self.deleted)} removed" if self.deleted else ""
        return f"{self.articles} articles, {self.chunks} chunks: {what}{gone} ({self.seconds:.2f} s)"


def to_document(article: Article) -> Document:
    meta = article.metadata()
    return Document(
        id_=article.id,
        text=article.text,
        metadata=meta,
        excluded_embed_metadata_keys=[k for k in meta if k not in EMBED_METADATA],
        excluded_llm_metadata_keys=list(meta),
    )


def splitter(settings: Settings) -> SentenceSplitter:
    return SentenceSplitter(
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
        tokenizer=count_tokens,  # count MiniLM word-pieces, so no chunk is truncated by the embedder
        id_func=lambda i, doc: f"{doc.id_}:{i}",
    )


def docstore_path(settings: Settings) -> Path:
    # One docstore per target store: its hashes describe what that store holds.
    where = f"{settings.chroma_host}_{settings.chroma_port}" if settings.chroma_host else "local"
    return settings.index_dir / f"docstore-{where}-{settings.collection}.json"


def run_index(settings: Settings, rebuild: bool = False, progress: bool = True) -> IndexReport:
    t0 = time.perf_counter()
    articles = load_corpus(settings.corpus_dir)
    store = open_store(settings, reset=rebuild)
    ds_path = docstore_path(settings)
    docstore = SimpleDocumentStore()
    if ds_path.exists() and not rebuild:
        docstore = SimpleDocumentStore.from_persist_path(str(ds_path))
        if store.count() == 0 and docstore.docs:
            docstore = SimpleDocumentStore()  # the store was wiped behind our back: re-embed all
    before = dict(docstore.get_all_document_hashes())  # hash -> id
    pipeline = IngestionPipeline(
        transformations=[splitter(settings), MiniLMEmbedding()],
        vector_store=store.vector_store,
        docstore=docstore,
        docstore_strategy=DocstoreStrategy.UPSERTS_AND_DELETE,
    )
    docs = [to_document(a) for a in articles]
    nodes = pipeline.run(documents=docs, show_progress=progress)
    after_ids = {d.id_ for d in docs}
    changed = sorted({n.ref_doc_id for n in nodes})
    deleted = sorted(set(before.values()) - after_ids)
    try:
        ds_path.parent.mkdir(parents=True, exist_ok=True)
        docstore.persist(str(ds_path))
    except OSError as e:
        raise StoreError(f"could not save the index bookkeeping to {ds_path}: {e.strerror or e}") from None
    return IndexReport(len(articles), changed, deleted, store.count(), time.perf_counter() - t0)
