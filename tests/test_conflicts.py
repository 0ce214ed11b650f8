"""Disagreements between articles are found by the program and handed to the prompt with each side."""

from __future__ import annotations

import re

import pytest

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


def test_russia_sending_troops_is_not_the_dispute_over_chinas_offer(bot):
    """MiniLM puts "Why did Putin send troops to Kazakhstan?" at 0.57 from "whether China offered
    Kazakhstan security help": the topic's words must be about China's sending, not anyone's."""
    floor = bot.settings.conflict_floor
    for q in ("Why did Putin send troops to Kazakhstan?", "Why did Russia send troops to Kazakhstan?"):
        assert find_conflicts(q, bot.articles, floor) == [], q
    for q in ("Why did China send troops to Kazakhstan in January 2022?", "Did Beijing offer Kazakhstan security help?"):
        assert [c.topic for c in find_conflicts(q, bot.articles, floor)] == ["whether China offered Kazakhstan security help"], q


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


def _claims(text: str) -> list[str]:
    """The statement's claims, one a side and outlet, as the UI lists them."""
    assert text.startswith("The sources differ: "), text
    return re.split(r"(?<=\])\s*;\s+", text.removeprefix("The sources differ: "))


DISPUTES = ("How many people were killed in the unrest?", "Was the violence home-grown, or was it organised from abroad?",
            "Does the Russia–China \"division of labour\" in Central Asia still hold after the crisis?",
            "Did China offer to send security forces to Kazakhstan?")


def _statement_claims(bot, q):
    """[(claim text, its citation, the other outlets of the dispute)] of the statement for `q`."""
    from bot.cite import Citer
    from bot.conflicts import statement

    (c,) = find_conflicts(q, bot.articles, bot.settings.conflict_floor)
    citer = Citer(bot.articles, bot.settings.support_floor)
    text, numbers = statement(c, citer.cite_span, set())
    cites = {x.n: x for x in citer.all_citations()}
    claims = _claims(text)
    assert set(numbers) == set(cites) and len(claims) == len(numbers) >= len({x.side for x in c.claims}), text
    outlets = {x.outlet for x in c.claims}
    return [(claim, cites[n], outlets - {cites[n].outlet}) for claim, n in zip(claims, numbers)]


def _blind(cite, outlet: str) -> str | None:
    """Why the eval's support check (bot/evaluate.py; reported, not fixed here) cannot see
    `outlet` as the label of `cite`'s quote, or None when it can."""
    from bot.evaluate import _name_in, _norm, _tokens, names

    label, quoted = _norm(_tokens(outlet)[-1]), {_norm(t) for t in _tokens(cite.quote)}
    if names(_tokens(cite.quote)[0]):  # "The Spectator: “Zhang Xin, …" is one run of names to it
        return "the label runs into the name the quote opens with, and only a run's last name is required"
    if label not in quoted and _name_in(label, quoted):  # "Financial Times" on "This time, …"
        return f"the label's {label!r} passes on its 4-letter prefix"
    return None


def test_statement_gives_each_quote_to_its_own_outlet_as_the_independent_check_confirms(bot):
    """Each claim of the statement ("Outlet: “quote” [n]") checked alone by the eval's own support
    check (bot/evaluate.py, not the verifier) against its one citation: the real statement passes,
    and the same quote given to another outlet of the dispute fails. (Checked as one sentence
    with all its citations, as the eval does, a statement passes whoever is named, since every
    outlet is cited: that is why it was always 1.0.)"""
    from bot.evaluate import idf_weights, supports

    weight = idf_weights(bot.articles)
    for q in DISPUTES:
        for claim, cite, others in _statement_claims(bot, q):
            assert claim == f"{cite.outlet}: “{' '.join(cite.quote.split())}” [{cite.n}]", claim  # verbatim, its own outlet
            assert supports(claim, [cite], [], weight), claim
            for other in sorted(others):
                wrong = claim.replace(f"{cite.outlet}: “", f"{other}: “", 1)
                assert _blind(cite, other) or not supports(wrong, [cite], [], weight), wrong


@pytest.mark.xfail(strict=True, reason="blind spots of bot/evaluate.py's support check (see _blind); "
                   "once it is fixed this passes: drop the xfail and _blind")
def test_the_independent_check_tells_every_outlet_apart(bot):
    from bot.evaluate import idf_weights, supports

    weight = idf_weights(bot.articles)
    accepted = [wrong for q in DISPUTES for claim, cite, others in _statement_claims(bot, q) for other in sorted(others)
                if supports(wrong := claim.replace(f"{cite.outlet}: “", f"{other}: “", 1), [cite], [], weight)]
    assert accepted == []


def test_the_independent_check_rejects_a_figure_given_to_the_wrong_outlet(bot):
    """The death toll: 160 is the WSJ's, 164 The Spectator's. A sentence moving either figure
    to the other outlet fails the eval's check against either source sentence; each outlet's
    own figure passes."""
    from bot.evaluate import idf_weights, supports

    (c,) = find_conflicts("How many people were killed in the unrest?", bot.articles)
    by_figure = {x.side: x for x in c.claims}
    wsj, spectator = by_figure["160"], by_figure["164"]
    assert (wsj.outlet, spectator.outlet) == ("The Wall Street Journal", "The Spectator")
    weight = idf_weights(bot.articles)
    assert supports("The Wall Street Journal reported that 160 people have died.", [wsj], [], weight)
    assert supports("The Spectator reported that some 164 civilians were killed.", [spectator], [], weight)
    for wrong in ("The Spectator reported that 160 people have died.", "The Wall Street Journal reported that 164 civilians were killed."):
        for cited in ([wsj], [spectator]):
            assert not supports(wrong, cited, [], weight), (wrong, cited[0].outlet)


def test_a_side_the_answer_cites_is_named_not_quoted_again(bot):
    """Quoting the side the answer cites repeated its source sentence under the answer; it is
    named by outlet and marker instead, and only the other sides are quoted."""
    from bot.cite import Citer
    from bot.conflicts import statement

    (c,) = find_conflicts("How many people were killed in the unrest?", bot.articles)
    wsj = next(x for x in c.claims if x.side == "160")
    citer = Citer(bot.articles, bot.settings.support_floor)
    n = citer.cite_span(wsj.article_id, wsj.start, wsj.end)  # as the answer's sentence cited it
    text, numbers = statement(c, citer.cite_span, {(wsj.article_id, wsj.start)})
    claims = _claims(text)
    assert f"The Wall Street Journal (cited above) [{n}]" in claims, claims
    assert " ".join(wsj.quote.split()) not in text
    assert len(claims) == 3 and len(set(numbers)) == len(numbers) == 3, claims  # every side still listed, once
    for other in c.claims:
        if other is not wsj:
            assert f"“{' '.join(other.quote.split())}”" in text


def test_a_figure_is_given_only_by_words_that_hold_it(bot):
    """An answer sentence citing the WSJ's sentence for its fuel prices does not give its 160:
    the sentence is quoted after all; one that says 160 names it instead."""
    from bot.cite import Citer
    from bot.conflicts import statement

    (c,) = find_conflicts("How many people were killed in the unrest?", bot.articles)
    wsj = next(x for x in c.claims if x.side == "160")
    key = (wsj.article_id, wsj.start)
    quoted = f"“{' '.join(wsj.quote.split())}”"
    text, _ = statement(c, Citer(bot.articles, bot.settings.support_floor).cite_span, {key: "Protests over fuel prices turned violent."})
    assert quoted in text and "(cited above)" not in text, text
    text, _ = statement(c, Citer(bot.articles, bot.settings.support_floor).cite_span, {key: "Health officials said 160 people have died."})
    assert quoted not in text and "The Wall Street Journal (cited above)" in text, text


def test_a_sentence_is_listed_once_even_when_it_states_two_sides(bot):
    from bot.conflicts import Claim, Conflict, statement

    one = Claim("spectator-pike", "The Spectator", "a", 0, 10, "One claim.")
    both = [one, Claim("spectator-pike", "The Spectator", "b", 0, 10, "One claim."),
            Claim("wsj-beijing-watches", "The Wall Street Journal", "b", 20, 30, "Another claim.")]
    numbers_of = {0: 1, 20: 2}
    text, numbers = statement(Conflict("t", both), lambda a, s, e: numbers_of[s], set())
    assert numbers == [1, 2] and text.count("One claim.") == 1, text


def test_no_heading_or_fragment_takes_a_side(bot):
    """Every claim of every dispute is a whole sentence (closing punctuation, a stray opening
    quote mark after it aside), so a quote of it is never cut off."""
    from bot.sentences import ends_sentence
    from bot.conflicts import all_conflicts

    claims = [x for c in all_conflicts(bot.articles) for x in c.claims]
    assert claims
    for x in claims:
        assert ends_sentence(x.quote.rstrip(" “‘\"")), x.quote


def test_which_questions_are_about_the_disagreement_itself():
    """The sides' quotes may stand as the whole answer only to these (see app.Bot.stream)."""
    from bot.conflicts import asks_disagreement

    about = ["How many people were killed in the unrest?", "Was the violence home-grown, or was it organised from abroad?",
             "Was Russia's intervention good or bad news for China?", "Did China offer to send security forces to Kazakhstan?",
             "Who was behind the violence?", "What caused the violence in Kazakhstan?", "Who is to blame for the violence?",
             "Do the sources agree on the death toll?", "What do the articles say caused the violence?",
             "Will the crisis lead to rivalry between Russia and China in Central Asia?"]
    after_a_holder = ["Who blamed foreign militants from Afghanistan and the Mideast?", "Which outlet reported 160 deaths?",
                      "Who said 164 civilians were killed?", "What did Tokayev blame for the unrest?",
                      "How did Beijing view Russia's intervention?"]
    assert [q for q in about if not asks_disagreement(q)] == []
    assert [q for q in after_a_holder if asks_disagreement(q)] == []


def test_no_statement_when_the_answer_already_cites_every_side(bot):
    from bot.conflicts import statement

    (c,) = find_conflicts("How many people were killed in the unrest?", bot.articles)
    every_side = {(x.article_id, x.start) for x in c.claims}
    assert statement(c, lambda *a: 1, every_side) is None
    one_side = {(c.claims[0].article_id, c.claims[0].start)}
    assert statement(c, lambda *a: 1, one_side) is not None
