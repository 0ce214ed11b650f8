"""Hybrid retrieval: dense (Chroma) + BM25, fused by reciprocal rank, with a relevance floor.

Fusion is written here rather than with QueryFusionRetriever because that class drops each
retriever's own scores, and the relevance floor needs the dense cosine similarity.
Both retrievers are llama-index's; they are built once per process (see app.Bot).
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field, replace

import bm25s
import numpy as np
from llama_index.core import VectorStoreIndex
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.vector_stores import MetadataFilter, MetadataFilters
from llama_index.core.vector_stores.utils import metadata_dict_to_node
from llama_index.retrievers.bm25 import BM25Retriever

from .embeddings import MiniLMEmbedding
from .settings import Settings
from .store import Store, StoreError

RRF_K = 60  # the constant from Cormack et al. (2009); damps the weight of top ranks
# A capitalised word of the question that at most ANCHOR_DF chunks contain (a person's name,
# mostly) anchors them: up to ANCHORS of them lead the passages (see Retriever._anchored).
ANCHOR_DF = 2
ANCHORS = 2
_CAPITALISED = re.compile(r"\b[A-Z][\w’'-]+")


def _names(text: str) -> set[str]:
    return {w.lower() for w in _CAPITALISED.findall(text)}


@dataclass
class Passage:
    """A retrieved chunk and where it sits in its article."""

    node_id: str
    article_id: str
    text: str
    start: int  # character offsets of `text` in the article body
    end: int
    score: float  # fused RRF score
    dense: float | None  # cosine similarity to the question, when the dense retriever found it
    meta: dict = field(repr=False, default_factory=dict)


@dataclass
class Retrieval:
    query: str
    passages: list[Passage]
    best_dense: float
    covered: bool
    seconds: float
    pinned: tuple[str, ...] = ()  # node ids put in by with_context / with_source, kept by the other


def _cosines(dense: list[NodeWithScore]) -> dict[str, float]:
    """Each dense hit's cosine: ChromaVectorStore reports exp(-distance), and with cosine space
    distance = 1 - cos."""
    return {n.node.node_id: 1.0 + math.log(max(n.score or 0.0, 1e-12)) for n in dense}


def _passage(node, score: float, cos: dict[str, float]) -> Passage:
    """A retrieved node as a Passage, with its fused score and its cosine when the dense retriever found it."""
    return Passage(node_id=node.node_id, article_id=node.metadata.get("id", node.ref_doc_id or ""), text=node.get_content(),
                   start=node.start_char_idx or 0, end=node.end_char_idx or 0, score=score, dense=cos.get(node.node_id),
                   meta=dict(node.metadata))


def rrf(rankings: list[list[NodeWithScore]], k: int = RRF_K) -> list[tuple[NodeWithScore, float]]:
    scores: dict[str, float] = {}
    nodes: dict[str, NodeWithScore] = {}
    for ranking in rankings:
        for rank, nws in enumerate(ranking):
            scores[nws.node.node_id] = scores.get(nws.node.node_id, 0.0) + 1.0 / (k + rank + 1)
            nodes.setdefault(nws.node.node_id, nws)
    return sorted(((nodes[i], s) for i, s in scores.items()), key=lambda p: -p[1])


class SparseRetriever(BM25Retriever):
    """llama-index's BM25 retriever, with a top-k taken over the chunks that share a word with the query.

    bm25s picks the top k with np.argpartition over every chunk's score. When nearly all scores
    are zero (the usual case: a question shares words with few chunks), numpy's introselect
    degrades: 0.9 ms at 50k chunks against 0.05 ms over the non-zero scores (bench, 2026-11-25).
    Chunks with a zero score matched no query word, so leaving them out also keeps arbitrary
    chunks out of the fused ranking.
    """

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        tokens = bm25s.tokenize(query_bundle.query_str, stemmer=None if self.skip_stemming else self.stemmer,
                                token_pattern=self.token_pattern, return_ids=False, show_progress=False)[0]
        if not tokens:  # stopwords only ("Is it?", "Such as?"): no chunk shares a word, and bm25s raises on it
            return []
        scores = self.bm25.get_scores(tokens)
        hits = np.flatnonzero(scores > 0)
        if len(hits) > self.similarity_top_k:
            hits = hits[np.argpartition(scores[hits], -self.similarity_top_k)[-self.similarity_top_k:]]
        hits = hits[np.argsort(-scores[hits], kind="stable")]
        return [NodeWithScore(node=metadata_dict_to_node(self.corpus[int(i)]), score=float(scores[i])) for i in hits]


class Retriever:
    def __init__(self, settings: Settings, store: Store, embed_model: MiniLMEmbedding):
        self.settings = settings
        n = store.count()
        if n == 0:
            raise StoreError("the index is empty; run `bot index` first")
        index = VectorStoreIndex.from_vector_store(store.vector_store, embed_model=embed_model)
        self.index = index
        self.dense = index.as_retriever(similarity_top_k=min(settings.candidates, n))
        nodes = store.nodes()
        self.sparse = SparseRetriever.from_defaults(nodes=nodes, similarity_top_k=min(settings.candidates, n))
        self.chunks = n
        # Chunks each capitalised word occurs in: a name that few chunks hold picks them out.
        self.name_df = Counter(w for node in nodes for w in _names(node.get_content()))
        self.generation = store.name

    def retrieve(self, query: str, top_k: int | None = None, embedding: list[float] | None = None) -> Retrieval:
        """Fused passages for `query`; `embedding` skips embedding it (benchmarks compare like with like)."""
        t0 = time.perf_counter()
        top_k = top_k or self.settings.top_k
        try:
            dense = self.dense.retrieve(QueryBundle(query, embedding=embedding))
        except Exception as e:
            raise StoreError(f"the vector store failed during search ({type(e).__name__}: {e})") from None
        # Sequential: with zero scores skipped BM25 takes ~0.3 ms at 50k chunks, and a thread
        # beside the dense query no longer saved anything measurable.
        sparse = self.sparse.retrieve(QueryBundle(query))
        cos = _cosines(dense)
        best = max(cos.values(), default=0.0)
        ranked, anchors = self._anchored(query, rrf([dense, sparse]), sparse)
        passages = [_passage(nws.node, score, cos) for nws, score in ranked[:top_k]]
        # A name of the question that only a chunk or two hold ("What does Courtney Fung do?") shows
        # the articles cover it, though MiniLM, which knows no names, finds nothing close (0.12).
        covered = best >= self.settings.relevance_floor or bool(anchors)
        return Retrieval(query, passages, best, covered, time.perf_counter() - t0)

    def with_context(self, retrieval: Retrieval, context: str) -> Retrieval:
        """`retrieval`, or, when it lacks the best passage for `context` (what the conversation
        last said), with that passage in place of its last one: as many passages, so the prompt
        is no longer.

        A follow-up leans on the last answer ("Who said that?", "Driven by what, then?", "Which
        upheaval?"), and its rewrite often loses what it leans on; the passage the last answer
        came from holds what comes next. On dev's 98 answerable follow-ups the gold quotes'
        recall went 0.764 -> 0.896, no item lower (evals/DECISIONS.md, 2026-12-07). Asking with
        the rewrite and the last answer as one query reached as many but drowned the rewrites that
        were whole ("When did the last troops leave?" after an answer on how many were sent)."""
        if not context.strip() or not retrieval.passages:
            return retrieval
        t0 = time.perf_counter()
        best = self.retrieve(context, top_k=1).passages
        if not best or any(p.node_id == best[0].node_id for p in retrieval.passages):
            return retrieval
        return self._put_in(retrieval, best[0], t0)

    def with_source(self, retrieval: Retrieval, article_ids: list[str]) -> Retrieval:
        """`retrieval`, or, for each article the question names by its outlet or author that none
        of its passages comes from ("What does the FT say about China's reaction?"), with that
        article's passage closest to the question in place of its last one: as many passages.

        Asked about one source, the passages came from others for 6 of dev's 134 such questions,
        and the answer then quoted another outlet or was refused (evals/DECISIONS.md,
        2026-12-07). The article's own passages are ranked as the whole corpus is: its dense
        (Chroma, filtered by article) and BM25 hits fused by reciprocal rank."""
        t0 = time.perf_counter()
        for article_id in article_ids:
            if not retrieval.passages or any(p.article_id == article_id for p in retrieval.passages):
                continue
            only = MetadataFilters(filters=[MetadataFilter(key="id", value=article_id)])
            try:
                dense = self.index.as_retriever(similarity_top_k=self.settings.candidates, filters=only).retrieve(retrieval.query)
            except Exception as e:
                raise StoreError(f"the vector store failed during search ({type(e).__name__}: {e})") from None
            sparse = [n for n in self.sparse.retrieve(QueryBundle(retrieval.query)) if n.node.metadata.get("id") == article_id]
            if fused := rrf([dense, sparse]):
                retrieval = self._put_in(retrieval, _passage(fused[0][0].node, fused[0][1], _cosines(dense)), t0)
                t0 = time.perf_counter()
        return retrieval

    @staticmethod
    def _put_in(retrieval: Retrieval, passage: Passage, t0: float) -> Retrieval:
        """`retrieval` with `passage` in place of its last passage not put in before (pinned)."""
        passages = list(retrieval.passages)
        free = [i for i, p in enumerate(passages) if p.node_id not in retrieval.pinned]
        if len(passages) > 1 and free:
            passages[free[-1]] = passage
        else:
            passages.append(passage)
        return replace(retrieval, passages=passages, pinned=(*retrieval.pinned, passage.node_id),
                       seconds=retrieval.seconds + time.perf_counter() - t0)

    def _anchored(self, query: str, fused: list[tuple[NodeWithScore, float]], sparse: list[NodeWithScore]):
        """(the fused ranking with the chunks that hold a rare name of the question moved first,
        those chunks' ids).

        "Who is Raffaello Pantucci, …?": BM25 ranks the one chunk naming him first, the dense
        retriever (matching "Russia's intervention") does not list it, and rank fusion put it
        6th, out of the top 5; the model then invented who he is. Such chunks are found among
        BM25's hits, where a word this rare always ranks them high.
        """
        asked = _names(query.split(maxsplit=1)[-1])  # the first word is capitalised anyway ("Who")
        rare = {w for w in asked if 0 < self.name_df.get(w, 0) <= ANCHOR_DF}
        if not rare:
            return fused, []
        anchors = [n.node.node_id for n in sparse if rare & _names(n.node.get_content())][:ANCHORS]
        first = sorted((x for x in fused if x[0].node.node_id in anchors), key=lambda x: anchors.index(x[0].node.node_id))
        return first + [x for x in fused if x[0].node.node_id not in anchors], anchors
