"""Gradio chat UI: streamed answers, [n] markers that jump to the cited passage, a sources panel,
"Sources disagree" notes, the cited briefing ("Brief me") and the glossary.

Render helpers (pure functions: data in, HTML out) come first, then the event handlers, then
the Gradio wiring. The briefing reuses the answers' sentence, marker and source-card helpers.
Every string placed into HTML goes through `esc` here: questions, model output, article
text and metadata. Gradio's own chat sanitizer stays on as a second line of defence, but
the sources panel (gr.HTML) is inserted with innerHTML, so escaping is what keeps it safe.
"""

from __future__ import annotations

import html
import json
import logging
import queue
import re
import threading
import time
import unicodedata
from pathlib import Path
from typing import Callable, Iterable, Iterator

import yaml

import gradio as gr

from .answer import Answer, Delta, Done, Sentence
from .app import BadInput, Bot
from .brief import Briefing, Line, briefing, cache_path
from .cite import Citation, CitedSentence
from .conflicts import Conflict
from .corpus import Article
from .llm import LLMError
from .settings import Settings, SettingsError
from .store import StoreError

log = logging.getLogger(__name__)

ASSETS = Path(__file__).parent / "assets"
TITLE = "Kazakhstan, January 2022 — ask the articles"
EXAMPLES = (
    "What triggered the protests in Kazakhstan?",
    "How did China react to the unrest?",
    "What did Russia and the CSTO do?",
    "How many people died?",
    "What does 颜色革命 mean?",
)
PLACEHOLDER = "Ask about the January 2022 unrest…"
EMPTY_PLACEHOLDER = "Please type a question first, e.g. “What did Russia and the CSTO do?”"
BRIEF_ASKED = "Brief me: a cited overview of the five articles"
MAX_SHOWN_CHARS = 1000  # of a question in its chat bubble; longer ones are cut there (and refused)
UNVERIFIED_TIP = "The program could not find this claim in the cited passage. Check the source before relying on it."


# --- render helpers: data -> escaped HTML ------------------------------------------------


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _oneline(text: str) -> str:
    # A blank line would end the chat's HTML block and hand the rest to the Markdown parser.
    return " ".join(text.split())


def anchor_id(turn: int | str, n: int) -> str:
    return f"kz-src-{turn}-{n}"


def markers_html(numbers: Iterable[int], turn: int | str) -> str:
    return "".join(
        f'<a class="kz-cite" href="#{anchor_id(turn, n)}" data-src="{anchor_id(turn, n)}" '
        f'title="Show source {n}">[{n}]</a>'
        for n in numbers
    )


def sentence_html(s: CitedSentence, turn: int) -> str:
    if s.inline:  # quoted by the program: a term's explanation, or "The sources differ: …"
        kind = "kz-quoted kz-disagree" if _CLAIMS.match(_oneline(s.text)) else "kz-quoted"
        return f'<div class="{kind}" role="note">{quoted_html(s.text, s.citations, turn)}</div>'
    text, marks = esc(_oneline(s.text)), markers_html(s.citations, turn)
    if s.supported:
        return f'<span class="kz-s">{text}</span>{marks}'
    tip = UNVERIFIED_TIP + (f" Not found: {', '.join(s.missing)}." if s.missing else "")
    return (
        f'<span class="kz-s kz-unverified" title="{esc(tip)}">{text}</span>{marks}'
        f'<span class="kz-badge" title="{esc(tip)}">unverified</span>'
    )


def _sentences_html(sentences: Iterable[CitedSentence], turn: int) -> str:
    return " ".join(sentence_html(s, turn) for s in sentences)


def _printable(text: str) -> str:
    """Without control and format characters (NUL, escape sequences, bidi overrides)."""
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


def question_html(question: str) -> str:
    text = _oneline(_printable(question))
    if len(text) > MAX_SHOWN_CHARS:
        text = f"{text[:MAX_SHOWN_CHARS]}… ({len(text):,} characters in all)"
    return f'<div class="kz-q">{esc(text)}</div>'


def _wait_html(text: str) -> str:
    return f'<div class="kz-answer kz-streaming"><span class="kz-wait">{esc(text)}</span></div>'


QUEUED_HTML = _wait_html("Waiting for the model…")  # shown at once, before the queue lets the answer start
SEARCHING_HTML = _wait_html("Searching the articles…")


def streaming_html(done: list[CitedSentence], pending: str, turn: int, strict: bool = False) -> str:
    """The answer while it streams: finished sentences with markers, then the raw tail. In
    strict mode a sentence that failed verification disappears as soon as it is decided (the
    finished answer lists it, folded), rather than showing as unverified until the end."""
    body = _sentences_html([s for s in done if s.supported or not strict], turn)
    tail = esc(_oneline(pending))
    if not body and not tail:
        return SEARCHING_HTML
    return f'<div class="kz-answer kz-streaming">{body} <span class="kz-pending">{tail}</span></div>'


# Why an answer is a refusal, in words. Refusals decided before generation have no model ("none").
REFUSAL_REASONS = {
    "not_covered": "Not covered by the articles",
    "opinion": "Opinion question: the assistant reports only what the articles say",
    "instructions": "Instructions in the question were not followed",
    "model": "The model found no answer in the retrieved passages",
    "unverified": "No sentence of the model's answer could be verified against the articles",
    "no_amount": "The question asks for a figure that no verified sentence gives",
}


def meta_html(answer: Answer) -> str:
    reason = REFUSAL_REASONS.get(answer.refusal_reason or "") if answer.refused else None
    if reason and answer.backend == "none":
        parts = [esc(reason)]
    elif reason:
        parts = [esc(reason), f"checked by {esc(answer.backend)} · {esc(answer.model)}"]
    else:
        parts = [f"Answered by {esc(answer.backend)} · {esc(answer.model)}"]
    if "total" in answer.timings:
        parts.append(f"{answer.timings['total']:.1f} s")
    if answer.citations:
        parts.append(f"{len(answer.citations)} cited passage{'s' if len(answer.citations) != 1 else ''}")
    return f'<div class="kz-meta">{" · ".join(parts)}</div>'


def rewrite_html(answer: Answer) -> str:
    if not answer.standalone_question:
        return ""
    return (
        '<div class="kz-rewrite" title="Follow-up questions are rewritten with the conversation so far '
        f'before searching">Understood as: “{esc(_oneline(answer.standalone_question))}”</div>'
    )


def _cited_as(claim, citations: Iterable[Citation]) -> list[int]:
    """The answer's citation numbers whose span overlaps the claim sentence."""
    return [c.n for c in citations if c.article_id == claim.article_id and c.start < claim.end and claim.start < c.end]


def conflicts_html(conflicts: Iterable[Conflict], citations: list[Citation], turn: int) -> str:
    """"Sources disagree on …": each side with its outlets (quote on hover, marker when cited)."""
    notes = []
    for conflict in conflicts:
        sides: dict[str, list] = {}
        for claim in conflict.claims:
            sides.setdefault(claim.side, []).append(claim)
        items = []
        for side, claims in sides.items():
            outlets = []
            for outlet in dict.fromkeys(c.outlet for c in claims):
                mine = [c for c in claims if c.outlet == outlet]
                quote = " / ".join(f"“{_oneline(c.quote)}”" for c in mine)
                numbers = sorted({n for c in mine for n in _cited_as(c, citations)})
                outlets.append(f'<span class="kz-claim" title="{esc(quote)}">{esc(outlet)}</span>{markers_html(numbers, turn)}')
            items.append(f'<li><span class="kz-side">{esc(side)}</span>: {", ".join(outlets)}</li>')
        notes.append(
            f'<div class="kz-conflict" role="note"><div class="kz-conflict-h">Sources disagree on {esc(conflict.topic)}</div>'
            f'<ul>{"".join(items)}</ul></div>'
        )
    return "".join(notes)


def answer_html(answer: Answer, turn: int) -> str:
    """The finished answer: cited sentences or a refusal, then which backend and model answered."""
    if answer.refused:
        body = (
            '<div class="kz-refusal"><span class="kz-icon" aria-hidden="true">i</span>'
            f"<span>{esc(_oneline(answer.text))}</span></div>"
        )
        if answer.sentences:  # verified, but no answer to what was asked (see app.Bot.stream)
            body += f'<div class="kz-body"><p class="kz-said">What the articles do say:</p>{_sentences_html(answer.sentences, turn)}</div>'
    else:
        body = f'<div class="kz-body">{_sentences_html(answer.sentences, turn)}</div>'
    error = f'<div class="kz-note">{esc(answer.error)}</div>' if answer.error else ""
    conflicts = "" if answer.refused else conflicts_html(answer.conflicts, answer.citations, turn)
    return f'<div class="kz-answer kz-done">{rewrite_html(answer)}{body}{conflicts}{left_out_html(answer)}{error}{meta_html(answer)}</div>'


def left_out_html(answer: Answer) -> str:
    """What the model wrote that no article supports: left out of the answer, shown folded."""
    if answer.refused or not answer.left_out:
        return ""
    n = len(answer.left_out)
    items = "".join(f"<li>{esc(_oneline(t))}</li>" for t in answer.left_out)
    return (
        f'<details class="kz-left-out"><summary>{n} sentence{"s" if n > 1 else ""} of the model\'s answer left out: '
        f"no article supports {'them' if n > 1 else 'it'}</summary><ul>{items}</ul></details>"
    )


def notice_html(kind: str, title: str, message: str) -> str:
    """A problem message in the chat: kind is "error" (nothing answered) or "warning" (fix the input)."""
    return (
        f'<div class="kz-answer kz-notice kz-{esc(kind)}" role="alert"><strong>{esc(title)}</strong> '
        f"<span>{esc(_oneline(message))}</span></div>"
    )


def passage_html(text: str, start: int, end: int) -> str:
    """The paragraph of `text` holding [start, end), with that span marked."""
    p_start = text.rfind("\n", 0, start) + 1
    p_end = text.find("\n", end)
    p_end = len(text) if p_end < 0 else p_end
    return f"{esc(text[p_start:start])}<mark>{esc(text[start:end])}</mark>{esc(text[end:p_end])}"


def _safe_url(url: str | None) -> str | None:
    return url if url and re.match(r"https?://", url, re.IGNORECASE) else None


def byline(outlet: str, author: str | None, date: str | None) -> str:
    return " · ".join(esc(x) for x in (outlet, author or "author not named", date or "undated"))


def citation_html(c: Citation, article: Article | None, turn: int | str) -> str:
    url = _safe_url(c.url)
    title = esc(c.title)
    link = (
        f'<a class="kz-src-title" href="{esc(url)}" target="_blank" rel="noopener noreferrer">{title}</a>'
        if url
        else f'<span class="kz-src-title">{title}</span>'
    )
    link_note = "" if url else '<span class="kz-nolink">no link in the capture</span>'
    # The article text is the source of truth; the quote alone is the fallback if it is missing.
    passage = passage_html(article.text, c.start, c.end) if article else f"<mark>{esc(c.quote)}</mark>"
    return (
        f'<article class="kz-src" id="{anchor_id(turn, c.n)}">'
        f'<div class="kz-src-head"><span class="kz-src-n">[{c.n}]</span>{link}</div>'
        f'<div class="kz-src-by">{byline(c.outlet, c.author, c.date)}{link_note}</div>'
        f'<blockquote class="kz-passage">{passage}</blockquote></article>'
    )


EMPTY_SOURCES = (
    '<div class="kz-sources-empty"><p><strong>Sources</strong></p>'
    "<p>The passages each answer cites appear here, with the supporting words highlighted.</p>"
    "<p>Click a marker such as <span class=\"kz-cite\">[1]</span> in an answer to jump to its passage.</p></div>"
)


def sources_html(turns: list[dict], articles: dict[str, Article]) -> str:
    """All cited passages, newest answer first; older answers fold away but stay reachable."""
    groups = []
    for i, t in enumerate(reversed([t for t in turns if t["citations"]])):
        cards = "".join(citation_html(c, articles.get(c.article_id), t["turn"]) for c in t["citations"])
        label = t.get("label") or f"Answer {t['turn']}"
        summary = f'<span class="kz-turn">{esc(label)}</span> {esc(_oneline(t["question"]))}'
        groups.append(f'<details class="kz-group" {"open" if i == 0 else ""}><summary>{summary}</summary>{cards}</details>')
    return f'<div class="kz-sources">{"".join(groups)}</div>' if groups else EMPTY_SOURCES


def intro_html(articles: Iterable[Article]) -> str:
    """What the corpus covers, generated from the loaded articles."""
    items = "".join(
        f'<li><span class="kz-intro-title">{esc(a.title)}</span> '
        f'<span class="kz-intro-by">{esc(a.outlet)} · {esc(a.date or "undated")}</span></li>'
        for a in sorted(articles, key=lambda a: (a.date or "9999", a.outlet))
    )
    return (
        '<div class="kz-intro"><p>This assistant answers questions about the <strong>January 2022 unrest in '
        "Kazakhstan</strong> and what it meant for China, Russia and the CSTO, using only these articles. "
        "Every sentence is checked against the passage it cites; claims the program cannot verify are marked. "
        "Everything runs on this machine.</p>"
        f'<ul class="kz-articles">{items}</ul>'
        '<p class="kz-try">Try a question, or click <span class="kz-try-brief">Brief me</span> under the chat '
        "for a cited overview and a glossary:</p></div>"
    )


def history_text(answer: Answer) -> str:
    """What the assistant said, as plain text for the follow-up rewrite (markers dropped)."""
    return re.sub(r"\s*\[\d+\]", "", answer.text).strip()


# --- the briefing and the glossary: the same sentence, marker and source-card rendering ------


GLOSSARY_TURN = "g"  # anchor key of the glossary's own source cards (answers use their turn number)
_CLAIMS = re.compile(r"^(On [^:]+|The sources differ):\s+(.+)$")  # "On <topic>: <outlet (side)>: “quote” [n]; …"


def _inline_markers(text: str, numbers: Iterable[int], turn: int | str) -> str:
    """Escaped `text` whose own [n] markers (those in `numbers`) become links."""
    allowed = set(numbers)
    return re.sub(r"\[(\d+)\]", lambda m: markers_html([int(m[1])], turn) if int(m[1]) in allowed else m[0], esc(text))


def quoted_html(text: str, numbers: Iterable[int], turn: int | str) -> str:
    """Quotes the program wrote, markers inline. A disputed topic ("On X: A (side): “…” [n];
    B (side): “…” [m]", or "The sources differ: …") is shown as the topic over one claim per row."""
    text = _oneline(text)
    m = _CLAIMS.match(text)
    claims = re.split(r"(?<=\])\s*;\s+", m[2]) if m else []
    if not m or len(claims) < 2:
        return _inline_markers(text, numbers, turn)
    rows = "".join(f"<li>{_inline_markers(c, numbers, turn)}</li>" for c in claims)
    return f'<span class="kz-topic">{esc(m[1])}:</span><ul class="kz-claims">{rows}</ul>'


def line_html(line: Line, turn: int | str) -> str:
    """One verified briefing line."""
    if not line.inline:
        return f'<span class="kz-s">{esc(_oneline(line.text))}</span>{markers_html(line.citations, turn)}'
    return quoted_html(line.text, line.citations, turn)


def _cited(lines: Iterable[Line]) -> set[int]:
    return {n for line in lines for n in line.citations}


def briefing_citations(b: Briefing) -> list[Citation]:
    """The citations the briefing's sections use (the glossary's live in its own panel)."""
    used = _cited(line for s in b.sections for line in s.lines)
    return [c for c in b.citations if c.n in used]


def briefing_html(b: Briefing, turn: int, seconds: float | None = None) -> str:
    """The briefing as a finished chat message: a heading per section, a cited line per row."""
    sections = []
    for section in b.sections:
        rows = "".join(f"<li>{line_html(line, turn)}</li>" for line in section.lines)
        body = f'<ul class="kz-brief-lines">{rows}</ul>' if rows else (
            '<p class="kz-note">Nothing for this section could be verified against the articles, so it is left out.</p>')
        sections.append(f'<div class="kz-brief-sec"><div class="kz-brief-h">{esc(section.title)}</div>{body}</div>')
    n = len(briefing_citations(b))
    parts = ["Briefing", esc(b.model), f"{n} cited passage{'s' if n != 1 else ''}"]
    if seconds is not None:
        parts.append(f"{seconds:.1f} s")
    glossary = '<p class="kz-note">Terms are explained in the Glossary under the chat.</p>' if b.glossary else ""
    return (
        f'<div class="kz-answer kz-done kz-brief"><div class="kz-brief-title">{esc(_oneline(b.title))}</div>'
        '<p class="kz-brief-sub">Every line is taken from the articles and checked against the passage it cites.</p>'
        f'{"".join(sections)}{glossary}<div class="kz-meta">{" · ".join(parts)}</div></div>'
    )


def brief_progress_html(step: str | None, done: int, total: int | None, seconds: float) -> str:
    """The placeholder while the briefing builds: "Building the briefing: <section>…"."""
    text = f"Building the briefing: {step}…" if step else "Preparing the briefing…"
    where = f"step {done} of {total}, " if step and total else ""
    return (
        f'<div class="kz-answer kz-streaming kz-brief"><span class="kz-wait">{esc(text)}</span> '
        f'<span class="kz-progress">({where}{seconds:.0f} s)</span></div>'
    )


GLOSSARY_EMPTY = (
    '<div class="kz-glossary-empty">The glossary explains terms a newcomer trips over (CSTO, 维和, Nur Otan…), '
    "each in one or two sentences cited from the articles. It is built with the briefing: the first time takes "
    "a few minutes on this machine, afterwards it opens at once.</div>"
)


def glossary_html(b: Briefing, articles: dict[str, Article]) -> str:
    """The glossary panel: each term with its cited explanation, then the sources it cites."""
    rows = []
    for term, line in b.glossary:
        ask = esc(f"What is {term}?")
        head = (f'<dt><span class="kz-term">{esc(term)}</span>'
                f'<button type="button" class="kz-term-ask" data-ask="{ask}" title="{ask}">Ask in chat</button></dt>')
        body = (f"<dd>{line_html(line, GLOSSARY_TURN)}</dd>" if line
                else '<dd class="kz-nodef">The articles do not explain this term.</dd>')
        rows.append(f'<div class="kz-gloss-row">{head}{body}</div>')
    used = _cited(line for _, line in b.glossary if line)
    cards = "".join(citation_html(c, articles.get(c.article_id), GLOSSARY_TURN) for c in b.citations if c.n in used)
    sources = (f'<details class="kz-group"><summary><span class="kz-turn">Sources</span> of the glossary</summary>{cards}</details>'
               if cards else "")
    return f'<div class="kz-glossary"><dl class="kz-terms">{"".join(rows)}</dl>{sources}</div>'


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
        question = _printable(question or "").strip()
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
                if isinstance(event, Delta):
                    pending += event.text
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
        spec = yaml.safe_load((settings.prompts_dir / "brief.yaml").read_text(encoding="utf-8"))
        return len(spec["sections"]) + len(settings.glossary_terms())
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
    n_buttons = len(EXAMPLES) + 1  # the examples and Brief me: idle while an answer streams
    accept, respond = make_accept(n_buttons), make_respond(bot, n_buttons)
    accept_brief, brief = make_accept_brief(n_buttons), make_brief(bot, n_buttons)
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        history = gr.State([])  # role/content dicts in plain text, for follow-up rewriting
        turns = gr.State([])  # per answer or briefing: turn number, label, question, citations
        asked = gr.State("")  # the question handed from the accept step to the answer step

        gr.HTML(f'<header class="kz-header"><h1>{esc(TITLE)}</h1></header>', js_on_load=None)
        with gr.Accordion("What this assistant knows", open=True, elem_id="kz-about"):
            gr.HTML(intro_html(bot.articles.values()), js_on_load=None)
            with gr.Row(elem_classes="kz-examples"):
                examples = [gr.Button(q, size="sm", variant="secondary", elem_classes="kz-example") for q in EXAMPLES]
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                chat = gr.Chatbot(
                    label="Conversation", elem_id="kz-chat", height="62vh", latex_delimiters=[],
                    sanitize_html=True, allow_tags=False, feedback_options=None, buttons=[],
                    placeholder="Ask a question about the unrest, or click one of the examples above.",
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
        for button, q in zip(examples, EXAMPLES):
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
        build_glossary.click(lambda: (_wait_html("Waiting for the model…"), gr.update(interactive=False)), None,
                             [glossary, build_glossary], queue=False, api_visibility="private").then(
            make_glossary(bot), None, [glossary, build_glossary], concurrency_id="answer", show_progress="hidden",
            api_visibility="private")
        demo.load(make_load_glossary(bot), None, [glossary, build_glossary], show_progress="hidden",
                  concurrency_limit=None, api_visibility="private")
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
    print(f"\n  Kazakhstan-2022 chat is running: open {demo.local_url} in your browser (Ctrl+C to stop)\n", flush=True)
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"  note: bound to {settings.host}, so other machines on the network can reach it\n", flush=True)
    demo.block_thread()  # returns on Ctrl+C, after closing the server
