"""Definition questions are recognised, and a term's explanation is an article sentence quoted as is."""

from __future__ import annotations

import pytest

from bot.glossary import asked_term, best_quote


@pytest.mark.parametrize("question,term", [
    ("What is the CSTO?", "CSTO"),
    ("What's the SCO?", "SCO"),
    ("What does 维和 mean?", "维和"),
    ("Explain the Belt and Road", "Belt and Road"),
    ("What is Nur Otan?", "Nur Otan"),
    ("What is the Eurasian Economic Union?", "EAEU"),
])
def test_definition_questions_name_their_term(bot, question, term):
    assert asked_term(question, bot.terms)["term"] == term


@pytest.mark.parametrize("question", [
    "Who sent troops to Kazakhstan?",            # no glossary term
    "Why did the CSTO deploy troops?",           # not a definition question
    "What is the difference between the CSTO and the SCO?",  # two terms: a comparison
])
def test_other_questions_name_no_term(bot, question):
    assert asked_term(question, bot.terms) is None


def test_each_term_has_a_verbatim_explaining_sentence_that_names_it(bot):
    for term in bot.terms:
        aid, s, e = best_quote(term, bot.articles)
        sentence = bot.articles[aid].text[s:e].lower()
        assert any(m.lower() in sentence for m in term.get("match", [term["term"]])), term["term"]
    cso = next(t for t in bot.terms if t["term"] == "CSTO")
    first = best_quote(cso, bot.articles)
    assert best_quote(cso, bot.articles, exclude={first}) not in (None, first)  # the next best, when one is used up
