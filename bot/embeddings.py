"""all-MiniLM-L6-v2 embeddings from an int8 ONNX file, run offline on onnxruntime.

llama-index has no embedding class for a bare ONNX file without torch/optimum (its
HuggingFace and FastEmbed classes download from a hub), so this is a small BaseEmbedding:
WordPiece tokenizer (tokenizer.json committed in bot/assets), mean pooling, L2 norm --
the sentence-transformers recipe for this model.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from .model_file import embedder_onnx

TOKENIZER = Path(__file__).parent / "assets" / "minilm-tokenizer.json"
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
    for i in range(0, len(texts), batch):
        enc = tok.encode_batch(texts[i : i + batch])
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        hidden = sess.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
        out[i : i + len(enc)] = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    return out


@lru_cache(maxsize=1024)
def embed_cached(text: str) -> np.ndarray:
    """Embedding of a text that comes up again and again (topic names, claim and glossary sentences)."""
    return embed([text])[0]


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
