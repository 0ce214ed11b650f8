"""Indexing: metadata and offsets on chunks; re-indexing is idempotent, replaces edits, drops removals."""

from __future__ import annotations

from bot.corpus import load_corpus
from bot.ingest import run_index
from bot.store import open_store


def _chunks(settings):
    got = open_store(settings).collection.get(include=["documents", "metadatas"])
    return dict(zip(got["ids"], zip(got["documents"], got["metadatas"])))


def test_chunks_carry_metadata_and_exact_offsets(scratch):
    report = run_index(scratch, progress=False)
    articles = {a.id: a for a in load_corpus(scratch.corpus_dir)}
    assert report.changed == sorted(articles) and report.chunks > 20
    nodes = open_store(scratch).vector_store.get_nodes(None)
    assert len(nodes) == report.chunks
    for node in nodes:
        art = articles[node.metadata["id"]]
        assert node.node_id.startswith(f"{art.id}:")  # stable ids
        assert node.metadata["outlet"] == art.outlet and node.metadata["title"] == art.title
        assert art.text[node.start_char_idx : node.end_char_idx] == node.get_content()


def test_reindex_is_idempotent_and_replaces_edited_text(scratch):
    first = run_index(scratch, progress=False)
    before = _chunks(scratch)

    again = run_index(scratch, progress=False)
    assert again.changed == [] and again.deleted == []
    assert _chunks(scratch) == before  # same ids, same text: nothing duplicated

    path = scratch.corpus_dir / "spectator-pike.md"
    old = "Some 164 civilians were killed."
    new = "Some 999 civilians were counted in an edited test copy."
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    edited = run_index(scratch, progress=False)
    assert edited.changed == ["spectator-pike"]
    after = _chunks(scratch)
    texts = " ".join(doc for doc, _ in after.values())
    assert new in texts and old not in texts  # no stale text survives
    assert len(after) == first.chunks  # the edit kept the chunk count: no duplicates
    assert all(doc == before[i][0] for i, (doc, _) in after.items() if not i.startswith("spectator-pike:"))


def test_removed_article_is_deleted_and_rebuild_restores(scratch):
    run_index(scratch, progress=False)
    (scratch.corpus_dir / "ft-beijing-reluctance.md").unlink()
    report = run_index(scratch, progress=False)
    assert report.deleted == ["ft-beijing-reluctance"]
    assert not any(i.startswith("ft-beijing-reluctance:") for i in _chunks(scratch))
    rebuilt = run_index(scratch, rebuild=True, progress=False)
    assert rebuilt.chunks == report.chunks and len(rebuilt.changed) == 4


def test_wiped_store_is_detected_and_refilled(scratch):
    first = run_index(scratch, progress=False)
    store = open_store(scratch)
    store.client.delete_collection(store.name)
    again = run_index(scratch, progress=False)
    assert again.chunks == first.chunks and len(again.changed) == 5
