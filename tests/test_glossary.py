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


def test_the_explanation_quoted_is_one_the_answer_has_not_written_out(bot):
    from bot.glossary import explanation

    sco = next(t for t in bot.terms if t["term"] == "SCO")
    best = best_quote(sco, bot.articles)
    text = bot.articles[best[0]].text[best[1]:best[2]]
    assert explanation(sco, bot.articles, []) == best
    # The model wrote the best sentence out (as it does, nearly word for word): the next one is quoted.
    nxt = explanation(sco, bot.articles, [text.replace("The SCO is", "The SCO is, according to the FT,")])
    assert nxt not in (None, best)
    assert "Shanghai Cooperation" in bot.articles[nxt[0]].text[nxt[1]:nxt[2]]


def test_a_paraphrase_still_gets_the_articles_own_words(bot):
    from bot.glossary import explanation

    nur = next(t for t in bot.terms if t["term"] == "Nur Otan")
    span = explanation(nur, bot.articles, ["Nur Otan is a political party in Kazakhstan."])
    assert span == best_quote(nur, bot.articles)
    assert "the ruling Nur Otan party" in bot.articles[span[0]].text[span[1]:span[2]]


def test_no_explanation_is_left_when_the_answer_restates_them_all(bot):
    from bot.glossary import explanation

    term = next(t for t in bot.terms if t["term"] == "恐怖分子")  # one sentence in the corpus names it
    only = best_quote(term, bot.articles)
    assert explanation(term, bot.articles, [bot.articles[only[0]].text[only[1]:only[2]]]) is None


@pytest.mark.parametrize("question,names", [
    ("How does the CSTO differ from the SCO?", {"CSTO", "SCO"}),
    ("What is the difference between the CSTO and the SCO?", {"CSTO", "SCO"}),
    ("Compare the Belt and Road with the Eurasian Economic Union", {"Belt and Road", "EAEU"}),
])
def test_a_comparison_of_two_terms_names_both(bot, question, names):
    from bot.glossary import compared_terms

    assert {t["term"] for t in compared_terms(question, bot.terms)} == names


@pytest.mark.parametrize("question", [
    "How did Russia's response differ from China's?",   # no glossary term
    "Why did the CSTO deploy troops?",                  # one term, no comparison
    "Did the CSTO, the SCO and the Eurasian Economic Union differ?",  # three terms
])
def test_other_questions_compare_no_terms(bot, question):
    from bot.glossary import compared_terms

    assert compared_terms(question, bot.terms) == []


def test_an_introduction_in_the_briefing_neither_points_back_nor_merely_names(bot):
    """Quoted alone for a newcomer (the briefing), a sentence opening "This was …" cannot be
    read, and one that says what the term is beats one that only names it."""
    from bot.glossary import defines, refers_back

    xi = {"term": "Xi Jinping", "match": ["Xi Jinping", "Xi "], "query": "Xi Jinping message to Tokayev supporting him against colour revolution"}
    plain = best_quote(xi, bot.articles)
    intro = best_quote(xi, bot.articles, introduce=True)
    assert not refers_back(bot.articles[intro[0]].text[intro[1]:intro[2]])
    if refers_back(bot.articles[plain[0]].text[plain[1]:plain[2]]):
        assert intro != plain
    assert refers_back("This was particularly evident in a verbal message.") and refers_back("He has now been arrested.")
    assert not refers_back("It was only a week later that Wang Yi spoke.") and not refers_back("This time, anger boiled over.")
    assert defines("Karim Massimov, the head of the National Security Committee, was arrested.", ["Massimov"])
    assert defines("The SCO is a regional body founded by China.", ["SCO"])
    assert defines("Wang Yi, the Chinese foreign minister, spoke.", ["Wang Yi"])
    assert not defines("Chinese President Xi Jinping and then Kazakh President Nursultan Nazarbayev in 2013.", ["Nazarbayev"])
    assert not defines("Putin sent 2,500 troops.", ["Putin"])


def test_a_definition_is_the_apposition_or_copula_after_the_whole_name():
    from bot.glossary import definition

    csto = ["CSTO", "Collective Security Treaty"]
    assert definition("… troops from countries other than the Collective Security Treaty Organization, a Russian-led "
                      "bloc to which Kazakhstan belongs.", csto) == \
        "Collective Security Treaty Organization, a Russian-led bloc to which Kazakhstan belongs"
    assert definition("Putin has validated his Collective Security Treaty Organisation, Central Asia’s equivalent of Nato.",
                      csto) == "Collective Security Treaty Organisation, Central Asia’s equivalent of Nato"
    assert definition("The SCO is a regional body founded by China, focused on counter-terrorism.", ["SCO"]) == \
        "SCO is a regional body founded by China"
    # the name's remaining words are capitalised ones only: "party and remained … Council, an …" is no apposition
    assert definition("He led the ruling Nur Otan party and remained a member of the Council, an elder body.", ["Nur Otan"]) is None
    assert definition("the Russian-led Collective Security Treaty Organization (CSTO) to send peacekeepers.", csto) is None
    # a gloss
    assert definition("inciting to a “color revolution” in Kazakhstan ”, referring to the demonstrations that erupted, "
                      "including in Central Asia, in the early 2000s.", ["color revolution"]).endswith(
        "referring to the demonstrations that erupted")
    # a name ending a fronted phrase is followed by the sentence's subject, not an apposition
    assert definition("The Spectator: “Apart from Putin, the other clear winner from recent events is President "
                      "Tokayev himself.” [19]", ["Vladimir Putin", "Putin"]) is None
    assert definition("Unlike Massimov, the new chief is no friend of Beijing.", ["Massimov"]) is None
    assert definition("The Spectator: “Putin, the Russian president, sent troops.” [2]", ["Putin"]) == "Putin, the Russian president"


def test_the_glossary_prefers_a_sentence_that_defines_and_a_who_is_who_one_that_states_the_role(bot):
    from bot.glossary import definition
    from bot.people import introduces

    csto = {"term": "CSTO", "match": ["CSTO", "Collective Security Treaty"],
            "query": "Collective Security Treaty Organization CSTO Russian-led bloc peacekeepers"}
    aid, s, e = best_quote(csto, bot.articles, introduce=True, define=True)
    assert definition(bot.articles[aid].text[s:e], ["CSTO", "Collective Security Treaty"])
    putin = {"term": "Vladimir Putin", "match": ["Putin"], "query": "Putin sent Russian troops to Kazakhstan through the CSTO"}
    aid, s, e = best_quote(putin, bot.articles, introduce=True, role=True)
    assert introduces(bot.articles[aid].text[s:e], ["Vladimir Putin", "Putin"]), bot.articles[aid].text[s:e]


def test_a_planned_topic_gets_its_closest_whole_sentence(bot):
    from bot.glossary import closest_sentence, refers_back

    aid, s, e = closest_sentence("Kazakhstan total trade with China was $21 billion in 2020", bot.articles)
    text = bot.articles[aid].text[s:e]
    assert "21 billion" in text and not refers_back(text)
