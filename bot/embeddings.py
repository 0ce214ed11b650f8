"""all-MiniLM-L6-v2 embeddings from an int8 ONNX file, run offline on onnxruntime.

llama-index has no embedding class for a bare ONNX file without torch/optimum (its
HuggingFace and FastEmbed classes download from a hub), so this is a small BaseEmbedding:
WordPiece tokenizer (tokenizer.json committed in bot/assets), mean pooling, L2 norm --
the sentence-transformers recipe for this model.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from .model_file import ONNX_SHA256, embedder_onnx

TOKENIZER = Path(__file__).parent / "assets" / "minilm-tokenizer.json"
VECTORS_FILE = "sentence-vectors.npz"  # in the index folder (see SentenceVectors)
MAX_TOKENS = 256  # the model's max_seq_length
DIM = 384


@lru_cache(maxsize=1)
def _tokenizer():
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(TOKENIZER))
    tok.enable_truncation(MAX_TOKENS)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return tok


@lru_cache(maxsize=1)
def _session():
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    # One thread: a short query runs in ~3 ms instead of ~7 ms (measured), because the thread
    # pool's spinning competes with llama.cpp and other work on a 2-core machine.
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(str(embedder_onnx()), opts, providers=["CPUExecutionProvider"])


def count_tokens(text: str) -> list[int]:
    """Token ids without special tokens, for the splitter (so chunks fit the embedder)."""
    return _tokenizer().encode(text, add_special_tokens=False).ids


def embed(texts: list[str], batch: int = 32) -> np.ndarray:
    """Unit-length embeddings, shape (len(texts), 384)."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    tok, sess = _tokenizer(), _session()
    # Batched by length: a batch is padded to its longest text, and the vectors do not depend on
    # the batch (checked bit for bit), so this only saves the padding's work.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for i in range(0, len(texts), batch):
        rows = order[i : i + batch]
        enc = tok.encode_batch([texts[r] for r in rows])
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        hidden = sess.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
        out[rows] = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    return out


@lru_cache(maxsize=1024)
def embed_cached(text: str) -> np.ndarray:
    """Embedding of a text that comes up again and again (topic names, claim and glossary sentences)."""
    return embed([text])[0]


class SentenceVectors:
    """Vectors of article sentences, embedded once by `bot index` and read from a file beside
    the index by every process after it.

    Citing an answer compares it with every article sentence in the retrieved passages, some
    60 of them: 0.3 s of embedding per answer on 2 cores, on the critical path of a cold
    `bot ask`. Keyed by a hash of the text (as simonw/llm skips unchanged content), so a
    sentence edited after indexing is simply embedded when needed. A vector read here is the
    one `embed` returns for the text: MiniLM's vectors do not depend on what a text is batched
    with (checked bit for bit), so answers are the same with or without the file.
    """

    def __init__(self, path: Path | None = None):
        self.path = path
        self._known: dict[str, np.ndarray] = {}
        self._in_file: set[str] = set()
        self._read = path is None

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def _load(self) -> None:
        if self._read:
            return
        self._read = True
        try:
            with np.load(self.path, allow_pickle=False) as f:
                if str(f["embedder"]) == ONNX_SHA256:  # another embedder's vectors are not these
                    self._known.update(zip(f["keys"].tolist(), f["vectors"]))
                    self._in_file = set(self._known)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            pass  # missing or damaged: its sentences are embedded when asked for

    def vectors(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings of `texts`, shape (len(texts), 384), embedding only unknown ones."""
        self._load()
        keys = [self._key(t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts) if k not in self._known}
        if missing:
            self._known.update(zip(missing, embed(list(missing.values()))))
        return np.array([self._known[k] for k in keys], dtype=np.float32).reshape(len(texts), DIM)

    def save(self, texts: list[str]) -> None:
        """Keep exactly `texts` in the file (index time); unchanged texts keep their vectors."""
        texts = list(dict.fromkeys(texts))
        keys = [self._key(t) for t in texts]
        self._load()
        if set(keys) == self._in_file:
            return  # nothing new: a no-op re-index writes nothing
        vectors = self.vectors(texts)
        tmp = self.path.with_name(f"{self.path.name}.tmp{os.getpid()}.npz")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(tmp, embedder=np.array(ONNX_SHA256), keys=np.array(keys), vectors=vectors)
            os.replace(tmp, self.path)
            self._in_file = set(keys)
        except OSError:
            tmp.unlink(missing_ok=True)  # a cache that cannot be written costs time, not answers


class MiniLMEmbedding(BaseEmbedding):
    """llama-index embedding model backed by `embed`; the query LRU spares repeat questions."""

    model_name: str = "all-MiniLM-L6-v2-int8-onnx"
    embed_batch_size: int = 32
    _cache: dict = PrivateAttr(default_factory=dict)

    @classmethod
    def class_name(cls) -> str:
        return "MiniLMEmbedding"

    def clear_cache(self) -> None:
        self._cache.clear()

    def _get_query_embedding(self, query: str) -> list[float]:
        if query not in self._cache:
            if len(self._cache) > 512:
                self._cache.clear()
            self._cache[query] = embed([query])[0].tolist()
        return self._cache[query]

    def _get_text_embedding(self, text: str) -> list[float]:
        return embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return embed(list(texts)).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)
