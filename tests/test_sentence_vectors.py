"""Article sentences are embedded once, at index time, and read back with the vectors `embed` gives."""

from __future__ import annotations

import numpy as np

from bot import embeddings
from bot.corpus import load_corpus
from bot.embeddings import VECTORS_FILE, SentenceVectors, embed
from bot.ingest import run_index
from bot.sentences import sentence_spans

TEXTS = [
    "Kazakhstan's president asked the CSTO for help.",
    "Short.",
    "A much longer sentence about fuel prices, protests in Zhanaozen and Almaty, and the response of neighbouring states.",
]


def test_vectors_do_not_depend_on_the_batch():
    # What the file relies on: a text's vector is the same alone, in a batch, in any order.
    together = embed(TEXTS)
    alone = np.array([embed([t])[0] for t in TEXTS])
    reversed_ = embed(TEXTS[::-1])[::-1]
    assert np.array_equal(together, alone) and np.array_equal(together, reversed_)


def test_saved_vectors_are_read_back_without_embedding(tmp_path, monkeypatch):
    path = tmp_path / "v.npz"
    SentenceVectors(path).save(TEXTS)
    calls = []
    monkeypatch.setattr(embeddings, "embed", lambda texts: calls.append(texts) or embed(texts))
    got = SentenceVectors(path).vectors(TEXTS[::-1])
    assert calls == []  # every text came from the file
    assert np.array_equal(got, embed(TEXTS[::-1]))
    fresh = SentenceVectors(path).vectors(["A sentence nobody indexed."])
    assert calls == [["A sentence nobody indexed."]] and fresh.shape == (1, 384)
    assert SentenceVectors(path).vectors([]).shape == (0, 384)


def test_a_damaged_or_foreign_file_is_embedded_again(tmp_path):
    path = tmp_path / "v.npz"
    path.write_bytes(b"not a numpy file")
    assert np.array_equal(SentenceVectors(path).vectors(TEXTS), embed(TEXTS))
    np.savez(path, embedder=np.array("another model"), keys=np.array([SentenceVectors._key(TEXTS[0])]),
             vectors=np.ones((1, 384), dtype=np.float32))
    assert np.array_equal(SentenceVectors(path).vectors(TEXTS[:1]), embed(TEXTS[:1]))  # not the file's ones


def test_index_saves_every_article_sentence_and_a_noop_writes_nothing(scratch):
    run_index(scratch, progress=False)
    path = scratch.index_dir / VECTORS_FILE
    with np.load(path) as f:
        keys = set(f["keys"].tolist())
    articles = load_corpus(scratch.corpus_dir)
    sentences = {a.text[s:e] for a in articles for s, e in sentence_spans(a.text)}
    assert keys == {SentenceVectors._key(t) for t in sentences}
    written = path.stat().st_mtime_ns
    run_index(scratch, progress=False)
    assert path.stat().st_mtime_ns == written

    # An edited article: its new sentence is in the file, the replaced one is gone.
    art = scratch.corpus_dir / "spectator-pike.md"
    old, new = "Some 164 civilians were killed.", "Some 999 civilians were counted in an edited test copy."
    art.write_text(art.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    run_index(scratch, progress=False)
    with np.load(path) as f:
        keys = set(f["keys"].tolist())
    assert SentenceVectors._key(new) in keys and SentenceVectors._key(old) not in keys
