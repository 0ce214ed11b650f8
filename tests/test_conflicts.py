"""Disagreements between articles are found by the program and handed to the prompt with each side."""

from __future__ import annotations

from bot.answer import build_messages
from bot.conflicts import claim_passages, describe, find_conflicts


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


def test_claims_join_the_passages_and_the_prompt_names_each_side(bot):
    q = "How many people were killed in the unrest?"
    passages = bot.retriever.retrieve(q).passages
    conflicts = find_conflicts(q, bot.articles)
    extra = claim_passages(conflicts, passages, bot.articles)
    allp = passages + extra
    for claim in conflicts[0].claims:
        assert any(p.article_id == claim.article_id and p.start <= claim.start and claim.end <= p.end for p in allp)
    note = describe(conflicts[0], allp)
    assert all(f"{o} [" in note for o in ("The Wall Street Journal", "The Spectator", "China-US Focus"))
    user = build_messages(bot.settings, q, allp, conflicts)[1].content
    assert "disagree on the death toll" in user and note in user
