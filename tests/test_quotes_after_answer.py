"""The quotes the program adds after an answer: after it, once each, whole sentences.

Seen (issue 21): asked "Who blamed foreign militants from Afghanistan and the Mideast?", the
reply opened "The sources differ:" with three quotes before anything said who; a quote was
repeated; and an answer ended on a sentence cut off mid-clause ("… following [1]").
Fast tests drive the real Bot (index, embedder, verifier) with scripted model answers from
tests/fake_ollama.py; the last test asks the real embedded model.
"""

from __future__ import annotations

import re

import pytest

from bot.answer import UNFINISHED, Sentence, cite_stream
from bot.app import Bot
from bot.cite import Citer
from bot.sentences import ends_sentence, quote
from bot.verify import REPEATS
from bot.conflicts import STATEMENT_LEAD
from tests.fake_ollama import MODEL, FakeOllama

SEEN = "Who blamed foreign militants from Afghanistan and the Mideast?"
# The seen question names the dispute's topic only just below conflict_floor (0.36 < 0.40);
# said with "for the violence" it is over it (0.49), so the dispute is found as it was when seen.
SEEN_ON_TOPIC = "Who blamed foreign militants from Afghanistan and the Mideast for the violence?"
TOKAYEV = "In his virtual address to fellow CSTO leaders yesterday President Tokayev made it clear"


STYLES = pytest.mark.parametrize("style", ["quotes", "model"])  # the answer as its sources' words, or the model's


def _ask(settings, question: str, *answers: str, **kw):
    with FakeOllama(answers=(*answers, "NOT IN SOURCES")) as fake:
        bot = Bot(settings.model_copy(update={"ollama_host": fake.url, "llm_backend": "ollama", "ollama_model": MODEL, **kw}))
        return bot.ask(question)


def _quoted(answer) -> list[str]:
    """Every “…” the answer's sentences hold, whitespace folded."""
    return [" ".join(q.split()) for s in answer.sentences for q in re.findall(r"“((?:[^“”]|“[^“”]*”)*)”\s*\[\d+\]", s.text)]


def _no_quote_twice(answer) -> None:
    quoted = _quoted(answer)
    assert len(quoted) == len(set(quoted)), quoted
    spans = [(c.article_id, c.start) for c in answer.citations]
    assert len(spans) == len(set(spans)), answer.citations


@STYLES
def test_left_out_answer_to_a_who_question_is_not_replaced_by_the_sides(settings, style):
    """The model's one sentence fails (a date the source lacks): the sentence it pointed at, which
    answers, is quoted, and the dispute's other side follows it; nothing leads with the sides."""
    answer = _ask(settings, SEEN_ON_TOPIC,
                  "The Spectator, 2022-01-11: President Tokayev blamed 'foreign militants from Afghanistan and the Mideast countries'.",
                  answer_style=style)
    assert answer.conflicts, "the dispute was not found: the test would prove nothing"
    assert not answer.refused, answer.text
    assert not answer.text.startswith(STATEMENT_LEAD), answer.text
    assert answer.sentences[0].text.startswith(f"The Spectator: “{TOKAYEV}"), answer.text
    assert any(s.text.startswith(STATEMENT_LEAD) for s in answer.sentences[1:]), answer.text
    assert "The Spectator (cited above)" in answer.sentences[-1].text, answer.text  # named, not quoted again
    _no_quote_twice(answer)


@STYLES
def test_the_sides_alone_are_not_an_answer_to_who_said_it(settings, style):
    """Nothing the model wrote is kept and it points at nothing: a refusal, not the sides alone."""
    answer = _ask(settings, SEEN_ON_TOPIC, "The weather in Almaty was cold and snowy that week.", answer_style=style)
    assert answer.refused and answer.refusal_reason == "unverified", answer.text
    assert not any(s.text.startswith(STATEMENT_LEAD) for s in answer.sentences)


@STYLES
def test_the_sides_alone_still_answer_a_question_about_the_dispute(settings, style):
    answer = _ask(settings, "Was the violence home-grown, or was it organised from abroad?",
                  "The weather in Almaty was cold and snowy that week.", answer_style=style)
    assert not answer.refused, answer.text
    assert answer.text.startswith(STATEMENT_LEAD), answer.text
    _no_quote_twice(answer)


@STYLES
def test_the_side_the_answer_cites_is_not_quoted_again(settings, style):
    """The answer gives the WSJ's 160; the statement after it quotes 164 and "hundreds" and names
    the WSJ by its marker instead of repeating the sentence the answer cites."""
    answer = _ask(settings, "How many people were killed in the unrest?", "Health officials said 160 people have died.", answer_style=style)
    assert not answer.refused and answer.sentences[0].supported, answer.text
    assert answer.sentences[0].inline == (style == "quotes")  # in the WSJ's words, or the model's
    [n] = answer.sentences[0].citations
    said = answer.sentences[-1].text
    assert said.startswith(STATEMENT_LEAD) and f"The Wall Street Journal (cited above) [{n}]" in said, said
    assert "164" in said and "hundreds" in said and "160 people have died" not in said, said
    _no_quote_twice(answer)


@STYLES
def test_a_looping_answer_keeps_neither_the_repeat_nor_the_cut_off_fragment(settings, style):
    solomon = "Beijing last month pledged to help train police in the Solomon Islands, following riots in the impoverished Pacific island nation."
    answer = _ask(settings, "What did China do in the Solomon Islands?", " ".join([solomon] * 4), answer_style=style)
    kept = [s.said or s.text for s in answer.sentences if s.supported]
    assert kept == [solomon], kept  # once, whole
    # The loop is caught in the second copy: what was written of it is left out, not cited.
    [fragment] = answer.left_out
    assert solomon.startswith(fragment) and fragment != solomon, answer.left_out
    assert len(answer.citations) == 1, answer.citations


@STYLES
def test_an_answer_copying_a_passage_on_stops_after_max_sentences(settings, style):
    """Seen on dev (followup-30): asked "Who gave that figure?", the 1.5B model copied a Spectator
    paragraph on, eleven sentences. Generation stops once a sixth begins; its start is left out."""
    from bot.answer import MAX_SENTENCES
    paragraph = ("The Kazakh uprising is over. Life is returning to normal. Banks have reopened. Salaries and pensions "
                 "are being paid. The internet is up and running again. Almaty airport is expected to reopen today. "
                 "Some 164 civilians were killed.")
    answer = _ask(settings, "What happened in Almaty after the unrest?", paragraph, answer_style=style)
    written = [s.said or s.text for s in answer.sentences if s.supported and (s.said or s.text) in paragraph]
    assert len(written) == MAX_SENTENCES and "reopen today" not in answer.text, answer.text
    assert all("Almaty airport is expected to reopen today.".startswith(f) for f in answer.left_out), answer.left_out


# --- the parts, without the model --------------------------------------------------------------


def test_cut_generation_last_fragment_and_repeat_are_not_cited(settings, bot):
    citer = Citer(bot.articles, settings.support_floor, strict=True)
    citer.set_passages(bot.retriever.retrieve("What did China do in the Solomon Islands?").passages)
    tokens = ["Beijing last month pledged to help train police in the Solomon Islands, following riots in the impoverished ",
              "Pacific island nation. Beijing last month pledged to help train police in the Solomon Islands, following riots in the ",
              "impoverished Pacific island nation. Beijing last month pledged to help train police in the Solomon Islands, following"]
    events = [e.sentence for e in cite_stream(iter(tokens), citer, cut=lambda: True) if isinstance(e, Sentence)]
    assert [(s.supported, s.missing) for s in events] == [(True, []), (False, [REPEATS]), (False, [UNFINISHED])]
    assert [c.n for c in citer.all_citations()] == events[0].citations  # nothing numbered for the dropped two
    # Not cut (the model ended it): the last words stand as the model wrote them, and are checked.
    tail = ["Beijing last month pledged to help train police in the Solomon Islands"]
    [last] = [e.sentence for e in cite_stream(iter(tail), citer) if isinstance(e, Sentence)]
    assert UNFINISHED not in last.missing


def test_a_quote_that_is_not_a_whole_sentence_says_so():
    assert quote("Beijing pledged to help train police in the Solomon Islands, following", 1) == \
        "“Beijing pledged to help train police in the Solomon Islands, following…” [1]"
    assert quote("Some 164 civilians were\n killed.", 2) == "“Some 164 civilians were killed.” [2]"
    assert quote("“The Russians who stabilize the tillers may not be a bad result. “", 3).endswith("result. “” [3]")


# --- the real model ------------------------------------------------------------------------------


@pytest.mark.llm
@pytest.mark.timeout(900)
@pytest.mark.parametrize("question", [SEEN, pytest.param(SEEN_ON_TOPIC, marks=pytest.mark.full)])
def test_the_seen_question_is_answered_before_any_dispute_is_quoted(bot, question):
    """The question as seen, and said so that the dispute is found at the default floor."""
    answer = bot.ask(question)
    assert not answer.refused, answer.text
    assert bool(answer.conflicts) == (question == SEEN_ON_TOPIC), answer.conflicts  # the dispute, where it is found
    assert not answer.text.startswith(STATEMENT_LEAD), answer.text
    assert "Tokayev" in answer.sentences[0].text, answer.text  # the answer, first: who blamed them
    _no_quote_twice(answer)
    model_said = [s.text for s in answer.sentences if not s.inline]
    assert all(ends_sentence(t) for t in model_said), model_said
    assert all(ends_sentence(q.rstrip(" “")) or q.endswith("…") for q in _quoted(answer)), _quoted(answer)
