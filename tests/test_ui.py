"""The UI without a browser: the app builds, the HTML helpers escape, the chat handler streams.

The handler runs against a scripted stand-in for Bot.stream so every state (answer, refusal,
follow-up, each error type) is checked quickly; the browser tests use the real Bot.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import gradio as gr
import pytest

from bot import render, ui
from bot.answer import Answer, Delta, Done, Pointer, Sentence
from bot.app import BadInput, Bot
from bot.cite import Citation, CitedSentence
from bot.corpus import Article
from bot.llm import LLMError
from bot.settings import Settings, SettingsError
from bot.store import StoreError

EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>"
ART = Article(id="a1", title=f"Title {EVIL}", outlet="Outlet & Co", author=None, date=None, url="javascript:alert(3)",
              seeds=("s",), text=f"First paragraph.\n\nBefore {EVIL} the quoted claim here. After.\n\nLast one.")
QUOTE_START = ART.text.index("the quoted")
CIT = Citation(n=1, article_id="a1", title=ART.title, outlet=ART.outlet, author=None, date=None, url=ART.url,
               quote="the quoted claim here.", start=QUOTE_START, end=QUOTE_START + len("the quoted claim here."))


N_EXAMPLES = 5  # buttons beside Brief me; the handlers only need their number


def _no_raw_tags(html: str) -> None:
    assert "<script" not in html and "<img" not in html and "onerror=alert" not in html.replace("onerror=alert(2)&gt;", "")


# --- the app -------------------------------------------------------------------------------


def test_build_app_constructs_with_the_real_bot():
    bot = Bot(Settings.load(path=Path("/nonexistent")))  # lazy: no model or index is loaded here
    demo = ui.build_app(bot)
    assert isinstance(demo, gr.Blocks)
    assert demo._queue.default_concurrency_limit == bot.settings.concurrency
    config = str(demo.config)
    for article in bot.articles.values():  # the intro is generated from the corpus
        assert ui.esc(article.title) in config
    title, examples = ui.corpus_texts(bot.settings)
    assert title == "Kazakhstan, January 2022 — ask the articles" and len(examples) == 5  # corpus/profile.yaml
    for question in examples:
        assert question in config


def test_auth_parsing():
    assert ui._auth(None) is None
    assert ui._auth("ann:s3cr:et") == ("ann", "s3cr:et")
    for bad in ("nopassword", ":x", "x:"):
        with pytest.raises(SettingsError):
            ui._auth(bad)


# --- HTML helpers ----------------------------------------------------------------------------


def test_question_and_answer_text_are_escaped():
    html = ui.question_html(EVIL)
    _no_raw_tags(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    s = CitedSentence(text=f"Claim {EVIL}.", citations=[1, 2], supported=True)
    html = render.sentence_html(s, turn=3)
    _no_raw_tags(html)
    assert 'href="#kz-src-3-1"' in html and ">[2]</a>" in html
    streaming = ui.streaming_html([s], f"partial {EVIL}", turn=3)
    _no_raw_tags(streaming)
    assert "kz-streaming" in streaming


def test_strict_streaming_drops_a_failed_sentence_at_once():
    good = CitedSentence(text="Backed claim.", citations=[1], supported=True)
    bad = CitedSentence(text="Unbacked claim.", supported=False, missing=["Almaty"])
    strict = ui.streaming_html([good, bad], "Next", turn=1, strict=True)
    assert "Backed claim." in strict and "Unbacked claim." not in strict and "Next" in strict
    shown = ui.streaming_html([good, bad], "Next", turn=1, strict=False)
    assert "Unbacked claim." in shown and "kz-unverified" in shown


def test_unsupported_sentence_is_marked_with_a_tooltip():
    s = CitedSentence(text="Unbacked claim.", citations=[1], supported=False, missing=["Almaty", '"><b>'])
    html = render.sentence_html(s, turn=1)
    assert "kz-unverified" in html and ">unverified</span>" in html
    assert "Not found: Almaty" in html and '"><b>' not in html



def test_left_out_sentences_are_listed_apart_and_escaped():
    kept = CitedSentence(text="Backed claim.", citations=[1], supported=True)
    answer = Answer("q", "Backed claim. [1]", False, [kept], [], "embedded", "m", {"total": 1.0},
                    left_out=[f"Unbacked {EVIL}."])
    html = ui.answer_html(answer, turn=2)
    body, folded = html.split('<details class="kz-left-out">')
    assert "Backed claim." in body and "Unbacked" not in body  # not part of the answer itself
    assert "1 sentence of the model&#x27;s answer left out: no article supports it" in folded or "1 sentence of the model's answer left out" in folded
    assert "Unbacked &lt;script&gt;" in folded
    _no_raw_tags(html)
    assert "kz-left-out" not in ui.answer_html(Answer("q", "Backed claim. [1]", False, [kept], [], "embedded", "m", {}), turn=2)


def test_passage_is_the_paragraph_with_the_span_marked_and_escaped():
    html = render.passage_html(ART.text, CIT.start, CIT.end)
    assert "<mark>the quoted claim here.</mark>" in html
    assert html.startswith("Before &lt;script&gt;") and html.endswith("After.")
    assert "First paragraph" not in html and "Last one" not in html
    _no_raw_tags(html)


def test_citation_card_escapes_metadata_and_refuses_non_http_links():
    html = render.citation_html(CIT, ART, turn=2)
    assert 'id="kz-src-2-1"' in html
    assert "javascript:" not in html and "no link in the capture" in html
    assert "Outlet &amp; Co · author not named · undated" in html
    _no_raw_tags(html)
    linked = render.citation_html(Citation(**{**CIT.__dict__, "url": "https://example.org/a?b=1&c=2"}), ART, turn=2)
    assert 'href="https://example.org/a?b=1&amp;c=2"' in linked and 'rel="noopener noreferrer"' in linked


def test_sources_panel_newest_first_and_escaped():
    turns = [{"turn": 1, "question": "first", "citations": [CIT]}, {"turn": 2, "question": EVIL, "citations": [CIT]},
             {"turn": 3, "question": "refused", "citations": []}]
    html = ui.sources_html(turns, {"a1": ART})
    _no_raw_tags(html)
    assert html.index("Answer 2") < html.index("Answer 1")
    assert html.count("<details") == 2 and html.count(" open>") == 1  # only the newest is unfolded
    assert "Answer 3" not in html
    assert ui.sources_html([], {}) == ui.EMPTY_SOURCES


def test_intro_lists_articles_escaped():
    html = ui.intro_html([ART], f"a subject {EVIL}")
    _no_raw_tags(html)
    assert "<strong>a subject &lt;script&gt;" in html
    assert "Outlet &amp; Co · undated" in html


def test_refusal_looks_like_information_and_names_the_backend():
    answer = Answer("q", "Not covered <b>.", True, [], [], "embedded", "tiny<model>", {"total": 1.25})
    html = ui.answer_html(answer, 1)
    assert "kz-refusal" in html and "kz-notice" not in html and "kz-error" not in html
    assert "Not covered &lt;b&gt;." in html
    assert "Answered by embedded · tiny&lt;model&gt; · 1.2 s" in html


def test_a_refusal_without_a_checked_answer_offers_the_closest_passages_folded_and_escaped():
    near = Pointer("a1", ART.title, ART.outlet, None, "javascript:alert(3)", QUOTE_START, QUOTE_START + 22, f"Before {EVIL} the claim.")
    linked = Pointer("a2", "Other", "Paper", "2022-01-11", "https://example.org/x?a=1&b=2", 0, 9, "Something.")
    answer = Answer("q", "I couldn't find a sentence.", True, [], [], "embedded", "m", refusal_reason="unverified", related=[near, linked])
    html = ui.answer_html(answer, 1)
    _no_raw_tags(html)
    assert "kz-refusal" in html and '<details class="kz-related">' in html and " open>" not in html
    assert "not checked as an answer" in html and "javascript:" not in html
    assert 'href="https://example.org/x?a=1&amp;b=2"' in html and 'rel="noopener noreferrer"' in html
    assert "Outlet &amp; Co · undated" in html and "Paper · 2022-01-11" in html
    assert "kz-related" not in ui.answer_html(Answer("q", "No.", True, [], [], "embedded", "m"), 1)  # nothing to offer


def test_mark_stopped_keeps_the_partial_answer():
    chat = [{"role": "user", "content": "q"},
            {"role": "assistant", "content": [{"type": "text", "text": ui.streaming_html([], "partial", 1)}]}]
    out = ui.mark_stopped(chat)
    assert "kz-stopped" in out[-1]["content"] and "Stopped." in out[-1]["content"] and "partial" in out[-1]["content"]
    waiting = ui.mark_stopped([{"role": "assistant", "content": ui.QUEUED_HTML}])[-1]["content"]
    assert "Waiting" not in waiting and "Stopped." in waiting
    done = [{"role": "assistant", "content": '<div class="kz-answer kz-done">x</div>'}]
    assert ui.mark_stopped(done) == done


# --- the chat handler --------------------------------------------------------------------------


class ScriptedBot:
    """Bot.stream replaced by a script: events to yield, or an exception to raise."""

    def __init__(self, script):
        self.script = script
        self.articles = {"a1": ART}
        self.settings = Settings.load(path=Path("/nonexistent"))
        self.calls: list[tuple[str, list]] = []

    def stream(self, question, history=()):
        self.calls.append((question, list(history)))
        script = self.script(question) if callable(self.script) else self.script
        if isinstance(script, Exception):
            raise script
        yield from script


def _answer(question, refused=False, standalone=None):
    s = CitedSentence(text="China stayed quiet.", citations=[1], supported=True)
    return Answer(question, "China stayed quiet. [1]", refused, [s], [CIT], "embedded", "m", {"total": 2.0}, standalone)


def _run(bot, question, history=(), turns=()):
    """Both steps as Gradio chains them: accept (echo the question), then respond (stream)."""
    n = N_EXAMPLES
    accepted = ui.make_accept(n)(question, [])
    chat, asked = accepted[0], accepted[1]
    return [accepted, *ui.make_respond(bot, n)(asked, chat, list(history), list(turns))]


def _content(update) -> str:
    return update[-1]["content"]


def test_respond_updates_the_message_on_every_delta_then_renders_citations_and_sources():
    s = CitedSentence(text="China stayed quiet.", citations=[1], supported=True)
    script = [Delta("China "), Delta("stayed "), Delta("quiet."), Sentence(s), Done(_answer("q"))]
    bot = ScriptedBot(script)
    outs = _run(bot, "How did China react?")
    chats = [o[0] for o in outs]
    assert len(outs) == 2 + 4 + 1  # accepted, searching, one per Delta/Sentence, final
    assert "How did China react?" in chats[0][0]["content"] and "Waiting for the model" in _content(chats[0])
    assert "Searching the articles" in _content(chats[1])
    pending = [re.search(r'kz-pending">([^<]*)<', _content(c)).group(1) for c in chats[2:5]]
    assert pending == ["China", "China stayed", "China stayed quiet."]
    assert '<span class="kz-s">China stayed quiet.</span><a class="kz-cite"' in _content(chats[5])
    final_chat, sources, history, turns = outs[-1][:4]
    assert "kz-done" in _content(final_chat) and 'href="#kz-src-1-1"' in _content(final_chat)
    assert 'id="kz-src-1-1"' in sources and "<mark>" in sources
    assert history == [{"role": "user", "content": "How did China react?"}, {"role": "assistant", "content": "China stayed quiet."}]
    assert turns[0]["citations"] == [CIT]
    # Busy while streaming: send disabled, stop enabled; idle again at the end.
    first_controls, last_controls = outs[0][2:], outs[-1][4:]
    assert first_controls[1]["interactive"] is False and first_controls[2]["interactive"] is True
    assert last_controls[1]["interactive"] is True and last_controls[2]["interactive"] is False


def test_respond_passes_history_and_shows_the_rewritten_question():
    bot = ScriptedBot(lambda q: [Done(_answer(q, standalone="How did China react to Russia's intervention?"))])
    history = [{"role": "user", "content": "What did Russia do?"}, {"role": "assistant", "content": "It sent troops."}]
    outs = _run(bot, "And China?", history=history, turns=[{"turn": 1, "question": "x", "citations": []}])
    assert bot.calls == [("And China?", history)]
    html = _content(outs[-1][0])
    assert "Understood as: “How did China react to Russia&#x27;s intervention?”" in html
    assert 'href="#kz-src-2-1"' in html  # second turn: anchors do not collide with the first answer's


@pytest.mark.parametrize("error,css,words", [
    (LLMError("Ollama is not reachable at http://x"), "kz-error", "language model is unavailable"),
    (StoreError("no index at /x"), "kz-error", "bot index"),
    (BadInput("questions are limited to 2,000 characters"), "kz-warning", "limited to 2,000"),
    (RuntimeError("boom"), "kz-error", "Something went wrong"),
])
def test_respond_shows_errors_as_messages_and_stays_usable(error, css, words):
    outs = _run(ScriptedBot(error), "What did Russia do?")
    html = _content(outs[-1][0])
    assert css in html and words in html
    controls = outs[-1][4:]
    assert controls[0]["interactive"] is True and controls[1]["interactive"] is True
    if isinstance(error, BadInput):  # the question is handed back to be fixed
        assert controls[0]["value"] == "What did Russia do?"


def test_llm_failure_mid_stream_replaces_the_partial_answer_with_the_error():
    def script(q):
        yield Delta("Russia sent")
        raise LLMError("the language model server closed the connection in the middle of the answer")

    outs = _run(ScriptedBot(script), "What did Russia do?")
    assert "Russia sent" in _content(outs[2][0])
    assert "closed the connection" in _content(outs[-1][0]) and "kz-error" in _content(outs[-1][0])


def test_empty_question_changes_nothing_but_the_box_says_so():
    bot = ScriptedBot([])
    accepted, *answered = _run(bot, "   ")
    assert accepted[1] == "" and all(o == gr.skip() for i, o in enumerate(accepted) if i not in (1, 2))
    assert accepted[2]["placeholder"] == ui.EMPTY_PLACEHOLDER  # the box says why nothing happened
    assert len(answered) == 1 and all(o == gr.skip() for o in answered[0]) and bot.calls == []


def test_stopping_closes_the_pipeline_stream():
    closed = []

    def script(q):
        try:
            for word in ("one ", "two ", "three "):
                yield Delta(word)
        finally:
            closed.append(True)

    respond = ui.make_respond(ScriptedBot(script), N_EXAMPLES)
    gen = respond("q", [{"role": "assistant", "content": ui.QUEUED_HTML}], [], [])
    next(gen), next(gen), next(gen)
    gen.close()  # what Gradio does when Stop cancels the event
    assert closed == [True]


# --- refusal wording, conflicts, long or odd questions ------------------------------------------


def test_refusals_decided_before_generation_do_not_name_a_model():
    for reason, words in [("not_covered", "Not covered by the articles"), ("opinion", "Opinion question"),
                          ("instructions", "Instructions in the question were not followed")]:
        answer = Answer("q", "Declined.", True, [], [], "none", "none", {"total": 0.01}, refusal_reason=reason)
        meta = render.meta_html(answer)
        assert words in meta and "none" not in meta and "Answered by" not in meta
    late = Answer("q", "Declined.", True, [], [], "embedded", "m", {"total": 9.0}, refusal_reason="unverified")
    assert "could be verified" in render.meta_html(late) and "checked by embedded · m" in render.meta_html(late)


def test_question_bubble_drops_control_characters_and_cuts_very_long_questions():
    html = ui.question_html("\x00\x07 What triggered the protests?\x1b[31m\u202e")
    assert "\x00" not in html and "\x1b" not in html and "\u202e" not in html and "\x07" not in html
    assert "What triggered the protests?[31m" in html
    long = ui.question_html("why " * 12_500)
    assert len(long) < 1200 and "(49,999 characters in all)" in long


def _conflict():
    from bot.conflicts import Claim, Conflict

    return Conflict("the death toll <b>", [
        Claim("a1", "Outlet & Co", "160", CIT.start, CIT.end, "the quoted claim here."),
        Claim("a2", "Other <i>", "hundreds", 0, 10, f"Hundreds {EVIL} died."),
    ])


def test_conflicts_note_lists_each_outlet_and_side_escaped_with_markers_for_cited_claims():
    html = render.conflicts_html([_conflict()], [CIT], turn=4)
    _no_raw_tags(html)
    assert "Sources disagree on the death toll &lt;b&gt;" in html
    assert '<span class="kz-side">160</span>: <span class="kz-claim"' in html and "Outlet &amp; Co</span><a class=\"kz-cite\" href=\"#kz-src-4-1\"" in html
    assert '<span class="kz-side">hundreds</span>' in html and "Other &lt;i&gt;</span></li>" in html  # not cited: no marker
    answer = Answer("q", "x [1]", False, [CitedSentence("x.", [1], True)], [CIT], "embedded", "m", conflicts=[_conflict()])
    assert "Sources disagree" in ui.answer_html(answer, 4)
    refused = Answer("q", "no", True, [], [], "embedded", "m", conflicts=[_conflict()])
    assert "Sources disagree" not in ui.answer_html(refused, 4)


# --- the briefing and the glossary ----------------------------------------------------------------

from bot.brief import Briefing, Line, Section  # noqa: E402

CIT2 = Citation(**{**CIT.__dict__, "n": 2})
CIT3 = Citation(**{**CIT.__dict__, "n": 3})
DISPUTED = ("On the death toll: Outlet & Co (160): “Some 160 died [sic].” [1]; Other (hundreds): "
            f"“Hundreds {EVIL} died; many more [2] were hurt.” [2]")
BRIEFING = Briefing(
    f"Briefing {EVIL}",
    [Section("What happened", [Line(f"Protests began {EVIL}.", [1])]), Section("Empty one", []),
     Section("What remains disputed", [Line(DISPUTED, [1, 2], inline=True)])],
    [("CSTO", Line("A Russian-led bloc.", [3])), (f"Term {EVIL}", None)],
    [CIT, CIT2, CIT3], "tiny-model", "gen-1",
)


def test_briefing_renders_sections_with_markers_and_escapes_everything():
    html = ui.briefing_html(BRIEFING, turn=5, seconds=1.5)
    _no_raw_tags(html)
    assert "\n" not in html  # one HTML block for the chat's Markdown parser
    assert '<div class="kz-brief-h">What happened</div>' in html and "Protests began &lt;script&gt;" in html
    assert 'href="#kz-src-5-1"' in html and "Nothing for this section could be verified" in html
    # The disputed line: the topic over one row per claim, its own [n] markers as links.
    assert '<span class="kz-topic">On the death toll:</span><ul class="kz-claims"><li>' in html
    assert html.count('href="#kz-src-5-2"') == 2  # "[2]" inside the quote was a marker number too, kept as a link
    assert "[sic]" in html  # brackets that are not markers stay text
    assert "2 cited passages" in html and "tiny-model" in html  # CIT3 is the glossary's
    assert [c.n for c in ui.briefing_citations(BRIEFING)] == [1, 2]


def test_glossary_panel_lists_terms_with_cited_explanations_and_its_own_sources():
    html = ui.glossary_html(BRIEFING, {"a1": ART})
    _no_raw_tags(html)
    assert '<span class="kz-term">CSTO</span>' in html and 'data-ask="What is CSTO?"' in html
    assert 'href="#kz-src-g-3"' in html and 'id="kz-src-g-3"' in html and 'id="kz-src-g-1"' not in html
    assert "The articles do not explain this term." in html


def test_exported_briefing_page_stands_alone_and_every_marker_lands_on_its_passage():
    from bot.render import briefing_page

    page = briefing_page(BRIEFING, {"a1": ART}, css=".kz-cite { color: blue; }")
    _no_raw_tags(page)
    assert page.startswith("<!doctype html>") and "<title>Briefing &lt;script&gt;" in page
    assert "http" not in page.replace('"javascript:alert(3)"', "")  # nothing fetched, no unsafe link either
    assert "kz-term-ask" not in page and "<details class=\"kz-group\" open>" in page  # no chat here: cards shown
    targets = set(re.findall(r'href="#([^"]+)"', page))
    assert targets == {"kz-src-b-1", "kz-src-b-2", "kz-src-g-3"}
    assert all(f'id="{t}"' in page for t in targets)
    assert "<mark>the quoted claim here.</mark>" in page and ".kz-cite { color: blue; }" in page


def _brief_run(build):
    n = N_EXAMPLES + 1
    chat = ui.make_accept_brief(n)([{"role": "user", "content": "earlier"}, {"role": "assistant", "content": "kept"}])[0]
    turns = [{"turn": 1, "question": "earlier", "citations": [CIT]}]
    return chat, list(ui.make_brief(ScriptedBot([]), n, build=build)(chat, turns))


def test_brief_me_shows_progress_then_the_briefing_its_sources_and_the_glossary():
    def build(bot, refresh=False, progress=None):
        progress("What happened")
        progress("glossary: CSTO")
        return BRIEFING

    chat, outs = _brief_run(build)
    assert "Brief me" in chat[-2]["content"] and "Waiting for the model" in chat[-1]["content"]
    shown = [_content(o[0]) for o in outs if o[0] != gr.skip()]
    assert any("Building the briefing: What happened…" in h for h in shown)
    assert any("Building the briefing: glossary: CSTO…" in h for h in shown)
    final = outs[-1]
    chat, sources, turns, glossary, button = final[:5]
    assert chat[0]["content"] == "earlier" and chat[1]["content"] == "kept"  # nothing lost
    assert "kz-brief" in _content(chat) and 'href="#kz-src-2-1"' in _content(chat)
    assert turns[-1]["label"] == "Briefing" and [c.n for c in turns[-1]["citations"]] == [1, 2]
    assert sources.index("Briefing") < sources.index("Answer 1") and 'id="kz-src-2-2"' in sources
    assert "kz-term" in glossary and button["visible"] is False
    assert final[5 + 1]["interactive"] is True  # send is enabled again


def test_brief_me_failure_is_a_message_and_the_chat_stays():
    def build(bot, refresh=False, progress=None):
        raise LLMError("Ollama is not reachable at http://x")

    _, outs = _brief_run(build)
    chat = outs[-1][0]
    assert "language model is unavailable" in _content(chat) and chat[1]["content"] == "kept"
    assert outs[-1][5 + 1]["interactive"] is True


def test_build_glossary_button_and_stopped_briefing():
    outs = list(ui.make_glossary(ScriptedBot([]), build=lambda bot, refresh=False, progress=None: BRIEFING)())
    assert "kz-term" in outs[-1][0] and outs[-1][1]["visible"] is False
    stopped = ui.mark_stopped([{"role": "assistant", "content": ui.brief_progress_html("What happened", 1, 14, 3.0)}])
    text = stopped[-1]["content"]
    assert "kz-stopped" in text and "goes on building in the background" in text
    assert "Building the briefing" not in text and "step 1 of 14" not in text


def test_build_app_has_brief_me_and_the_glossary():
    bot = Bot(Settings.load(path=Path("/nonexistent")))
    config = str(ui.build_app(bot).config)
    assert "Brief me" in config and "Build glossary" in config and "kz-glossary-panel" in config


def test_program_quotes_render_as_a_block_with_linked_markers_one_claim_per_row():
    differ = CitedSentence("The sources differ: The Spectator: “Some 164 <civilians> were killed.” [2]; "
                           "The Wall Street Journal: “160 people have died.” [3]", [2, 3], True, inline=True)
    html = render.sentence_html(differ, 5)
    assert 'class="kz-quoted kz-disagree"' in html and html.count("<li>") == 2
    assert "&lt;civilians&gt;" in html and html.count('class="kz-cite"') == 2
    term = render.sentence_html(CitedSentence("ISPI: “The SCO is a regional body.” [4]", [4], True, inline=True), 5)
    assert 'class="kz-quoted"' in term and "kz-disagree" not in term and term.count('class="kz-cite"') == 1


def test_a_refusal_with_verified_sentences_shows_them_as_what_the_articles_say():
    said = CitedSentence("Karim Massimov was arrested for treason.", [1], supported=True, score=0.9)
    answer = Answer("What prison sentence did Massimov receive?", "The articles don't give that figure.", True, [said], [],
                    "embedded", "m", {"total": 5.0}, refusal_reason="no_amount")
    html = ui.answer_html(answer, 1)
    assert "kz-refusal" in html and "The articles don" in html
    assert "What the articles do say:" in html and "arrested for treason." in html and "kz-cite" in html
    assert "figure that no verified sentence gives" in render.meta_html(answer)
    bare = Answer("q", "Declined.", True, [], [], "embedded", "m", {"total": 5.0}, refusal_reason="unverified")
    assert "What the articles do say" not in ui.answer_html(bare, 1)
    elsewhere = Answer("What did Wang Yi say to Putin?", "None of the sentences … mentions Putin …", True, [said], [],
                       "embedded", "m", {"total": 5.0}, refusal_reason="unnamed")
    assert "What the articles do say:" in ui.answer_html(elsewhere, 1)
    assert "names someone no verified sentence mentions" in render.meta_html(elsewhere)


def test_a_part_of_the_question_left_open_is_said_under_the_answer():
    said = CitedSentence("China has set up paramilitary <outposts> in Tajikistan.", [1], supported=True, score=0.9)
    note = "The articles I have don't give the figure this part asks for: “How long is the <border>?”"
    answer = Answer("How long is the border, and what has China done?", said.text, False, [said], [],
                    "embedded", "m", {"total": 5.0}, unanswered=[note])
    html = ui.answer_html(answer, 1)
    assert html.index("outposts") < html.index('class="kz-note kz-open-part"') and "&lt;border&gt;" in html
    assert "kz-refusal" not in html and "kz-open-part" not in ui.answer_html(replace(answer, unanswered=[]), 1)
    no_date = Answer("In which year was the SCO founded?", "The articles don't give that date.", True, [said], [],
                     "embedded", "m", {"total": 5.0}, refusal_reason="no_date")
    assert "date or time that no verified sentence gives" in render.meta_html(no_date)


def test_a_quote_standing_for_a_model_sentence_links_its_antecedent_marker_too():
    """answer_style "quotes": "He has now been arrested for treason." is preceded by the sentence
    that says who (its own marker, not among the model sentence's citations); both markers link."""
    text = ("The Spectator: “The head of Kazakhstan’s intelligence services was sacked on 6 January.” [2] "
            "“He has now been arrested for treason.” [1]")
    s = CitedSentence(text, [1], supported=True, inline=True, said="Massimov was arrested for treason.")
    html = render.sentence_html(s, 3)
    assert html.count('class="kz-cite"') == 2 and 'href="#kz-src-3-2"' in html and 'href="#kz-src-3-1"' in html
    assert "Massimov was arrested" not in html  # the model's words are not what the reader sees
