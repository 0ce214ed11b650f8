"""Gradio chat UI: the event handlers of a chat turn, the briefing and the glossary, and the
Gradio wiring (`build_app`, `serve`). What they show is rendered by bot/render.py.
"""

from __future__ import annotations

import json
import logging
import queue
import re
import signal
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import gradio as gr
import yaml

from .answer import Delta, Done, Drafting, Sentence
from .app import BadInput, Bot
from . import remote
from .brief import Briefing, briefing, cache_path, plan
from .cite import CitedSentence
from .llm import LLMError
from .render import (
    EMPTY_SOURCES,
    GLOSSARY_EMPTY,
    QUEUED_HTML,
    SEARCHING_HTML,
    answer_html,
    brief_progress_html,
    briefing_citations,
    briefing_html,
    esc,
    glossary_html,
    history_text,
    intro_html,
    notice_html,
    printable,
    question_html,
    sources_html,
    streaming_html,
    wait_html,
)
from .settings import Settings, SettingsError
from .store import StoreError

log = logging.getLogger(__name__)

ASSETS = Path(__file__).parent / "assets"
PLACEHOLDER = "Ask a question about the articles…"
EMPTY_PLACEHOLDER = "Please type a question first, or click one of the examples."
BRIEF_ASKED = "Brief me: a cited overview of the articles"


def corpus_texts(settings: Settings) -> tuple[str, list[str]]:
    """(page title, example questions) from the corpus profile (`title`, `examples`), so the
    page speaks of this corpus's story and another corpus brings its own."""
    profile = settings.profile()
    title = str(profile.get("title") or f"Ask the articles: {settings.subject()}")
    return title, [str(q) for q in profile.get("examples") or []]


# --- the chat turn -----------------------------------------------------------------------


def controls(busy: bool, n_buttons: int, clear_box: bool = False) -> list:
    """Updates for [textbox, send, stop, clear, *buttons] (buttons: Brief me and the examples):
    only Stop works while an answer streams."""
    box = gr.update(interactive=not busy, **({"value": "", "placeholder": PLACEHOLDER} if clear_box else {}))
    idle = [gr.update(interactive=not busy) for _ in range(2 + n_buttons)]  # send, clear, buttons
    return [box, idle[0], gr.update(interactive=busy), *idle[1:]]


def _failure(e: Exception) -> str:
    if isinstance(e, BadInput):
        return notice_html("warning", "Cannot ask that:", str(e))
    if isinstance(e, LLMError):
        return notice_html("error", "The language model is unavailable:", f"{e}. The app keeps running; try again.")
    if isinstance(e, StoreError):
        return notice_html("error", "The article index cannot be used:", f"{e}. Build it with `bot index`.")
    log.exception("unexpected failure while answering")
    return notice_html("error", "Something went wrong:", f"{type(e).__name__}. The app keeps running; try again.")


def _replace_last(chat: list, content: str) -> list:
    # A new list per update: Gradio may still hold the previous one while it serialises it.
    return [*chat[:-1], {"role": "assistant", "content": content}]


def make_accept(n_buttons: int):
    """Step 1, not queued: show the question at once, even while another answer holds the model.
    Outputs: chat, the accepted question (for step 2), then `controls`."""

    def accept(question: str, chat: list) -> tuple:
        # Control characters and lone surrogates (invalid UTF-8 from the browser) go here, so
        # nothing unprintable reaches the chat, the sources panel or the JSON sent back.
        question = printable(question or "").strip()
        if not question:  # an empty submit changes nothing in the chat; the box says why
            box = gr.update(value="", placeholder=EMPTY_PLACEHOLDER)
            return (gr.skip(), "", box, *(gr.skip() for _ in range(3 + n_buttons)))
        chat = [*chat, {"role": "user", "content": question_html(question)}, {"role": "assistant", "content": QUEUED_HTML}]
        return (chat, question, *controls(True, n_buttons, clear_box=True))

    return accept


def make_respond(bot: Bot, n_buttons: int):
    """Step 2, queued: stream the answer into the last chat message.
    Outputs: chat, sources, history, turns, then `controls`."""
    n_controls = 4 + n_buttons

    def respond(question: str, chat: list, history: list, turns: list) -> Iterator[tuple]:
        skip = gr.skip()
        if not question:
            yield (skip,) * (4 + n_controls)
            return
        turn = len(turns) + 1
        chat = _replace_last(chat, SEARCHING_HTML)
        yield (chat, skip, skip, skip, *(skip,) * n_controls)

        done: list[CitedSentence] = []
        pending, answer, events = "", None, None
        try:
            events = bot.stream(question, history)
            for event in events:
                if isinstance(event, Done):
                    answer = event.answer
                    break
                if isinstance(event, Drafting):  # answer_style "quotes": progress until the quote
                    pending = f"Checking the model's sentence against the articles… ({event.words} words)"
                elif isinstance(event, Delta):
                    pending = (pending if not pending.startswith("Checking the model") else "") + event.text
                elif isinstance(event, Sentence):  # the finished sentence replaces the raw tail, with markers
                    done.append(event.sentence)
                    pending = ""
                chat = _replace_last(chat, streaming_html(done, pending, turn, bot.settings.strict))
                yield (chat, skip, skip, skip, *(skip,) * n_controls)
        except Exception as e:  # shown in the chat; the session and the app carry on
            chat = _replace_last(chat, _failure(e))
            idle = controls(False, n_buttons)
            if isinstance(e, BadInput):  # the question goes back into the box, to shorten or fix
                idle[0] = gr.update(interactive=True, value=question)
            yield (chat, skip, skip, skip, *idle)
            return
        finally:
            # On Stop, Gradio closes this generator; closing the pipeline's releases the LLM at once.
            if events is not None:
                events.close()
        if answer is None:  # not expected: the pipeline always ends with Done
            chat = _replace_last(chat, notice_html("error", "No answer:", "the answer stream ended early."))
            yield (chat, skip, skip, skip, *controls(False, n_buttons))
            return
        chat = _replace_last(chat, answer_html(answer, turn))
        history = [*history, {"role": "user", "content": question}, {"role": "assistant", "content": history_text(answer)}]
        # The sources panel heads each group with what was searched for: the rewrite, if any.
        asked = answer.standalone_question or question
        turns = [*turns, {"turn": turn, "question": asked, "citations": answer.citations}]
        yield (chat, sources_html(turns, bot.articles), history, turns, *controls(False, n_buttons))

    return respond


# --- the briefing and glossary turns ----------------------------------------------------------

_BRIEF_LOCK = threading.Lock()  # one build at a time; a request waiting behind it then reads the cache


def _brief_steps(settings: Settings) -> int | None:
    """How many progress steps a build has (sections, then glossary terms), for "step k of n"."""
    try:
        return len(plan(settings)["sections"]) + len(settings.glossary_terms())
    except (OSError, yaml.YAMLError, KeyError, TypeError, SettingsError):
        return None


def run_briefing(bot: Bot, build: Callable = briefing, tick: float = 1.0) -> Iterator[tuple[str | None, int, Briefing | None]]:
    """Build the briefing (instant when cached) in a thread. Yields (step, steps so far, None) on
    each progress step and every `tick` seconds, then (None, n, briefing); a build error is raised.
    Closing this generator (Stop) leaves the build running: it finishes into the cache."""
    events: queue.Queue = queue.Queue()

    def work():
        try:
            with _BRIEF_LOCK:
                events.put(("done", build(bot, progress=lambda step: events.put(("step", step)))))
        except Exception as e:  # handed to the caller, who words it
            events.put(("error", e))

    threading.Thread(target=work, name="kz-briefing", daemon=True).start()
    step, n = None, 0
    while True:
        try:
            kind, value = events.get(timeout=tick)
        except queue.Empty:
            yield step, n, None
            continue
        if kind == "error":
            raise value
        if kind == "done":
            yield None, n, value
            return
        step, n = str(value), n + 1
        yield step, n, None


def cached_briefing(bot: Bot) -> Briefing | None:
    """The briefing if it is already cached, without building it (for the glossary at page load)."""
    path = cache_path(bot)
    try:
        return Briefing.from_json(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def make_accept_brief(n_buttons: int):
    """Brief me, step 1, not queued: show the request at once. Outputs: chat, then `controls`."""

    def accept_brief(chat: list) -> tuple:
        chat = [*chat, {"role": "user", "content": question_html(BRIEF_ASKED)}, {"role": "assistant", "content": QUEUED_HTML}]
        return (chat, *controls(True, n_buttons))

    return accept_brief


def make_brief(bot: Bot, n_buttons: int, build: Callable = briefing):
    """Brief me, step 2, queued with the answers (it uses the same model): progress in the chat,
    then the briefing with its sources in the panel, and the glossary filled in.
    Outputs: chat, sources, turns, glossary panel, glossary button, then `controls`."""
    total = _brief_steps(bot.settings)
    n_controls = 4 + n_buttons

    def brief(chat: list, turns: list) -> Iterator[tuple]:
        skip = gr.skip()
        turn, t0 = len(turns) + 1, time.perf_counter()
        result = None
        try:
            for step, n, result in run_briefing(bot, build):
                if result is None:
                    chat = _replace_last(chat, brief_progress_html(step, n, total, time.perf_counter() - t0))
                    yield (chat, skip, skip, skip, skip, *(skip,) * n_controls)
        except Exception as e:  # shown in the chat; the session and the app carry on
            yield (_replace_last(chat, _failure(e)), skip, skip, skip, skip, *controls(False, n_buttons))
            return
        chat = _replace_last(chat, briefing_html(result, turn, time.perf_counter() - t0))
        turns = [*turns, {"turn": turn, "label": "Briefing", "question": result.title, "citations": briefing_citations(result)}]
        yield (chat, sources_html(turns, bot.articles), turns, glossary_html(result, bot.articles),
               gr.update(visible=False), *controls(False, n_buttons))

    return brief


def make_glossary(bot: Bot, build: Callable = briefing):
    """"Build glossary", queued with the answers: progress in the panel, then the glossary.
    Outputs: glossary panel, its button."""
    total = _brief_steps(bot.settings)

    def build_glossary() -> Iterator[tuple]:
        t0, result = time.perf_counter(), None
        try:
            for step, n, result in run_briefing(bot, build):
                if result is None:
                    yield (brief_progress_html(step, n, total, time.perf_counter() - t0), gr.update(interactive=False))
        except Exception as e:
            yield (_failure(e), gr.update(interactive=True, value="Try again"))
            return
        yield (glossary_html(result, bot.articles), gr.update(visible=False))

    return build_glossary


def make_load_glossary(bot: Bot):
    """At page load: show the glossary if the briefing is cached; otherwise leave the Build button."""

    def load_glossary() -> tuple:
        try:
            b = cached_briefing(bot)
        except Exception as e:  # no model or index yet: the Build button stays, and says why when used
            log.info("glossary not loaded: %s", e)
            b = None
        if b is None:
            return gr.skip(), gr.skip()
        return glossary_html(b, bot.articles), gr.update(visible=False)

    return load_glossary


def _message_text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, list):  # Gradio may hand messages back as content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def mark_stopped(chat: list) -> list:
    """After Stop: keep the partial answer, say it was stopped, drop the typing cursor."""
    if chat and chat[-1].get("role") == "assistant":
        text = _message_text(chat[-1])
        if "kz-streaming" in text:
            note = ('<div class="kz-note">Stopped. The briefing goes on building in the background; '
                    "click Brief me again later to see it.</div>" if "kz-brief" in text else
                    '<div class="kz-note">Stopped. This partial answer was not checked and is not kept for follow-ups.</div>')
            text = text.replace("kz-answer kz-streaming", "kz-answer kz-stopped", 1)
            text = re.sub(r'<span class="kz-(?:wait|progress)">[^<]*</span>', "", text)
            chat = [*chat[:-1], {"role": "assistant", "content": text.removesuffix("</div>") + note + "</div>"}]
    return chat


# --- Gradio wiring -----------------------------------------------------------------------


def build_app(bot: Bot) -> gr.Blocks:
    """The Blocks app for one shared Bot; launch it with `launch` so the theme and assets apply."""
    title, example_questions = corpus_texts(bot.settings)
    n_buttons = len(example_questions) + 1  # the examples and Brief me: idle while an answer streams
    accept, respond = make_accept(n_buttons), make_respond(bot, n_buttons)
    accept_brief, brief = make_accept_brief(n_buttons), make_brief(bot, n_buttons)
    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        history = gr.State([])  # role/content dicts in plain text, for follow-up rewriting
        turns = gr.State([])  # per answer or briefing: turn number, label, question, citations
        asked = gr.State("")  # the question handed from the accept step to the answer step

        gr.HTML(f'<header class="kz-header"><h1>{esc(title)}</h1></header>', js_on_load=None)
        with gr.Accordion("What this assistant knows", open=True, elem_id="kz-about"):
            gr.HTML(intro_html(bot.articles.values(), bot.settings.subject()), js_on_load=None)
            with gr.Row(elem_classes="kz-examples"):
                examples = [gr.Button(q, size="sm", variant="secondary", elem_classes="kz-example") for q in example_questions]
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                chat = gr.Chatbot(
                    label="Conversation", elem_id="kz-chat", height="62vh", latex_delimiters=[],
                    sanitize_html=True, allow_tags=False, feedback_options=None, buttons=[],
                    placeholder="Ask a question about the articles, or click one of the examples above.",
                )
                with gr.Row(elem_classes="kz-ask"):
                    box = gr.Textbox(
                        show_label=False, placeholder=PLACEHOLDER, elem_id="kz-question",
                        scale=6, min_width=220, lines=1, max_lines=4, autofocus=True, submit_btn=False,
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="kz-send")
                    stop = gr.Button("Stop", variant="stop", scale=1, min_width=80, interactive=False, elem_id="kz-stop")
                with gr.Row(elem_classes="kz-tools"):
                    brief_btn = gr.Button("Brief me", size="sm", variant="primary", elem_id="kz-brief-btn")
                    clear = gr.Button("New conversation", size="sm", variant="secondary", elem_id="kz-clear")
                with gr.Accordion("Glossary", open=False, elem_id="kz-glossary"):
                    glossary = gr.HTML(GLOSSARY_EMPTY, elem_id="kz-glossary-panel", js_on_load=None)
                    build_glossary = gr.Button("Build glossary", size="sm", variant="secondary", elem_id="kz-build-glossary")
            with gr.Column(scale=2, min_width=320, elem_id="kz-sources-col"):
                sources = gr.HTML(EMPTY_SOURCES, elem_id="kz-sources", js_on_load=None)

        ctrl = [box, send, stop, clear, brief_btn, *examples]
        outputs = [chat, sources, history, turns, *ctrl]
        # Progress shows on the chat only, so a waiting user sees their place in the queue.
        answering = dict(concurrency_id="answer", show_progress="minimal", show_progress_on=chat)
        # Named endpoints for scripted use (tests/test_load.py): "ask" then "answer" in one session.
        accepted = [gr.on([box.submit, send.click], accept, [box, chat], [chat, asked, *ctrl], queue=False, api_name="ask")]
        for button, q in zip(examples, example_questions):
            accepted.append(button.click(lambda c, q=q: accept(q, c), [chat], [chat, asked, *ctrl], queue=False,
                                         api_visibility="private"))
        answer_events = [
            a.then(respond, [asked, chat, history, turns], outputs, **answering,
                   **({"api_name": "answer"} if i == 0 else {"api_visibility": "private"}))
            for i, a in enumerate(accepted)
        ]
        briefed = brief_btn.click(accept_brief, [chat], [chat, *ctrl], queue=False, api_visibility="private")
        answer_events.append(briefed.then(brief, [chat, turns], [chat, sources, turns, glossary, build_glossary, *ctrl],
                                          **answering, api_name="brief"))

        def stopped(c: list) -> tuple:
            return (mark_stopped(c), *controls(False, n_buttons))

        def reset() -> tuple:
            return ([], EMPTY_SOURCES, [], [], *controls(False, n_buttons, clear_box=True))

        # The browser dispatches an event's .failure listeners once its cancellation is done, so
        # "Stopped" lands after the last streamed update instead of racing it.
        for event in answer_events:
            event.failure(stopped, [chat], [chat, *ctrl], queue=False, api_visibility="private")
        stop.click(None, None, None, cancels=answer_events, queue=False)
        for trigger in (clear.click, chat.clear):  # our button and the chat's own bin icon
            trigger(reset, None, outputs, cancels=answer_events, queue=False, api_visibility="private")

        # The glossary: filled at page load when the briefing is cached, else built on request.
        build_glossary.click(lambda: (wait_html("Waiting for the model…"), gr.update(interactive=False)), None,
                             [glossary, build_glossary], queue=False, api_visibility="private").then(
            make_glossary(bot), None, [glossary, build_glossary], concurrency_id="answer", show_progress="hidden",
            api_visibility="private")
        demo.load(make_load_glossary(bot), None, [glossary, build_glossary], show_progress="hidden",
                  concurrency_limit=None, api_visibility="private")
        # `bot ask` answered by this server (bot/remote.py), queued with the chat's answers.
        gr.api(remote.endpoint(bot), api_name=remote.ENDPOINT.lstrip("/"), concurrency_id="answer",
               api_visibility="undocumented")
    # One generation at a time by default: the embedded model cannot run two at once anyway.
    demo.queue(default_concurrency_limit=bot.settings.concurrency)
    return demo


def _auth(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise SettingsError("auth must look like user:password")
    return user, password


def launch(demo: gr.Blocks, settings: Settings, *, port: int | None = None, **kwargs):
    """Launch locally with the app's theme and assets; never a share link, nothing from a CDN."""
    # Fonts that ship with Gradio (no CDN). Regular+Bold: Gradio's bundled SemiBold file is a
    # 5 kB stub without most glyphs, so bold text would fall back letter by letter.
    font = [gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"]
    theme = gr.themes.Default(primary_hue="blue", neutral_hue="slate", font=font)
    return demo.launch(
        server_name=settings.host,
        server_port=port or settings.port,
        auth=_auth(settings.auth),
        share=False,
        ssr_mode=False,  # no Node server next to Python
        mcp_server=False,
        pwa=False,
        footer_links=["settings"],
        theme=theme,
        css_paths=[ASSETS / "ui.css"],
        js=(ASSETS / "ui.js").read_text(encoding="utf-8"),
        **kwargs,
    )


def warm_up(bot: Bot) -> threading.Thread:
    """Load the retriever and LLM in the background so the page opens at once and answer 1 is quick."""

    def load():
        try:
            _ = bot.retriever, bot.backend  # the properties load them and keep them
        except Exception as e:  # the same error reaches the user, in words, on their first question
            log.warning("warm-up failed: %s", e)

    thread = threading.Thread(target=load, name="kz-warm-up", daemon=True)
    thread.start()
    return thread


def serve(settings: Settings) -> None:
    """`bot serve`: load the corpus, start loading the model in the background, serve until Ctrl+C."""
    bot = Bot(settings)
    demo = build_app(bot)
    warm_up(bot)
    try:
        launch(demo, settings, quiet=True, prevent_thread_lock=True)
    except OSError as e:
        raise SettingsError(f"cannot listen on {settings.host}:{settings.port} ({e}); pick another with --port") from None
    print(f"\n  The chat is running: open {demo.local_url} in your browser (Ctrl+C to stop)\n", flush=True)
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"  note: bound to {settings.host}, so other machines on the network can reach it\n", flush=True)
    # SIGTERM (kill, a service manager) stops the server as Ctrl+C does, so the announcement goes too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    remote.announce(settings, demo.local_url)  # `bot ask` may now send its questions here
    try:
        demo.block_thread()  # returns on Ctrl+C, after closing the server
    finally:
        remote.withdraw(settings)

