"""Questions that ask for someone's words are recognised, and a statement is the sentences that are theirs."""

from __future__ import annotations

import pytest

from bot.corpus import load_corpus
from bot.settings import ROOT
from bot.cite import Citation, CitedSentence
from bot.speakers import asked_speaker, speaker_before, statement_of, statements


@pytest.fixture(scope="module")
def articles():
    return {a.id: a for a in load_corpus(ROOT / "corpus")}


@pytest.mark.parametrize("question,who", [
    ("What did Courtney Fung say about China's peacekeeping experience?", {"courtney", "fung"}),
    ("Who is Raffaello Pantucci and how did he view Russia's intervention?", {"raffaello", "pantucci"}),
    ("What did Niva Yau say would be the worst-case scenario for Beijing?", {"niva", "yau"}),  # Beijing speaks not
    ("How did Yang Shu explain the crisis?", {"yang", "shu"}),
])
def test_questions_after_someones_words_name_the_speaker(question, who):
    assert asked_speaker(question) == who


@pytest.mark.parametrize("question", [
    "What did China say about the unrest?",      # a state's position, not a person's words
    "Who is Karim Massimov?",                    # who someone is, not what they said
    "How many troops did Russia send?",
    "What did Beijing think of the CSTO deployment?",
])
def test_other_questions_ask_for_no_speaker(question):
    assert not asked_speaker(question)


def _statement(articles, article_id: str, opening: str, who: set[str]) -> str | None:
    text = articles[article_id].text
    start = text.index(opening)
    end = start + len(opening)
    run = statement_of(text, start, end, who)
    return " ".join(text[run[0]:run[1]].split()) if run else None


def test_a_quotation_that_goes_on_after_its_attribution_is_one_statement(articles):
    said = _statement(articles, "wsj-beijing-watches", "“To some extent", {"raffaello", "pantucci"})
    assert said.startswith("“To some extent, Beijing recognizes")
    assert said.endswith("“The Russians who stabilize the tillers may not be a bad result. “")


def test_a_quotation_left_open_takes_one_more_sentence_and_no_more(articles):
    said = _statement(articles, "ft-beijing-reluctance", "“China’s peacekeeping experience", {"courtney", "fung"})
    assert "combat troop deployment in Mali and South Sudan" in said
    assert "In Kazakhstan, China has embraced" not in said  # the reporter again: where the quote ends is unwritten


def test_a_cited_continuation_takes_the_attribution_before_it(articles):
    said = _statement(articles, "wsj-beijing-watches", "But “the fact that they gave", {"sergey", "radchenko"})
    assert said.startswith("“People have been predicting the collapse of Sino-Russian relations in Central Asia for 20 years,”")
    assert said.endswith("served to strengthen their relationship.”")


def test_she_said_keeps_the_words_with_the_speaker(articles):
    said = _statement(articles, "wsj-beijing-watches", "According to Ms. Yau", {"niva", "yau"})
    assert "to impose tariffs" in said and "energy purchases in Central Asia, she said." in said
    assert "cross-border road truck" not in said  # a photo caption is nobody's words


def test_made_it_clear_gives_words_to_the_speaker(articles):
    said = _statement(articles, "spectator-pike", "In his virtual address", {"tokayev"})
    assert said is not None and "foreign militants" in said


def test_a_sentence_the_article_does_not_give_as_the_speakers_is_no_statement(articles):
    # Radchenko's words are not Niva Yau's, and a reporter's sentence is nobody's.
    assert _statement(articles, "wsj-beijing-watches", "But “the fact that they gave", {"niva", "yau"}) is None
    assert _statement(articles, "wsj-beijing-watches", "More generally, Western officials", {"raffaello", "pantucci"}) is None


def _citation(articles, n: int, article_id: str, opening: str) -> Citation:
    from bot.sentences import sentence_spans

    text = articles[article_id].text
    at = text.index(opening)
    start, end = next((s, e) for s, e in sentence_spans(text) if s <= at < e)
    a = articles[article_id]
    return Citation(n, article_id, a.title, a.outlet, a.author, a.date, a.url, text[start:end], start, end)


def test_each_cited_statement_is_quoted_once_unless_the_answer_says_it_already(articles):
    psaki = _citation(articles, 1, "spectator-pike", "Rather defensively, White House press secretary Jen Psaki")
    answer = [CitedSentence("Jen Psaki is the White House press secretary.", [1], supported=True),
              CitedSentence("She complained that rumours of US involvement were 'crazy'.", [1], supported=True)]
    # The second sentence says the one-sentence statement word for word: nothing to quote.
    assert statements({"jen", "psaki"}, answer, [psaki], articles) == []
    pantucci = _citation(articles, 2, "wsj-beijing-watches", "“To some extent")
    answer += [CitedSentence("He said that Beijing recognizes that some support is needed.", [2], supported=True),
               CitedSentence("Pantucci said support was needed to stabilize the situation.", [2], supported=True)]
    [(article_id, start, end)] = statements({"raffaello", "pantucci"}, answer, [psaki, pantucci], articles)
    assert article_id == "wsj-beijing-watches" and articles[article_id].text[start:end].rstrip(" “").endswith("a bad result.")
    # Unverified sentences and the program's own quotes do not count as citing it.
    for x in answer[2:]:
        x.supported = False
    assert statements({"raffaello", "pantucci"}, answer, [psaki, pantucci], articles) == []


def test_a_quotation_that_does_not_say_whose_it_is_gets_the_sentence_naming_its_speaker(articles):
    """Quoted with only the outlet before it, Fung's words would read as the FT's own."""
    ft = articles["ft-beijing-reluctance"].text
    at = ft.index("“China maintains a positive public record")
    before = speaker_before(ft, at)
    assert before and "said Courtney Fung" in ft[before[0]:before[1]]
    assert speaker_before(ft, ft.index("“China’s peacekeeping experience informs")) is None  # names her itself
    assert speaker_before(ft, ft.index("For more than a decade")) is None  # no quotation


def test_a_quotation_opening_after_a_linking_word_reads_on_from_its_speaker():
    """"But “the fact that …”" after "“…,” said Mr. Radchenko": quoted alone, the words would read as
    the outlet's own, as a sentence opening with the quotation mark would."""
    text = ("“People have been predicting the collapse of ties for 20 years,” said Mr. Radchenko of Johns Hopkins. "
            "But “the fact that they gave each other freedom to maneuver served to strengthen their relationship.”")
    start = text.index("But")
    span = speaker_before(text, start)
    assert span and text[span[0]:span[1]].startswith("“People") and "Radchenko" in text[span[0]:span[1]]
    assert speaker_before("Mr. Radchenko said the ties held. But the fact is they did.", 34) is None
