"""Disagreements between articles are found by the program and handed to the prompt with each side."""

from __future__ import annotations

from bot.answer import build_messages
from bot.conflicts import claim_passages, find_conflicts


def test_death_toll_figures_differ_across_three_outlets(bot):
    (c,) = find_conflicts("How many people were killed in the unrest?", bot.articles)
    figures = {claim.side: claim.outlet for claim in c.claims}
    assert figures == {"160": "The Wall Street Journal", "164": "The Spectator", "hundreds": "China-US Focus"}
    for claim in c.claims:  # every claim is a verbatim span of its article
        assert bot.articles[claim.article_id].text[claim.start : claim.end] == claim.quote


def test_opposing_claims_about_the_cause(bot):
    (c,) = find_conflicts("Was the violence home-grown, or was it organised from abroad?", bot.articles)
    sides = {claim.side: set() for claim in c.claims}
    for claim in c.claims:
        sides[claim.side].add(claim.outlet)
    assert "The Spectator" in sides["foreign orchestration"] and "China-US Focus" in sides["internal causes"]


def test_unrelated_questions_have_no_conflict(bot):
    for q in ("What triggered the protests?", "Who is Karim Massimov?", "What does 维和 mean?"):
        assert find_conflicts(q, bot.articles) == [], q


def test_claims_join_the_passages_so_each_side_reaches_the_prompt(bot):
    q = "How many people were killed in the unrest?"
    passages = bot.retriever.retrieve(q).passages
    conflicts = find_conflicts(q, bot.articles, bot.settings.conflict_floor)
    allp = passages + claim_passages(conflicts, passages, bot.articles)
    user = build_messages(bot.settings, q, allp)[1].content
    for claim in conflicts[0].claims:
        assert any(p.article_id == claim.article_id and p.start <= claim.start and claim.end <= p.end for p in allp)
        assert " ".join(claim.quote.split()) in " ".join(user.split())


def test_a_shared_word_is_not_enough_the_question_must_be_about_the_topic(bot):
    floor = bot.settings.conflict_floor
    for q in ("Which regional organisation was founded by China, and what does it focus on?",
              "How is \"colour revolution\" written and romanised in Chinese, according to ISPI?"):
        assert find_conflicts(q, bot.articles) and not find_conflicts(q, bot.articles, floor), q
    for q in ("How many people were killed in the unrest?", "Will the crisis lead to rivalry between Russia and China in Central Asia?"):
        assert find_conflicts(q, bot.articles, floor), q


def test_statement_quotes_every_side_verbatim_and_checks_out_independently(bot):
    from bot.cite import Citer
    from bot.conflicts import statement
    from bot.evaluate import citation_metrics, idf_weights

    for q in ("How many people were killed in the unrest?", "Was the violence home-grown, or was it organised from abroad?",
              "Does the Russia–China \"division of labour\" in Central Asia still hold after the crisis?"):
        (c,) = find_conflicts(q, bot.articles, bot.settings.conflict_floor)
        citer = Citer(bot.articles, bot.settings.support_floor)
        text, numbers = statement(c, citer.cite_span, set())
        cites = {x.n: x for x in citer.all_citations()}
        assert set(numbers) == set(cites) and len({c.side for c in c.claims}) <= len(numbers)
        for n in numbers:  # each quote stands in the text, verbatim, right before its marker
            assert f"“{' '.join(cites[n].quote.split())}” [{n}]" in text
            assert f"{cites[n].outlet}: “" in text
        assert citation_metrics([{"text": text, "citations": numbers}], cites, [], idf_weights(bot.articles)) == {
            "citation_recall": 1.0, "citation_precision": 1.0}


def test_no_statement_when_the_answer_already_cites_every_side(bot):
    from bot.conflicts import statement

    (c,) = find_conflicts("How many people were killed in the unrest?", bot.articles)
    every_side = {(x.article_id, x.start) for x in c.claims}
    assert statement(c, lambda *a: 1, every_side) is None
    one_side = {(c.claims[0].article_id, c.claims[0].start)}
    assert statement(c, lambda *a: 1, one_side) is not None
