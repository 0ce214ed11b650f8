"""Hybrid retrieval finds the right article for known questions; the floor turns away off-topic ones."""

from __future__ import annotations

import pytest

from bot.retrieve import rrf

KNOWN = [
    ("What triggered the protests in Kazakhstan?", "chinausfocus-beijing-problem", "liquefied petroleum gas"),
    ("How many civilians were killed according to The Spectator?", "spectator-pike", "164 civilians"),
    ("What share of Kazakhstan's oil do Chinese companies extract?", "wsj-beijing-watches", "17%"),
    ("What term did Chinese media use for peacekeeping?", "ispi-sciorati", "维和"),
    ("Who is Karim Massimov?", "chinausfocus-beijing-problem", "Massimov"),
    ("What did Yang Shu say caused the incident?", "ft-beijing-reluctance", "internal contradictions"),
    ("How many troops did Putin send to Kazakhstan?", "spectator-pike", "2,500 troops"),
    ("Who was Kazakhstan's foreign minister that said Beijing may have offered security support?", "ft-beijing-reluctance", "Tleuberdi"),
]


@pytest.mark.parametrize("question,article,snippet", KNOWN)
def test_known_questions_hit(bot, question, article, snippet):
    r = bot.retriever.retrieve(question)
    assert r.covered, f"best cosine {r.best_dense:.3f} under the floor"
    assert any(p.article_id == article and snippet in p.text for p in r.passages), [
        (p.article_id, p.text[:60]) for p in r.passages
    ]


@pytest.mark.parametrize("question", ["Who won the 2022 FIFA World Cup?", "What is a good recipe for lasagna?", "Write a poem about cats"])
def test_off_topic_questions_fall_under_the_floor(bot, question):
    assert not bot.retriever.retrieve(question).covered


@pytest.mark.parametrize("question", ["Such as?", "Is it?", "And then?"])
def test_a_question_of_stopwords_only_is_searched_by_meaning_alone(bot, question):
    """BM25 has no word to search for (bm25s raised IndexError on an empty query)."""
    assert bot.retriever.sparse.retrieve(question) == []
    assert not bot.retriever.retrieve(question).covered


def test_top_k_is_respected(bot):
    assert len(bot.retriever.retrieve("China and Russia in Central Asia", top_k=3).passages) == 3


def test_rrf_rewards_agreement():
    from llama_index.core.schema import NodeWithScore, TextNode

    a, b, c = (NodeWithScore(node=TextNode(id_=i, text=i), score=1.0) for i in "abc")
    fused = [n.node.node_id for n, _ in rrf([[a, b, c], [b, c, a]])]
    assert fused[0] == "b"  # ranked 2nd and 1st beats 1st and 3rd


def test_sparse_top_k_matches_bm25s_and_skips_chunks_sharing_no_word(bot):
    """The BM25 top-k over non-zero scores gives bm25s's own ranking, minus chunks with no query word."""
    import bm25s
    import numpy as np
    from llama_index.core.schema import QueryBundle

    sparse = bot.retriever.sparse
    for q in ("Who is Karim Massimov?", "What did Russia and the CSTO do?", "颜色革命", "zzzz qqqq"):
        got = sparse.retrieve(QueryBundle(q))
        tokens = bm25s.tokenize(q, stemmer=sparse.stemmer, token_pattern=sparse.token_pattern, return_ids=False, show_progress=False)[0]
        scores = sparse.bm25.get_scores(tokens)
        expected = [i for i in np.argsort(-scores, kind="stable")[: sparse.similarity_top_k] if scores[i] > 0]
        assert [n.score for n in got] == pytest.approx([float(scores[i]) for i in expected]), q
        # Equal scores may come in either order; above the last score the chunks must be the same.
        last = float(scores[expected[-1]]) if expected else 0.0
        assert {n.node.node_id for n in got if n.score > last} == {sparse.corpus[i]["node_id"] for i in expected if scores[i] > last}
        assert all(n.score > 0 for n in got)
    assert sparse.retrieve(QueryBundle("zzzz qqqq")) == []


@pytest.mark.parametrize("question,name", [
    ("Who is Raffaello Pantucci and how did he view Russia's intervention?", "Pantucci"),
    ("What argument did Igor Denisov make about Russia's and China's roles?", "Denisov"),
])
def test_a_rare_name_in_the_question_puts_its_chunk_first(bot, question, name):
    """Dense retrieval follows the rest of the question ("Russia's intervention"); without the
    anchor, fusion left the one chunk naming the person out of the top 5."""
    from llama_index.core.schema import QueryBundle

    r = bot.retriever
    assert name in r.retrieve(question).passages[0].text
    fused = [n.node.get_content() for n, _ in rrf([r.dense.retrieve(QueryBundle(question)), r.sparse.retrieve(QueryBundle(question))])]
    assert not any(name in t for t in fused[: r.settings.top_k])  # what the anchor fixes


def test_common_names_leave_the_fused_ranking_alone(bot):
    from llama_index.core.schema import QueryBundle

    r = bot.retriever
    q = "What did Putin and Xi Jinping say about Kazakhstan?"
    fused = [n.node.node_id for n, _ in rrf([r.dense.retrieve(QueryBundle(q)), r.sparse.retrieve(QueryBundle(q))])]
    assert [p.node_id for p in r.retrieve(q).passages] == fused[: r.settings.top_k]


def test_a_question_naming_someone_only_the_articles_name_is_covered(bot):
    """MiniLM knows no names: "What does Courtney Fung do?" is 0.12 from every chunk, under the
    floor, yet the one chunk naming her answers it. Off-topic questions stay under the floor."""
    r = bot.retriever.retrieve("What does Courtney Fung do?")
    assert r.best_dense < bot.settings.relevance_floor and r.covered
    assert "Courtney Fung" in r.passages[0].text
    assert not bot.retriever.retrieve("What does Greta Thunberg do?").covered


def test_a_source_the_question_names_gets_its_closest_passage(bot):
    """Asked what the FT says, the five passages came from the other four outlets: the FT's own
    passage closest to the question takes the last place, and a passage put in for the
    conversation (with_context) is kept."""
    question = "What did the Financial Times say about China's handling of the Kazakh protests?"
    plain = bot.retriever.retrieve(question)
    assert "ft-beijing-reluctance" not in {p.article_id for p in plain.passages}
    named = bot.retriever.with_source(plain, ["ft-beijing-reluctance"])
    assert len(named.passages) == len(plain.passages) and named.passages[:-1] == plain.passages[:-1]
    assert named.passages[-1].article_id == "ft-beijing-reluctance" and named.covered == plain.covered
    assert bot.retriever.with_source(named, ["ft-beijing-reluctance"]) is named  # already there: as it was
    context = bot.retriever.with_context(plain, "Some of China's most seasoned Central Asian experts dispute that narrative.")
    both = bot.retriever.with_source(context, ["ft-beijing-reluctance"])
    assert context.passages[-1] in both.passages and "ft-beijing-reluctance" in {p.article_id for p in both.passages}
