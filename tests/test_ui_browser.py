"""The chat UI in a real headless Chromium, against the real Bot (embedded LLM, Chroma index).

The app runs in-process on a free 127.0.0.1 port. Each test opens its own page, so each is
a fresh Gradio session. Screenshots of every step go to artifacts/screenshots/.
Answers from the embedded model take 10-40 s on a busy 2-core machine: timeouts are generous.
"""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest

from bot.settings import ROOT, Settings

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.llm]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "artifacts" / "screenshots"
ANSWER_SECONDS = 180

BOX = "#kz-question textarea"
SEND = "#kz-send"
STOP = "#kz-stop"
ANSWERS = "#kz-chat .kz-answer"
USER_MESSAGES = "#kz-chat .kz-q"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(bot) -> tuple[str, object]:
    from bot import ui

    demo = ui.build_app(bot)
    port = _free_port()
    ui.launch(demo, bot.settings, port=port, prevent_thread_lock=True, quiet=True)
    return f"http://127.0.0.1:{port}/", demo


@pytest.fixture(scope="module")
def app_url(bot):
    """The app on the real Bot; the model is loaded up front so the first test is not the slow one."""
    from bot import ui

    ui.warm_up(bot).join()
    url, demo = _start(bot)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Page:
    """A fresh page (a fresh Gradio session) that records dialogs, requests and page errors."""

    def __init__(self, browser, url: str):
        self.url = url
        self.page = browser.new_page(viewport={"width": 1360, "height": 900})
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        # Gradio keeps a connection open, so "networkidle" never comes: wait for the input.
        self.page.wait_for_selector(BOX, timeout=60_000)

    def shot(self, name: str, full_page: bool = False) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)

    def submit(self, question: str):
        """Type and send `question`; return the locator of the answer it will get."""
        n = self.page.locator(ANSWERS).count()
        self.page.fill(BOX, question)
        self.page.click(SEND)
        return self.page.locator(ANSWERS).nth(n)

    def wait(self, answer, *, stop_after_tokens: bool = False, on_streaming=None) -> list[str]:
        """Wait for `answer` to finish (or, with stop_after_tokens, to show its first words);
        return the distinct texts seen while it streamed."""
        partials: list[str] = []
        deadline = time.monotonic() + ANSWER_SECONDS
        while time.monotonic() < deadline:
            if answer.count():
                if "kz-streaming" not in (answer.get_attribute("class") or ""):
                    return partials
                text = answer.inner_text().strip()
                if text and (not partials or partials[-1] != text):
                    partials.append(text)
                    if on_streaming and "Searching" not in text:
                        on_streaming(text)
                        on_streaming = None
                if stop_after_tokens and answer.locator(".kz-pending").count() and answer.locator(".kz-pending").inner_text().strip():
                    return partials
            self.page.wait_for_timeout(80)
        pytest.fail(f"no finished answer within {ANSWER_SECONDS} s (saw {partials[-1:]})")

    def ask(self, question: str, **kwargs):
        """Submit `question`; return (answer locator, distinct texts seen while it streamed)."""
        answer = self.submit(question)
        return answer, self.wait(answer, **kwargs)

    def close(self):
        self.page.close()


@pytest.fixture()
def page(browser, app_url):
    p = Page(browser, app_url)
    yield p
    p.close()


def _cites(answer) -> list[str]:
    return answer.locator("a.kz-cite").all_inner_texts()


def _norm(text: str) -> str:
    return " ".join(text.split())


# --- tests ---------------------------------------------------------------------------------


def test_home_page_intro_examples_and_nothing_leaves_the_machine(page, bot):
    page.shot("01-home", full_page=True)
    intro = page.page.locator(".kz-intro")
    for article in bot.articles.values():  # generated from the corpus, one line per article
        item = intro.locator("li", has_text=article.title)
        expect(item).to_have_count(1)
        expect(item).to_contain_text(article.outlet)
        expect(item).to_contain_text(article.date or "undated")
    for q in ("What triggered the protests in Kazakhstan?", "How did China react to the unrest?", "颜色革命"):
        expect(page.page.locator("button.kz-example", has_text=q)).to_be_visible()
    expect(page.page.locator(STOP)).to_be_disabled()
    expect(page.page.locator("#kz-sources")).to_contain_text("Sources")
    outside = [u for u in page.requests if not u.startswith(page.url) and not u.startswith(("data:", "blob:"))]
    assert not outside, f"requests left the machine: {outside}"
    assert not page.errors, page.errors


@pytest.mark.timeout(600)
def test_answer_streams_with_citations_and_the_source_shows_the_highlighted_passage(page, bot):
    answer, partials = page.ask("What triggered the protests in Kazakhstan?", on_streaming=lambda _: page.shot("02-streaming"))
    page.shot("03-answer", full_page=True)
    # Streaming: several different partial states were on screen before the answer finished (with
    # answer_style "quotes", the drafting progress and then each checked quote).
    streamed = [p for p in partials if "Searching" not in p]
    assert len(streamed) >= 3, f"answer did not stream (saw {len(streamed)} partial states)"
    expect(answer).to_have_class(re.compile(r"\bkz-done\b"))
    expect(answer.locator(".kz-refusal")).to_have_count(0)
    markers = _cites(answer)
    assert markers and all(re.fullmatch(r"\[\d+\]", m) for m in markers), markers
    name, _, model = bot.backend
    expect(answer.locator(".kz-meta")).to_contain_text(f"Answered by {name}")
    expect(answer.locator(".kz-meta")).to_contain_text(model)
    assert "protest" in _norm(answer.locator(".kz-body").inner_text()).lower()

    marker = answer.locator("a.kz-cite").first
    target = marker.get_attribute("href").removeprefix("#")
    marker.click()
    card = page.page.locator(f"#{target}")
    expect(card).to_have_class(re.compile(r"\bkz-active\b"))
    expect(card).to_be_in_viewport()
    mark = card.locator("mark")
    expect(mark).to_be_visible()
    page.shot("04-source-highlight")
    # The highlighted span is verbatim text of the article named on the card, inside its paragraph.
    title = card.locator(".kz-src-title").inner_text()
    article = next(a for a in bot.articles.values() if a.title == title)
    marked, paragraph = mark.inner_text(), card.locator(".kz-passage").inner_text()
    assert len(marked) > 20 and marked in article.text and marked in paragraph
    assert paragraph in article.text.split("\n")
    expect(card.locator(".kz-src-by")).to_contain_text(article.outlet)
    expect(card.locator(".kz-src-by")).to_contain_text(article.date or "undated")
    assert not page.dialogs and not page.errors


@pytest.mark.timeout(600)
def test_out_of_corpus_question_is_refused_as_information_not_error(page, bot):
    answer, _ = page.ask("Who won the 2022 FIFA World Cup?")
    page.shot("05-refusal", full_page=True)
    refusal = answer.locator(".kz-refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text(bot.refusal_text())
    expect(answer).not_to_have_class(re.compile(r"kz-notice"))
    assert _cites(answer) == []
    expect(page.page.locator("#kz-sources .kz-src")).to_have_count(0)
    expect(page.page.locator(SEND)).to_be_enabled()
    page.page.click("#kz-clear")  # a new conversation empties the chat
    expect(page.page.locator(ANSWERS)).to_have_count(0)
    expect(page.page.locator("#kz-sources")).to_contain_text("appear here")


@pytest.mark.timeout(600)
def test_an_amount_the_articles_do_not_give_is_refused_with_what_they_do_say(page, bot):
    """No article reports Massimov's sentence: the refusal says so, and the true, cited
    sentence the model wrote is shown under it, its marker opening the passage."""
    answer, _ = page.ask("What prison sentence did Karim Massimov eventually receive?")
    page.shot("05b-refusal-with-context", full_page=True)
    expect(answer).to_have_class(re.compile(r"\bkz-done\b"))
    expect(answer.locator(".kz-refusal")).to_contain_text(bot.refusal_text("no_amount"))
    expect(answer.locator(".kz-said")).to_have_text("What the articles do say:")
    assert "Massimov" in answer.locator(".kz-body").inner_text()
    assert _cites(answer), "the sentences under the refusal have no citation"
    answer.locator("a.kz-cite").first.click()
    expect(page.page.locator("#kz-sources .kz-src.kz-active mark")).to_be_visible()
    assert not page.dialogs and not page.errors


def test_asked_what_someone_said_the_answer_shows_their_words(page):
    """The model paraphrases Fung's first sentence; her statement, which goes on to Mali and
    South Sudan, follows as a quote whose marker opens the passage with her words marked."""
    answer, _ = page.ask("What did Courtney Fung say about China's peacekeeping experience?")
    page.shot("05c-speaker-statement", full_page=True)
    expect(answer).to_have_class(re.compile(r"\bkz-done\b"))
    body = _norm(answer.locator(".kz-body").inner_text())
    assert "said Courtney Fung" in body and "combat troop deployment in Mali and South Sudan" in body, body
    marker = answer.locator("a.kz-cite").last
    marker.click()
    expect(page.page.locator("#kz-sources .kz-src.kz-active mark")).to_contain_text("Mali and South Sudan")
    assert not page.dialogs and not page.errors


@pytest.mark.timeout(900)
def test_two_users_at_once_each_get_their_own_answer(browser, app_url):
    a, b = Page(browser, app_url), Page(browser, app_url)
    try:
        first = a.submit("How did China react to the unrest?")
        a.wait(first, stop_after_tokens=True)  # A's answer is streaming ...
        second = b.submit("Who won the 2022 FIFA World Cup?")  # ... when B asks: B waits its turn,
        # but sees the question at once (that step is not queued behind A's generation).
        expect(b.page.locator(USER_MESSAGES)).to_have_text(["Who won the 2022 FIFA World Cup?"], timeout=5_000)
        b.shot("06-second-user-waiting")
        b.wait(second)
        # One generation at a time (the queue's concurrency limit): B finished, so A had finished.
        assert "kz-streaming" not in first.get_attribute("class"), "two answers were generated at once"
        expect(first).to_have_class(re.compile(r"\bkz-done\b"))
        assert _cites(first)
        expect(second.locator(".kz-refusal")).to_be_visible()
        # Sessions do not mix: each page shows only its own question.
        assert a.page.locator(USER_MESSAGES).all_inner_texts() == ["How did China react to the unrest?"]
        assert b.page.locator(USER_MESSAGES).all_inner_texts() == ["Who won the 2022 FIFA World Cup?"]
        a.shot("07-first-user-answered")
    finally:
        a.close()
        b.close()


@pytest.mark.timeout(900)
def test_follow_up_uses_the_conversation(page):
    first, _ = page.ask("What did Russia do in Kazakhstan?")
    expect(first).to_have_class(re.compile(r"\bkz-done\b"))
    assert _cites(first), "first answer has no citation"
    second, _ = page.ask("And how did China react to that?")
    page.shot("08-follow-up", full_page=True)
    expect(second).to_have_class(re.compile(r"\bkz-done\b"))
    # The rewritten question is shown, and it carries context only the history could supply.
    rewrite = second.locator(".kz-rewrite")
    expect(rewrite).to_be_visible()
    assert re.search(r"Kazakh|Russia|CSTO", rewrite.inner_text()), rewrite.inner_text()
    body = second.locator(".kz-body").inner_text()
    assert re.search(r"China|Chinese|Beijing", body), body
    assert _cites(second), "follow-up answer has no citation"
    # Sources of both answers are kept: the newest open on top, the older one folded away.
    groups = page.page.locator("#kz-sources details.kz-group")
    expect(groups).to_have_count(2)
    expect(groups.first).to_contain_text("Answer 2")
    assert groups.first.get_attribute("open") is not None and groups.nth(1).get_attribute("open") is None
    # A marker of the older answer opens its folded group and shows its passage.
    first.locator("a.kz-cite").first.click()
    expect(groups.nth(1).locator(".kz-src.kz-active mark")).to_be_visible()


@pytest.mark.timeout(600)
def test_html_in_a_question_is_shown_as_text(page):
    question = "<script>alert('xss1')</script><img src=x onerror=\"alert('xss2')\"> What did China say? ${alert(3)}"
    answer, _ = page.ask(question)
    page.shot("09-html-question", full_page=True)
    bubble = page.page.locator(USER_MESSAGES).last
    expect(bubble).to_contain_text("<script>alert('xss1')</script>")
    expect(bubble).to_contain_text("<img src=x onerror=")
    assert page.page.locator("#kz-chat img[src='x'], #kz-sources img[src='x']").count() == 0
    assert page.page.locator("#kz-chat script, #kz-sources script").count() == 0
    summary = page.page.locator("#kz-sources summary")
    if summary.count():  # the question heads its sources group, as text
        expect(summary.first).to_contain_text("<script>alert('xss1')</script>")
    page.page.wait_for_timeout(500)
    assert page.dialogs == [], f"a dialog fired: {page.dialogs}"
    assert not page.errors, page.errors


@pytest.mark.timeout(900)
def test_stop_cancels_the_answer_and_the_app_keeps_answering(page):
    answer, _ = page.ask("How did China react to the unrest?", stop_after_tokens=True)
    page.page.click(STOP)
    expect(answer).to_have_class(re.compile(r"\bkz-stopped\b"), timeout=30_000)
    expect(answer.locator(".kz-note")).to_contain_text("Stopped")
    expect(page.page.locator(SEND)).to_be_enabled()
    expect(page.page.locator(STOP)).to_be_disabled()
    frozen = answer.inner_text()
    page.page.wait_for_timeout(3000)
    assert answer.inner_text() == frozen, "the answer kept streaming after Stop"
    page.shot("10-stopped", full_page=True)
    # The generation was really cancelled: the model is free for the next question.
    again, _ = page.ask("What triggered the protests in Kazakhstan?")
    expect(again).to_have_class(re.compile(r"\bkz-done\b"))
    assert _cites(again)


def test_unreachable_llm_shows_a_clear_message_and_the_app_keeps_working(browser, bot):
    from bot.app import Bot

    settings = Settings.load(path=Path("/nonexistent"), llm_backend="ollama", ollama_host="http://127.0.0.1:9")
    url, demo = _start(Bot(settings))
    p = Page(browser, url)
    try:
        for _ in range(2):  # the second try proves the session survived the first failure
            answer, _ = p.ask("What did Russia do in Kazakhstan?")
            expect(answer).to_have_class(re.compile(r"\bkz-error\b"))
            expect(answer).to_contain_text("language model is unavailable")
            expect(answer).to_contain_text("not reachable")
            expect(p.page.locator(SEND)).to_be_enabled()
            expect(p.page.locator(BOX)).to_be_editable()
        p.shot("11-llm-unreachable", full_page=True)
        assert not p.errors, p.errors
    finally:
        p.close()
        demo.close()


# --- the briefing, the glossary, conflicts -------------------------------------------------------


BRIEF_SECONDS = 1800  # the first build runs ~14 LLM calls (2-4 min idle, far longer on a busy machine)


@pytest.mark.timeout(BRIEF_SECONDS + 600)
def test_brief_me_shows_progress_then_a_cited_briefing_whose_markers_open_sources(page, bot):
    from bot.brief import cache_path

    was_cached = cache_path(bot).exists()
    p = page.page
    p.click("#kz-brief-btn")
    expect(p.locator(USER_MESSAGES).last).to_contain_text("Brief me", timeout=5_000)
    brief = p.locator("#kz-chat .kz-brief").last
    seen_progress, shot = False, False
    deadline = time.monotonic() + BRIEF_SECONDS
    while time.monotonic() < deadline and not p.locator("#kz-chat .kz-brief.kz-done").count():
        if brief.count() and "Building the briefing:" in brief.inner_text():
            seen_progress = True
            if not shot:
                page.shot("12-brief-progress")
                shot = True
        p.wait_for_timeout(250)
    expect(p.locator("#kz-chat .kz-brief.kz-done")).to_have_count(1)
    assert was_cached or seen_progress, "a first build showed no progress"
    done = p.locator("#kz-chat .kz-brief.kz-done")
    page.shot("13-briefing", full_page=True)

    from bot.brief import briefing

    b = briefing(bot)  # cached by now: the same object the UI rendered
    headings = done.locator(".kz-brief-h").all_inner_texts()
    assert headings == [s.title for s in b.sections]
    assert done.locator("a.kz-cite").count() >= sum(len(line.citations) for s in b.sections for line in s.lines)
    expect(done.locator(".kz-meta")).to_contain_text(b.model)
    expect(p.locator("#kz-sources details.kz-group").first).to_contain_text("Briefing")

    # A marker opens its passage in the sources panel, the cited span highlighted, as for answers.
    marker = done.locator("a.kz-cite").first
    target = marker.get_attribute("href").removeprefix("#")
    marker.click()
    card = p.locator(f"#{target}")
    expect(card).to_have_class(re.compile(r"\bkz-active\b"))
    expect(card).to_be_in_viewport()
    article = next(a for a in bot.articles.values() if a.title == card.locator(".kz-src-title").inner_text())
    assert card.locator("mark").inner_text() in article.text
    page.shot("14-briefing-source")

    # The glossary came with it; its markers open its own source cards, and a term can be asked.
    p.locator("#kz-glossary").get_by_text("Glossary", exact=True).first.click()
    panel = p.locator("#kz-glossary-panel")
    expect(panel.locator(".kz-term")).to_have_count(len(b.glossary))
    expect(p.locator("#kz-build-glossary")).to_be_hidden()
    explained = panel.locator("dd a.kz-cite")
    if explained.count():
        explained.first.click()
        gcard = p.locator(f"#{explained.first.get_attribute('href').removeprefix('#')}")
        expect(gcard).to_have_class(re.compile(r"\bkz-active\b"))
        expect(gcard.locator("mark")).to_be_visible()
    panel.scroll_into_view_if_needed()
    page.shot("15-glossary")
    term = b.glossary[0][0]
    panel.locator(".kz-term-ask").first.click()
    expect(p.locator(USER_MESSAGES).last).to_have_text(f"What is {term}?", timeout=10_000)
    asked = p.locator(ANSWERS).last
    page.wait(asked)
    expect(asked).to_have_class(re.compile(r"\bkz-done\b"))
    # Briefing again: instant now, and a fresh page shows the glossary at once.
    t0 = time.monotonic()
    p.click("#kz-brief-btn")
    expect(p.locator("#kz-chat .kz-brief.kz-done")).to_have_count(2, timeout=60_000)
    assert time.monotonic() - t0 < 30
    assert not page.dialogs and not page.errors, (page.dialogs, page.errors)


@pytest.fixture(scope="module")
def built_briefing(bot):
    """The briefing, built now unless cached (the Brief me test above builds it through the UI
    when it runs first); a test that needs it built never depends on the order tests run in."""
    from bot.brief import briefing, cache_path

    b = briefing(bot)
    assert cache_path(bot).exists(), "the briefing was built but not cached"
    return b


@pytest.mark.timeout(BRIEF_SECONDS + 600)
def test_glossary_is_there_on_a_new_page_once_built(browser, app_url, built_briefing):
    assert built_briefing.glossary, "the briefing has no glossary to show"
    p = Page(browser, app_url)
    try:
        p.page.locator("#kz-glossary").get_by_text("Glossary", exact=True).first.click()
        expect(p.page.locator("#kz-glossary-panel .kz-term").first).to_be_visible(timeout=60_000)
        expect(p.page.locator("#kz-build-glossary")).to_be_hidden()
    finally:
        p.close()


@pytest.mark.timeout(600)
def test_an_answer_where_sources_disagree_says_so(page):
    answer, _ = page.ask("How many people died in the unrest?")
    page.shot("16-conflict", full_page=True)
    expect(answer).to_have_class(re.compile(r"\bkz-done\b"))
    expect(answer.locator(".kz-refusal")).to_have_count(0)
    note = answer.locator(".kz-conflict")
    expect(note).to_contain_text("Sources disagree on the death toll")
    sides = note.locator("li").all_inner_texts()
    assert len(sides) >= 2 and all(":" in s for s in sides), sides
    for outlet in ("The Wall Street Journal", "The Spectator"):
        expect(note).to_contain_text(outlet)
    # The answer itself quotes the sides, each quote with a working marker.
    quoted = answer.locator(".kz-quoted.kz-disagree")
    expect(quoted).to_contain_text("The sources differ")
    expect(quoted.locator("li")).to_have_count(3)  # 160 (WSJ), 164 (The Spectator), hundreds (China-US Focus)
    marker = quoted.locator("a.kz-cite").first
    target = marker.get_attribute("href").removeprefix("#")
    marker.click()
    expect(page.page.locator(f"#{target}")).to_have_class(re.compile(r"\bkz-active\b"))
    expect(page.page.locator(f"#{target} mark")).to_be_visible()
