"""The Ollama backend over its real wire protocol, against a local stand-in server."""

from __future__ import annotations

import re

import pytest

from bot.app import Bot
from bot.verify import is_verdict
from bot.llm import LLMError, choose_backend
from tests.fake_ollama import MODEL, FakeOllama


def _bot(settings, url, **kw) -> Bot:
    """The rules below are about the model's own words (they still apply to answer_style "model");
    the default "quotes" style is tested at the end."""
    kw.setdefault("answer_style", "model")
    return Bot(settings.model_copy(update={"ollama_host": url, "llm_backend": "ollama", "ollama_model": MODEL, **kw}))


def test_auto_prefers_a_reachable_ollama_with_the_model(settings):
    with FakeOllama() as fake:
        name, _, model = choose_backend(settings.model_copy(update={"ollama_host": fake.url, "llm_backend": "auto", "ollama_model": MODEL}))
    assert (name, model) == ("ollama", MODEL)


def test_auto_falls_back_to_embedded_when_the_model_is_missing(settings):
    with FakeOllama(models=("llama3:8b",)) as fake:
        name, _, _ = choose_backend(settings.model_copy(update={"ollama_host": fake.url, "llm_backend": "auto", "ollama_model": MODEL}))
    assert name == "embedded"


def test_explicit_ollama_without_the_model_names_what_is_there(settings):
    with FakeOllama(models=("llama3:8b",)) as fake:
        with pytest.raises(LLMError, match="has no model .*llama3:8b"):
            choose_backend(settings.model_copy(update={"ollama_host": fake.url, "llm_backend": "ollama", "ollama_model": MODEL}))


def test_streamed_answer_through_ollama_is_cited(settings):
    with FakeOllama() as fake:
        answer = _bot(settings, fake.url).ask("What triggered the protests in Kazakhstan?")
        sent = fake.requests[-1]
    assert sent["stream"] is True and sent["model"] == MODEL and sent["messages"][0]["role"] == "system"
    assert answer.backend == "ollama" and answer.model == MODEL
    assert not answer.refused and answer.citations and answer.sentences[0].supported



def test_yes_no_answer_is_begun_for_the_model_and_continued(settings):
    with FakeOllama() as fake:
        answer = _bot(settings, fake.url).ask("Did the protests start over fuel prices?")
        sent = fake.requests[0]["messages"]
    # On the wire: the begun answer is the last, assistant message; the reply continues it.
    assert sent[-1] == {"role": "assistant", "content": "According to the excerpts,"}
    assert answer.text.startswith("According to the excerpts, ") and not answer.refused


def test_a_one_sentence_answer_is_continued_for_one_more_fact(settings):
    with FakeOllama() as fake:
        answer = _bot(settings, fake.url).ask("What triggered the protests in Kazakhstan?")
        first, more = (r["messages"] for r in fake.requests)
    # The answer so far, then "In addition,", as the assistant message Ollama continues.
    assert more[:-1] == first and more[-1]["role"] == "assistant"
    assert more[-1]["content"].endswith(". In addition,") and answer.sentences[0].text in more[-1]["content"]
    # The stand-in repeats its first sentence, as the small model sometimes does: dropped unseen.
    assert len(answer.sentences) == 1 and not answer.left_out and "In addition" not in answer.text


def test_follow_up_is_rewritten_by_the_backend(settings):
    history = [{"role": "user", "content": "What did Russia do?"}, {"role": "assistant", "content": "It sent CSTO troops."}]
    with FakeOllama() as fake:
        answer = _bot(settings, fake.url).ask("And how did China react to that?", history)
        condense = fake.requests[0]["messages"][-1]["content"]
    assert "What did Russia do?" in condense and answer.standalone_question.startswith("How did China react")


def test_a_rewrite_that_is_no_question_asks_both_questions(settings):
    """The small model sometimes answers the rewrite instead of rewriting ("Who said that?" →
    "Some Chinese experts said that."): the question before it then gives the context."""
    before = "Did every Chinese expert go along with the idea that the West stirred up the protests?"
    history = [{"role": "user", "content": before}, {"role": "assistant", "content": "No: some dispute it."}]
    with FakeOllama(answers=("Some Chinese experts said that.",)) as fake:
        answer = _bot(settings, fake.url).ask("Who said that?", history)
    assert answer.standalone_question == f"{before} Who said that?"


@pytest.mark.parametrize("rewrite,kept", [
    ("How many civilians died in the unrest, according to The Spectator?", False),  # the old question
    ("How many police officers died in the unrest, according to The Spectator?", True),
])
def test_an_and_question_rewritten_without_its_new_thing_asks_both_questions(settings, rewrite, kept):
    """"And police?" asks the question before it again about police: a rewrite that lost "police"
    asks the old question, so the question before it and this one are asked together."""
    before = "How many civilians died in the unrest, according to The Spectator?"
    history = [{"role": "user", "content": before}, {"role": "assistant", "content": "Some 164, it says."}]
    with FakeOllama(answers=(rewrite,)) as fake:
        answer = _bot(settings, fake.url).ask("And police?", history)
    assert answer.standalone_question == (rewrite if kept else f"{before} And police?")


@pytest.mark.parametrize("rewrite", [
    "How did China react to the unrest?",  # kept China
    "Russia?",  # nothing of the question before
    "What about Russia?",
    "How did China react to the unrest? And Russia?",  # both questions repeated
])
def test_an_and_question_badly_rewritten_swaps_its_name_in(settings, rewrite):
    """"And Russia?" after "How did China react …?": the model's rewrite does not ask the old
    question about Russia; the program puts Russia in China's place rather than asking both
    questions (which got China's reaction again)."""
    before = "How did China react to the unrest?"
    history = [{"role": "user", "content": before}, {"role": "assistant", "content": "Quietly, says the WSJ."}]
    with FakeOllama(answers=(rewrite,)) as fake:
        answer = _bot(settings, fake.url).ask("And Russia?", history)
    assert answer.standalone_question == "How did Russia react to the unrest?"


def test_an_and_question_after_another_is_not_swapped(settings):
    """"And the US?" after "And with Russia?": the question before names Russia but asks nothing
    of its own, so a good rewrite is kept (its words are in the first question)."""
    history = [{"role": "user", "content": "How much trade did Kazakhstan do with China in 2020?"}, {"role": "assistant", "content": "$21 billion."},
               {"role": "user", "content": "And with Russia?"}, {"role": "assistant", "content": "$10 billion."}]
    rewrite = "How much trade did Kazakhstan do with the US in 2020?"
    with FakeOllama(answers=(rewrite,)) as fake:
        answer = _bot(settings, fake.url).ask("And the US?", history)
    assert answer.standalone_question == rewrite


def test_a_rewrite_that_finds_nothing_is_asked_with_the_question_before_it(settings):
    """"Why risky?" rewritten "Why is it risky?" has lost what it leans on, and the articles cover
    nothing of it: instead of "the articles don't cover that", the question before it is asked with it."""
    before = "Which principle of Chinese foreign policy did the Kazakhstan crisis put under strain, according to the FT?"
    history = [{"role": "user", "content": before}, {"role": "assistant", "content": "Non-interference."}]
    said = "A tenet of Beijing's foreign policy is non-interference in other countries' internal affairs."
    with FakeOllama(answers=("Why do you insist on this?", said, "NOT IN SOURCES")) as fake:
        answer = _bot(settings, fake.url).ask("Why cling to it?", history)
        asked = fake.requests[1]["messages"][-1]["content"]
    assert answer.standalone_question == f"{before} Why cling to it?" and before in asked
    assert answer.refusal_reason != "not_covered", answer.text
    # A rewrite the articles cover is kept; a question with no history is refused as before.
    with FakeOllama(answers=("Why does Beijing hold to non-interference?", said, "NOT IN SOURCES")) as fake:
        answer = _bot(settings, fake.url).ask("Why cling to it?", history)
    assert answer.standalone_question == "Why does Beijing hold to non-interference?"
    with FakeOllama() as fake:
        answer = _bot(settings, fake.url).ask("Why do you insist on this?")
    assert answer.refused and answer.refusal_reason == "not_covered" and not fake.requests


def test_a_follow_up_is_shown_the_passage_its_last_answer_leans_on(settings):
    """"Who said that?" leans on the last answer, not on the question before it: the passage that
    answer came from (here, beside it: the expert's own words and name) joins the model's
    passages in place of the last of the question's, so their number is unchanged."""
    before = "Did every Chinese expert go along with the idea that the West stirred up the Kazakh protests?"
    said = ("No. The FT says China embraced Russia's narrative of a colour revolution fomented by Western powers, "
            "but some of China's most seasoned Central Asia experts dispute it; one said the incident was mainly "
            "caused by internal contradictions and that external factors should not be taken too seriously.")
    prompt = lambda request: next(m["content"] for m in request["messages"] if "Source excerpts:" in m["content"])
    asked = {}
    for last in (said, ""):
        history = [{"role": "user", "content": before}, {"role": "assistant", "content": last}]
        with FakeOllama(answers=("Some Chinese experts said that.", "NOT IN SOURCES")) as fake:
            _bot(settings, fake.url).ask("Who said that?", history)
            asked[last] = fake.requests[1]
    assert "Yang Shu" in prompt(asked[said])
    assert "Yang Shu" not in prompt(asked[""])  # the question alone does not find it
    excerpts = [len(re.findall(r"^\[\d+\] ", prompt(asked[last]), re.M)) for last in (said, "")]
    assert excerpts[0] == excerpts[1] >= settings.top_k


def test_a_follow_up_after_a_refusal_is_shown_its_own_passages(settings):
    """After the bot's own refusal (as the UI keeps it in the history) there is no answer to lean on:
    the refusal's words would only draw an arbitrary passage in place of the question's fifth."""
    before = "Did every Chinese expert go along with the idea that the West stirred up the Kazakh protests?"
    asked = {}
    for last in ("refusal", ""):
        with FakeOllama(answers=("Some Chinese experts said that.", "NOT IN SOURCES")) as fake:
            bot = _bot(settings, fake.url)
            said = bot.refusal_text("unverified") if last else ""
            bot.ask("Who said that?", [{"role": "user", "content": before}, {"role": "assistant", "content": said}])
            asked[last] = next(m["content"] for m in fake.requests[1]["messages"] if "Source excerpts:" in m["content"])
    assert asked["refusal"] == asked[""]


@pytest.mark.parametrize("mode,needle", [
    ("die", "closed the connection in the middle of the answer"),
    ("error", "refused the request: llama runner process has terminated"),
    ("slow", "did not answer within 1 s"),
])
def test_backend_faults_become_messages(settings, mode, needle):
    with FakeOllama(mode=mode, stall=3) as fake:
        bot = _bot(settings, fake.url, request_timeout=1.0)
        with pytest.raises(LLMError, match=needle):
            bot.ask("What triggered the protests in Kazakhstan?")
        assert bot.retriever is not None  # the app object survives and can ask again


def test_a_definition_answer_ends_with_an_explanation_it_has_not_written_out(settings):
    """Whatever the model says about the term, the article's own explanation follows, quoted,
    and it is never a sentence the answer already wrote out."""
    from bot.sentences import overlap
    from bot.glossary import RESTATED

    with FakeOllama() as fake:
        answer = _bot(settings, fake.url).ask("What is the SCO?")
    quoted, written = answer.sentences[-1], [s.text for s in answer.sentences[:-1]]
    assert quoted.inline and ("SCO" in quoted.text or "Shanghai Cooperation" in quoted.text)
    body = quoted.text.split("“", 1)[1].rsplit("”", 1)[0]
    assert not any(overlap(body, w) >= RESTATED for w in written)


def test_a_pronoun_for_the_person_just_named_is_resolved_without_the_model(settings):
    history = [{"role": "user", "content": "Who is Mukhtar Tleuberdi?"}, {"role": "assistant", "content": "Kazakhstan's foreign minister."}]
    with FakeOllama() as fake:
        answer = _bot(settings, fake.url).ask("What did he say about China's role?", history)
        prompts = [r["messages"][-1]["content"] for r in fake.requests]
    assert answer.standalone_question == "What did Mukhtar Tleuberdi say about China's role?"
    assert not any(p.startswith("Rewrite the last question") for p in prompts)


def test_a_comparison_of_two_terms_ends_with_an_explanation_of_each(settings):
    with FakeOllama() as fake:
        answer = _bot(settings, fake.url).ask("How does the CSTO differ from the SCO?")
    quoted = [s.text for s in answer.sentences if s.inline and not s.text.startswith("The sources differ")]
    assert len(quoted) == 2, answer.text
    assert any("CSTO" in q for q in quoted) and any("SCO" in q.replace("CSTO", "") for q in quoted)


def test_a_garbled_answer_gives_way_to_the_sentence_it_points_at(settings):
    """The model's one sentence pairs the wrong numbers: it is left out, and the article
    sentence it matched, which answers the question, is quoted instead of a refusal."""
    garbled = "15 of the 31 cities experienced violence."
    with FakeOllama(answers=(garbled, "NOT IN SOURCES")) as fake:
        answer = _bot(settings, fake.url).ask("In how many Kazakh cities did violence break out?")
    assert not answer.refused and answer.left_out == [garbled], answer.text
    assert answer.text.startswith("The Spectator: “There was violence in 19 of Kazakhstan’s 31 cities"), answer.text
    assert [s.inline and s.supported for s in answer.sentences] == [True]


def test_a_garbled_answer_to_what_the_articles_lack_is_still_refused(settings):
    """"Armenia contributed 2,500 troops" matches Putin's 2,500 troops, which do not answer the question."""
    with FakeOllama(answers=("Armenia contributed 2,500 troops to the CSTO mission in Kazakhstan.", "NOT IN SOURCES")) as fake:
        answer = _bot(settings, fake.url).ask("How many soldiers did Armenia contribute to the CSTO mission in Kazakhstan?")
    assert answer.refused and answer.refusal_reason == "unverified", answer.text


def test_a_refusal_without_a_checked_answer_offers_the_passages_closest_to_the_question(settings):
    """The model says the excerpts hold no answer: the refusal claims no more than that (not "the
    articles don't cover that") and points at the closest retrieved passages, one per article,
    each by a whole sentence of it, for the reader's own reading."""
    with FakeOllama(answers=("NOT IN SOURCES",)) as fake:
        bot = _bot(settings, fake.url)
        answer = bot.ask("Were Moscow and Beijing working hand in hand during the Kazakh crisis?")
    assert answer.refused and answer.refusal_reason == "model", answer.text
    assert answer.text == bot.refusal_text("model") != bot.refusal_text("not_covered")
    assert 1 <= len(answer.related) <= 3 and len({p.article_id for p in answer.related}) == len(answer.related)
    for p in answer.related:
        article = bot.articles[p.article_id]
        assert (p.title, p.outlet, p.url) == (article.title, article.outlet, article.url)
        whole = " ".join(article.text[p.start:p.end].split())
        assert p.excerpt.rstrip(" …") in whole and whole[-1] in ".!?”’\"'" and len(whole.split()) >= 5
    assert answer.to_json()["related"][0]["excerpt"] == answer.related[0].excerpt
    # A question refused before retrieval has nothing to point at.
    assert not bot.ask("Who won the 2022 FIFA World Cup?").related


def test_the_terminal_lists_the_closest_passages_under_such_a_refusal(settings):
    from bot.terminal import OUT, answer_text
    with FakeOllama(answers=("NOT IN SOURCES",)) as fake:
        bot = _bot(settings, fake.url)
        out = "".join(text for stream, text in answer_text(bot, "Were Moscow and Beijing working hand in hand?", False) if stream == OUT)
    assert bot.refusal_text("model") in out and "not checked as an answer" in out and "Sources:" not in out
    assert any(f"- {article.title} ({article.outlet}" in out for article in bot.articles.values()), out


def test_an_amount_question_answered_without_an_amount_is_refused_with_what_the_articles_say(settings):
    """"Massimov was arrested for treason" is true and cited, but no answer to "What prison
    sentence …?": the refusal keeps it, verified, as what the articles do say."""
    with FakeOllama(answers=("Karim Massimov was arrested for treason.", "NOT IN SOURCES")) as fake:
        answer = _bot(settings, fake.url).ask("What prison sentence did Karim Massimov eventually receive?")
    assert answer.refused and answer.refusal_reason == "no_amount", answer.text
    assert "figure" in answer.text and "[" not in answer.text
    assert [s.text for s in answer.sentences] == ["Karim Massimov was arrested for treason."]
    assert all(s.supported and s.citations for s in answer.sentences) and answer.citations
    assert any("treason" in c.quote for c in answer.citations)


@pytest.mark.parametrize("question,said", [
    # a count of troops, true and cited, gives no time they stayed
    ("How long did the CSTO troops stay in Kazakhstan?", "Putin sent 2,500 troops to help defend Kazakhstan."),
    # people arrested are no count of people living there
    ("How many people live in Kazakhstan?", "8,000 people have been arrested."),
])
def test_a_figure_of_another_kind_is_no_answer_to_how_long_or_how_many_live(settings, question, said):
    with FakeOllama(answers=(said, "NOT IN SOURCES")) as fake:
        answer = _bot(settings, fake.url).ask(question)
    assert answer.refused and answer.refusal_reason == "no_amount", answer.text
    assert answer.sentences and all(s.supported for s in answer.sentences)  # kept as what the articles say


def test_a_post_restated_with_the_questions_place_is_dated_by_its_sentence(settings):
    """"… become president of Kazakhstan" restates the question; the cited "he took over the
    presidency in March 2019" (an article about Kazakhstan) dates it, though it names neither."""
    said = "Tokayev became president of Kazakhstan in March 2019."
    with FakeOllama(answers=(said, "NOT IN SOURCES")) as fake:
        answer = _bot(settings, fake.url).ask("In which month did Tokayev become president of Kazakhstan?")
    assert not answer.refused, answer.text
    assert any("took over the presidency in March 2019" in c.quote for c in answer.citations)


def test_a_part_of_a_two_part_question_left_open_is_said_not_refused(settings):
    """"How long is the border, and what has Beijing done …?" answered only about the outposts:
    the answer stands, with a note that the articles give no figure for the first part."""
    from bot.terminal import OUT, answer_text
    question = "How long is China's border with Afghanistan, and what has Beijing done to keep militants from getting across?"
    said = "China has set up paramilitary outposts in Tajikistan to stem the flow of militants, weapons and drugs."
    with FakeOllama(answers=(said, "NOT IN SOURCES")) as fake:
        answer = _bot(settings, fake.url).ask(question)
    with FakeOllama(answers=(said, "NOT IN SOURCES")) as fake:
        out = "".join(text for stream, text in answer_text(_bot(settings, fake.url), question, False) if stream == OUT)
    assert not answer.refused and answer.sentences[0].supported, answer.text
    [note] = answer.unanswered
    assert "How long is China's border with Afghanistan?" in note and "figure" in note
    assert note not in answer.text  # the answer's text is what the articles say
    assert note in out and answer.to_json()["unanswered"] == [note]


def test_a_two_part_question_with_neither_part_answered_is_refused(settings):
    question = ("How many Chinese citizens did Beijing evacuate from Kazakhstan during the unrest, "
                "and on what date did the first evacuation flight leave?")
    with FakeOllama(answers=("Chinese companies account for around 17% of the oil extracted from Kazakhstan.", "NOT IN SOURCES")) as fake:
        answer = _bot(settings, fake.url).ask(question)
    assert answer.refused and answer.refusal_reason == "no_amount" and not answer.unanswered, answer.text
    assert [s.supported for s in answer.sentences] == [True]


@pytest.mark.parametrize("said, question, reason", [
    # true and cited, but no year
    ("China's protest-terrorism nexus has primarily been transposed to Central Asia through the Shanghai Cooperation Organisation (SCO).",
     "In which year was the Shanghai Cooperation Organisation founded?", "no_date"),
    # the sacking is true and cited, but names no one who took the post
    ("The head of Kazakhstan's intelligence services was sacked on 6 January.",
     "Who replaced Karim Massimov as head of the National Security Committee?", "no_person"),
    # another country's holder of the post, named, but no one said to have taken it over
    ("Mukhtar Tleuberdi, Foreign Minister of Kazakhstan, indicated Tuesday that Beijing may have offered security support "
     "early on, but was rebuffed by Kazakh authorities.", "Who took over from Wang Yi as China's foreign minister?", "no_person"),
    # the holder of the post asked for one country, named for another
    ("Wang Yi, the Chinese foreign minister, publicly announced that Beijing was ready to strengthen law enforcement cooperation "
     "with Kazakhstan.", "Who was Russia's foreign minister during the Kazakhstan crisis?", "no_person"),
    # a date, but of the sacking, not of the arrest asked about
    ("The head of Kazakhstan's intelligence services was sacked on 6 January.",
     "On what date was Karim Massimov arrested?", "no_date"),
    # the arrest is true and cited, but gives none of his own words
    ("We may only guess now but the arrest of Karim Massimov, the head of the National Security Committee of Kazakhstan and a "
     "high-profile figure in Kazakh politics, might have also sent shivers down the spine of those responsible for the Central "
     "Asian vector in Beijing.", "What has Karim Massimov said in his defence?", "no_words"),
])
def test_a_question_answered_without_what_it_asks_for_is_refused(settings, said, question, reason):
    with FakeOllama(answers=(said, "NOT IN SOURCES")) as fake:
        bot = _bot(settings, fake.url)
        answer = bot.ask(question)
    assert answer.refused and answer.refusal_reason == reason, answer.text
    assert answer.text == bot.refusal_text(reason, "Karim Massimov" if reason == "no_words" else "everyone it names")
    assert [s.supported for s in answer.sentences] == [True]  # shown as what the articles do say


@pytest.mark.parametrize("question, refused", [
    ("What percentage of Muslims in Kyrgyzstan believe in Sharia law?", True),  # Kazakh Muslims' share is not theirs
    ("What percentage of Kazakh Muslims believe in Sharia law?", False),
])
def test_an_amount_of_another_owner_is_refused_naming_the_owner_asked(settings, question, refused):
    said = "Around 10 per cent of Kazakh Muslims believe in Sharia law."
    with FakeOllama(answers=(said, "NOT IN SOURCES")) as fake:
        bot = _bot(settings, fake.url)
        answer = bot.ask(question)
    assert answer.refused is refused, answer.text
    if refused:
        assert answer.refusal_reason == "unnamed" and answer.text == bot.refusal_text("unnamed", "Kyrgyzstan"), answer.text
        assert [s.supported for s in answer.sentences] == [True]  # shown as what the articles do say
    else:
        assert "10 per cent" in answer.text


def test_a_question_after_a_successor_answered_with_one_is_not_refused(settings):
    named = "Nazarbayev's daughter, Dariga, was elected to Tokayev's former position as chairman of the Senate."
    with FakeOllama(answers=(named, "NOT IN SOURCES")) as fake:
        answer = _bot(settings, fake.url).ask("Who took over Tokayev's former post as chairman of the Senate?")
    assert not answer.refused, answer.text


def test_an_amount_question_answered_with_one_is_not_refused(settings):
    with FakeOllama(answers=("Putin dispatched 2,500 troops to Kazakhstan.", "NOT IN SOURCES")) as fake:
        answer = _bot(settings, fake.url).ask("How many soldiers did Putin dispatch to Kazakhstan?")
    assert not answer.refused and "2,500" in answer.text, answer.text


def test_an_answer_that_never_mentions_whom_the_question_names_is_refused(settings):
    """Asked what Wang Yi said to Putin, the model quotes Wang Yi on something else: true, cited,
    never about Putin. The refusal names who is missing and keeps the verified sentence."""
    said = "Wang Yi, the Chinese foreign minister, publicly announced that Beijing was ready to strengthen law enforcement cooperation."
    with FakeOllama(answers=(said, "NOT IN SOURCES")) as fake:
        bot = _bot(settings, fake.url)
        answer = bot.ask("What did Wang Yi say to Putin about the CSTO mission?")
    assert answer.refused and answer.refusal_reason == "unnamed", answer.text
    assert answer.text == bot.refusal_text("unnamed", "Putin or CSTO"), answer.text  # CSTO: a glossary body
    assert answer.sentences and all(s.supported for s in answer.sentences) and answer.citations
    # The same sentence answers a question about Wang Yi alone.
    with FakeOllama(answers=(said, "NOT IN SOURCES")) as fake:
        answer = _bot(settings, fake.url).ask("What did Wang Yi announce about security cooperation?")
    assert not answer.refused, answer.text
    # In the terminal the streamed quote is said once, then the refusal, then the sources.
    from bot.terminal import OUT, answer_text
    with FakeOllama(answers=(said, "NOT IN SOURCES")) as fake:
        bot = _bot(settings, fake.url, answer_style="quotes")
        out = "".join(t for stream, t in answer_text(bot, "What did Wang Yi say to Putin about the CSTO mission?", False) if stream == OUT)
    assert out.count("publicly announced that Beijing was ready") == 2, out  # in the answer and under Sources
    assert out.index("publicly announced") < out.index("None of the sentences") < out.index("Sources:"), out
    assert "The verified quotes above are what the articles do say." in out, out
    # A quote saying "He …" is about whom the article sentence before it names, as a reader takes it.
    he = "He kicked against the traces and tried to assert his independence."
    with FakeOllama(answers=(he, "NOT IN SOURCES")) as fake:
        answer = _bot(settings, fake.url).ask("How did Tokayev try to assert his independence from Nazarbayev's playbook?")
    assert not answer.refused and "kicked against the traces" in answer.text, (answer.refusal_reason, answer.text)
    # ... also when that quote is itself shown, in quotes style, as the context of another ("His
    # predecessor …" is preceded by "Although he took over the presidency …", which follows the
    # sentence naming him).
    said = "Nursultan Nazarbayev had held the post for 29 years and was not intending to give up power."
    with FakeOllama(answers=(said, "NOT IN SOURCES")) as fake:
        answer = _bot(settings, fake.url, answer_style="quotes").ask("Did Nazarbayev leave Tokayev much room as president?")
    assert "Although he took over the presidency" in answer.text, answer.text
    assert not answer.refused, (answer.refusal_reason, answer.text)


def test_a_verdict_is_followed_by_the_words_that_give_it(settings):
    """"Russia has more sway …" only restates the question; the sentence it stands on is quoted."""
    with FakeOllama(answers=("Russia has more sway in Central Asia after the crisis.", "NOT IN SOURCES")) as fake:
        answer = _bot(settings, fake.url).ask("After the crisis, who has more sway in Central Asia, Russia or China?")
    assert not answer.refused, answer.text
    quoted = [s.text for s in answer.sentences if s.inline]
    assert len(quoted) == 1 and quoted[0].startswith(
        "China-US Focus: “What is clear though is that Russia still has an upper hand in Central Asian politics.”"), quoted
    assert answer.sentences[0].citations == answer.sentences[1].citations  # the quote is the verdict's own source


def test_a_verdict_that_already_says_its_source_words_gets_no_quote(settings):
    with FakeOllama(answers=("China is not a member of the Collective Security Treaty Organization.", "NOT IN SOURCES")) as fake:
        answer = _bot(settings, fake.url).ask("Is China a member of the Collective Security Treaty Organization?")
    assert not answer.refused, answer.text
    assert answer.sentences[0].supported and is_verdict(answer.sentences[0].text, answer.question)
    assert not any(s.inline and "not a member" in s.text for s in answer.sentences), answer.text


def test_asked_what_someone_said_the_answer_quotes_their_whole_statement(settings):
    """The model paraphrases the sentence that names Pantucci; his words go on in the next one."""
    with FakeOllama(answers=("Raffaello Pantucci said that Beijing recognizes that some support is needed to stabilize the situation.",
                             "NOT IN SOURCES")) as fake:
        answer = _bot(settings, fake.url).ask("How did Raffaello Pantucci view Russia's intervention?")
    assert not answer.refused and answer.sentences[0].supported, answer.text
    quoted = [s.text for s in answer.sentences if s.inline]
    assert len(quoted) == 1, quoted
    assert quoted[0].startswith("The Wall Street Journal: ““To some extent, Beijing recognizes"), quoted
    assert "“The Russians who stabilize the tillers may not be a bad result." in quoted[0]
    [n] = answer.sentences[-1].citations
    cited = next(c for c in answer.citations if c.n == n)
    assert "said Raffaello Pantucci" in cited.quote and cited.quote.rstrip(" “").endswith("bad result.")


def test_a_question_not_after_someones_words_gets_no_statement_quoted(settings):
    with FakeOllama(answers=("Raffaello Pantucci said that Beijing recognizes that some support is needed to stabilize the situation.",
                             "NOT IN SOURCES")) as fake:
        answer = _bot(settings, fake.url).ask("Why might Beijing welcome Russia's intervention?")
    assert not any(s.inline and "tillers" in s.text for s in answer.sentences), answer.text


# -- answer_style "quotes" (the default): the reader sees the cited article sentences -----------------


def _quoted_bot(settings, url) -> Bot:
    return _bot(settings, url, answer_style="quotes")


def _events(bot: Bot, question: str):
    from bot.answer import Delta, Done

    events = list(bot.stream(question))
    shown = "".join(e.text for e in events if isinstance(e, Delta))
    return shown, next(e.answer for e in events if isinstance(e, Done))


def test_a_verified_sentence_reaches_the_reader_as_the_article_sentence_it_cites(settings):
    said = "Putin dispatched 2,500 troops to Kazakhstan."
    with FakeOllama(answers=(said, "NOT IN SOURCES")) as fake:
        bot = _quoted_bot(settings, fake.url)
        shown, answer = _events(bot, "How many soldiers did Putin dispatch to Kazakhstan?")
    assert not answer.refused, answer.text
    first = answer.sentences[0]
    assert first.supported and first.inline and first.said == said
    [n] = first.citations
    cited = next(c for c in answer.citations if c.n == n)
    article = bot.articles[cited.article_id]
    assert first.text == f"{article.outlet}: “{' '.join(cited.quote.split())}” [{n}]"
    assert cited.quote in article.text and "2,500" in cited.quote
    assert said not in shown and said not in answer.text  # the paraphrase never flashed by


def test_a_sentence_no_article_supports_is_left_out_in_the_models_words(settings):
    wrong = "Armenia contributed 2,500 troops to the CSTO mission in Kazakhstan."
    with FakeOllama(answers=("Putin dispatched 2,500 troops to Kazakhstan. " + wrong, "NOT IN SOURCES")) as fake:
        shown, answer = _events(_quoted_bot(settings, fake.url), "How many soldiers did Putin dispatch to Kazakhstan?")
    assert answer.left_out == [wrong] and wrong not in answer.text
    assert wrong in shown  # streamed as the model wrote it, then marked left out (the UI strikes it)


def test_two_sentences_citing_one_article_sentence_quote_it_once(settings):
    twice = "Putin dispatched 2,500 troops to Kazakhstan. Putin sent 2,500 soldiers to Kazakhstan."
    with FakeOllama(answers=(twice, "NOT IN SOURCES")) as fake:
        answer = _quoted_bot(settings, fake.url).ask("How many soldiers did Putin dispatch to Kazakhstan?")
    quotes = [q for s in answer.sentences for q in re.findall(r"“(.+?)” \[\d+\]", s.text)]
    assert quotes and len(quotes) == len(set(quotes)), answer.text


def test_an_amount_refusal_shows_what_the_articles_say_in_their_words(settings):
    with FakeOllama(answers=("Karim Massimov was arrested for treason.", "NOT IN SOURCES")) as fake:
        answer = _quoted_bot(settings, fake.url).ask("What prison sentence did Karim Massimov eventually receive?")
    assert answer.refused and answer.refusal_reason == "no_amount", answer.text
    [kept] = answer.sentences
    assert kept.inline and kept.said == "Karim Massimov was arrested for treason." and "treason" in kept.text


def test_a_quoted_sentence_that_opens_with_he_is_preceded_by_the_one_that_names_him(settings):
    with FakeOllama(answers=("Nazarbayev continued to lead the ruling Nur Otan party.", "NOT IN SOURCES")) as fake:
        answer = _quoted_bot(settings, fake.url).ask("Which party did Nazarbayev continue to lead?")
    assert not answer.refused, answer.text
    first = answer.sentences[0]
    cited = [c.quote for c in answer.citations if c.n in first.citations]
    assert cited[0].startswith("He continued to lead the ruling Nur Otan party"), cited  # the case at hand
    before = "The predecessor Nazarbayev retained control of the Kazakh army through his chairmanship of the National Security Council."
    assert f"The Spectator: “{before}” [" in first.text and first.text.index(before) < first.text.index("He continued"), first.text
    assert any(c.quote.strip() == before for c in answer.citations)  # cited too, so its marker opens the passage


def test_antecedent_only_for_a_sentence_pointing_back():
    from bot.sentences import antecedent

    text = "A heading\nWang Yi met Tleuberdi on Monday. He said China was ready to help. Beijing waits. This is new."
    assert text[slice(*antecedent(text, text.index("He said")))].strip() == "Wang Yi met Tleuberdi on Monday."
    assert antecedent(text, text.index("Beijing")) is None
    assert text[slice(*antecedent(text, text.index("This")))].strip() == "Beijing waits."
    assert antecedent(text, text.index("Wang Yi")) is None  # opens with a name
    after = "Xi spoke first. However, this does not assume a rift."
    assert after[slice(*antecedent(after, after.index("However")))].strip() == "Xi spoke first."
    head = "A heading\nHe said hi."
    assert antecedent(head, head.index("He")) is None  # a heading says nothing of who
    from bot.sentences import sentence_spans

    # exactly the span a citation of that sentence has, so one sentence is one source, quoted once
    assert antecedent(text, text.index("He said")) in sentence_spans(text)


def test_a_sentence_cited_and_then_pointed_back_to_is_quoted_once(settings):
    """The model cites the sacking, then the arrest ("He has now been arrested …"): the sacking
    is its antecedent and was quoted just before, so it is not quoted again."""
    said = "The head of Kazakhstan's intelligence services was sacked on 6 January. He has now been arrested for treason."
    with FakeOllama(answers=(said, "NOT IN SOURCES")) as fake:
        answer = _quoted_bot(settings, fake.url).ask("What happened to the chief of Kazakhstan's security service?")
    quotes = [q for s in answer.sentences for q in re.findall(r"“(.+?)” \[\d+\]", s.text)]
    assert "He has now been arrested for treason." in quotes, answer.text
    assert len(quotes) == len(set(quotes)), answer.text


def test_in_quotes_a_speakers_statement_goes_on_after_the_quoted_sentence(settings):
    """The answer quotes the sentence naming Pantucci; his statement goes on in the next one."""
    with FakeOllama(answers=("Raffaello Pantucci said that Beijing recognizes that some support is needed to stabilize the situation.",
                             "NOT IN SOURCES")) as fake:
        answer = _quoted_bot(settings, fake.url).ask("How did Raffaello Pantucci view Russia's intervention?")
    assert not answer.refused, answer.text
    assert "said Raffaello Pantucci" in answer.text and "may not be a bad result" in answer.text, answer.text
    assert answer.text.count("said Raffaello Pantucci") == 1, answer.text  # the quoted part is not repeated


def test_an_amount_shown_in_the_quoted_sentence_answers_a_how_many_question(settings):
    """The model's words leave the figure out; the article sentence shown for them states it
    ("More than 60 Jihadi attacks …"), so the reader has the amount: no no_amount refusal."""
    said = "Jihadi attacks have been thwarted in Kazakhstan over the last decade."
    with FakeOllama(answers=(said, "NOT IN SOURCES")) as fake:
        answer = _quoted_bot(settings, fake.url).ask("How many Jihadi attacks were thwarted in Kazakhstan over the last decade?")
    assert not answer.refused, answer.text
    assert "More than 60 Jihadi attacks" in answer.text


def test_a_follow_up_answered_with_the_last_answer_again_goes_on_with_the_articles_next_sentence(settings):
    """"Such as?" answered with the very sentence the last answer gave has answered nothing: the
    sentence after it in the article follows, in its words. A question of its own answered with
    that sentence, or a follow-up whose answer says something new, gets no such sentence."""
    from bot.answer import Done

    said = ("The Wall Street Journal: “China and Russia share many of the same goals in their mutual backyard, and Beijing "
            "could look to a Moscow-led intervention, however shocking at first, some analysts say.”")
    history = [{"role": "user", "content": "Could Beijing live with a Moscow-led intervention, according to the WSJ?"},
               {"role": "assistant", "content": said}]
    rewrite = "What goals do China and Russia share in their mutual backyard?"
    again = "China and Russia share many of the same goals in their mutual backyard."
    after = "Both countries are eager to see US influence in the region diminish"

    def answer(question, history, *script):
        with FakeOllama(answers=script) as fake:
            return next(e.answer for e in _quoted_bot(settings, fake.url).stream(question, history) if isinstance(e, Done))

    repeated = answer("Such as?", history, rewrite, again, "NOT IN SOURCES")
    assert not repeated.refused and after in repeated.text, repeated.text
    assert repeated.text.index("share many of the same goals") < repeated.text.index(after)
    assert after not in answer(rewrite, [], again, "NOT IN SOURCES").text  # no conversation to repeat
    new = answer("Such as?", history, rewrite, "Both countries are concerned about any spread of Islamic fundamentalism.", "NOT IN SOURCES")
    assert not new.refused and new.text.count("Both countries") == 1, new.text


def test_a_quoted_sentence_gets_the_chain_of_sentences_it_points_back_through(settings):
    """"His predecessor, …" points back to "Although he took over …", which says whose only with
    the sentence before it: both are quoted before it, earliest first."""
    said = "Nazarbayev had held the post for 29 years since the break-up of the Soviet Union."
    with FakeOllama(answers=(said, "NOT IN SOURCES")) as fake:
        answer = _quoted_bot(settings, fake.url).ask("How long had Nazarbayev been president?")
    assert not answer.refused, answer.text
    shown = answer.sentences[0].text
    chain = ["Apart from Putin, the other clear winner", "Although he took over the presidency", "His predecessor, Nursultan Nazarbayev"]
    assert all(part in shown for part in chain), shown
    assert [shown.index(part) for part in chain] == sorted(shown.index(part) for part in chain), shown


def test_antecedents_follow_sentences_that_point_back_in_turn():
    from bot.sentences import antecedents

    text = "Xi spoke first. Although he was late, his words counted. His aide, Li Wei, agreed."
    assert [text[s:e].strip() for s, e in antecedents(text, text.index("His aide"))] == [
        "Xi spoke first.", "Although he was late, his words counted."]
    assert antecedents(text, text.index("Xi")) == []
    long = "Xi spoke. He sat. He ate. He left."
    assert [long[s:e].strip() for s, e in antecedents(long, long.index("He left"))] == ["He sat.", "He ate."]  # at most two


def test_asked_who_someone_is_the_reader_gets_the_sentence_introducing_them(settings):
    """The model answered "Who is Tokayev?" with a sentence that merely names him; the article
    sentence giving his role follows the answer (quotes.person_quotes)."""
    said = "Throughout Central Asia the rumour was that new President Tokayev was simply keeping the seat warm for Dariga."
    with FakeOllama(answers=(said, "NOT IN SOURCES")) as fake:
        answer = _quoted_bot(settings, fake.url).ask("Who is Tokayev?")
    assert not answer.refused, answer.text
    assert "his counterpart, Kazakh President Kassym-Jomart Tokayev" in answer.text, answer.text
    assert answer.text.index("keeping the seat warm") < answer.text.index("Kazakh President Kassym-Jomart"), answer.text


def test_only_a_question_about_a_named_person_asks_who_they_are():
    from bot.people import asked_who

    assert asked_who("Who is Niva Yau?") == "Niva Yau"
    assert asked_who("Who’s Yau?") == asked_who("Who's Yau?") == "Yau"
    assert asked_who("Who is President Tokayev?") == "Tokayev"  # a follow-up's rewrite adds the title
    assert asked_who("Who was Karim Massimov, and why would his arrest worry Beijing?") == "Karim Massimov"
    assert asked_who("Who is Raffaello Pantucci and how did he view it?") == "Raffaello Pantucci"
    assert not asked_who("Who was Kazakhstan's president in 2013?")  # asks for a person
    assert not asked_who("Who is the senior researcher at the OSCE Academy?")
    assert not asked_who("Who said Beijing was caught off guard?")