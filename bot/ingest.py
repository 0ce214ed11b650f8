"""corpus/ -> chunks with metadata and offsets -> MiniLM vectors -> Chroma.

llama-index's IngestionPipeline does the bookkeeping: with a persisted docstore and the
UPSERTS_AND_DELETE strategy, an unchanged article (same document hash) is skipped, a changed
one has its old chunks deleted before the new ones go in, and an article that left corpus/
has its chunks deleted. Chunk ids are `<article id>:<n>`, so they are stable. The work is
done on a copy (a new store generation, see store.py) that readers switch to only when complete.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from llama_index.core import Document
from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.storage.docstore import SimpleDocumentStore

from .corpus import Article, load_corpus
from .embeddings import VECTORS_FILE, MiniLMEmbedding, SentenceVectors, count_tokens
from .sentences import sentence_spans
from .settings import Settings
from .store import (
    Store,
    StoreError,
    activate,
    active_generation,
    docstore_path,
    drop,
    io_error,
    new_generation,
    open_store,
    prune,
    set_aside_damaged,
    writer_lock,
)

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


def _copy(src: Store, dst: Store, batch: int = 2000) -> None:
    """Carry unchanged chunks (with their vectors) into the new generation: no re-embedding."""
    total = src.count()
    for offset in range(0, total, batch):
        got = src.collection.get(include=["embeddings", "documents", "metadatas"], limit=batch, offset=offset)
        if got["ids"]:
            dst.collection.add(ids=got["ids"], embeddings=got["embeddings"], documents=got["documents"], metadatas=got["metadatas"])


def _unchanged(docs: list[Document], docstore: SimpleDocumentStore) -> bool:
    hashes = docstore.get_all_document_hashes()  # hash -> doc id
    return {d.id_ for d in docs} == set(hashes.values()) and all(docstore.get_document_hash(d.id_) == d.hash for d in docs)


def run_index(settings: Settings, rebuild: bool = False, progress: bool = True) -> IndexReport:
    """Bring the index in line with corpus/ and switch readers to it atomically."""
    articles = load_corpus(settings.corpus_dir)  # a bad corpus fails before anything is touched
    try:
        with writer_lock(settings):
            report = _run_index(settings, articles, rebuild, progress)
            # The sentences answers are cited from, embedded now rather than in every answer.
            SentenceVectors(settings.index_dir / VECTORS_FILE).save([a.text[s:e] for a in articles for s, e in sentence_spans(a.text)])
            return report
    except OSError as e:
        raise io_error(e, "writing the index") from None


def _run_index(settings: Settings, articles: list[Article], rebuild: bool, progress: bool) -> IndexReport:
    t0 = time.perf_counter()
    docs = [to_document(a) for a in articles]
    if rebuild:
        set_aside_damaged(settings)

    # Readers may still be answering from the active generation, rebuild or not: keep it
    # until the next switch (a rebuild used to prune it under a running question).
    try:
        previous = active_generation(settings)
    except StoreError:
        if not rebuild:
            raise  # says how to recover: rebuild
        previous = None  # an unreadable pointer names nothing worth keeping
    old, docstore = None, SimpleDocumentStore()
    if not rebuild and previous:
        try:
            old = open_store(settings)
            path = docstore_path(settings, old.name)
            if old.count() > 0 and path.exists():
                docstore = SimpleDocumentStore.from_persist_path(str(path))
            else:
                old = None  # emptied or bookkeeping lost: embed everything again
        except StoreError:
            old = None  # damaged: rebuild from scratch rather than fail
        except ValueError:
            old, docstore = None, SimpleDocumentStore()
    if old is not None and _unchanged(docs, docstore):
        return IndexReport(len(articles), [], [], old.count(), time.perf_counter() - t0)

    before = set(docstore.get_all_document_hashes().values())
    new = new_generation(settings)
    try:
        if old is not None:
            _copy(old, new)
        pipeline = IngestionPipeline(
            transformations=[splitter(settings), MiniLMEmbedding()],
            vector_store=new.vector_store,
            docstore=docstore,
            docstore_strategy=DocstoreStrategy.UPSERTS_AND_DELETE,
        )
        nodes = pipeline.run(documents=docs, show_progress=progress)
        path = docstore_path(settings, new.name)
        docstore.persist(str(path))
        chunks = new.count()
        activate(settings, new.name)
    except OSError as e:
        drop(settings, new)
        raise io_error(e, "writing the index") from None
    except BaseException:
        drop(settings, new)  # readers never see a half-built generation
        raise
    prune(settings, keep={new.name} | ({previous} if previous else set()))
    changed = sorted({n.ref_doc_id for n in nodes})
    deleted = sorted(before - {d.id_ for d in docs})
    return IndexReport(len(articles), changed, deleted, chunks, time.perf_counter() - t0)
