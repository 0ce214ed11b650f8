"""The chat UI's rendering: pure functions, data in, escaped HTML out (answers, [n] markers that
jump to the cited passage, source cards, "Sources disagree" notes, the briefing and glossary).

Every string placed into HTML goes through `esc` here: questions, model output, article text
and metadata. Gradio's own chat sanitizer stays on as a second line of defence, but the sources
panel (gr.HTML) is inserted with innerHTML, so escaping is what keeps it safe. The event
handlers and the Gradio wiring are in bot/ui.py.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Iterable

from .answer import Answer
from .brief import Briefing, Line
from .cite import Citation, CitedSentence
from .conflicts import Conflict
from .corpus import Article
from .sentences import quote_markers

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
        # Every marker the program put after a closing quote mark links, also one for the
        # sentence quoted before another as its antecedent (quotes.antecedent).
        numbers = set(s.citations) | set(quote_markers(s.text))
        return f'<div class="{kind}" role="note">{quoted_html(s.text, numbers, turn)}</div>'
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


def printable(text: str) -> str:
    """Without control and format characters (NUL, escape sequences, bidi overrides)."""
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


def question_html(question: str) -> str:
    text = _oneline(printable(question))
    if len(text) > MAX_SHOWN_CHARS:
        text = f"{text[:MAX_SHOWN_CHARS]}… ({len(text):,} characters in all)"
    return f'<div class="kz-q">{esc(text)}</div>'


def wait_html(text: str) -> str:
    return f'<div class="kz-answer kz-streaming"><span class="kz-wait">{esc(text)}</span></div>'


QUEUED_HTML = wait_html("Waiting for the model…")  # shown at once, before the queue lets the answer start
SEARCHING_HTML = wait_html("Searching the articles…")


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
    "no_date": "The question asks for a date or time that no verified sentence gives",
    "no_person": "The question asks who took or holds a post, and no verified sentence names them",
    "no_words": "The question asks what someone said, and no verified sentence gives their words",
    "unnamed": "The question names someone no verified sentence mentions",
    "needs_context": "The question goes on from an earlier one, and there is none",
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
        body += related_html(answer)
    else:
        body = f'<div class="kz-body">{_sentences_html(answer.sentences, turn)}</div>'
    error = f'<div class="kz-note">{esc(answer.error)}</div>' if answer.error else ""
    conflicts = "" if answer.refused else conflicts_html(answer.conflicts, answer.citations, turn)
    open_parts = "".join(f'<div class="kz-note kz-open-part">{esc(note)}</div>' for note in answer.unanswered)
    return (f'<div class="kz-answer kz-done">{rewrite_html(answer)}{body}{open_parts}{conflicts}{left_out_html(answer)}'
            f'{error}{meta_html(answer)}</div>')


def related_html(answer: Answer) -> str:
    """A refusal that no answer could be checked: the passages closest to the question, folded,
    for the reader's own reading (titles link to the articles; nothing here is the bot's claim)."""
    if not answer.related:
        return ""
    items = []
    for p in answer.related:
        url = _safe_url(p.url)
        title = f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(p.title)}</a>' if url else esc(p.title)
        who = " · ".join(esc(x) for x in (p.outlet, p.date or "undated"))
        items.append(f'<li>{title} <span class="kz-related-by">— {who}</span><br><q>{esc(_oneline(p.excerpt))}</q></li>')
    return (
        '<details class="kz-related"><summary>Passages closest to your question, for your own reading '
        f'(not checked as an answer)</summary><ul>{"".join(items)}</ul></details>'
    )


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


def intro_html(articles: Iterable[Article], subject: str) -> str:
    """What the corpus covers, generated from its profile's subject and the loaded articles."""
    items = "".join(
        f'<li><span class="kz-intro-title">{esc(a.title)}</span> '
        f'<span class="kz-intro-by">{esc(a.outlet)} · {esc(a.date or "undated")}</span></li>'
        for a in sorted(articles, key=lambda a: (a.date or "9999", a.outlet))
    )
    return (
        f'<div class="kz-intro"><p>This assistant answers questions about <strong>{esc(subject)}</strong>, '
        "using only these articles. "
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
    '<div class="kz-glossary-empty">The glossary explains the terms a newcomer trips over, '
    "each in one or two sentences cited from the articles. It is built with the briefing: the first time takes "
    "a few minutes on this machine, afterwards it opens at once.</div>"
)


def glossary_html(b: Briefing, articles: dict[str, Article], ask: bool = True) -> str:
    """The glossary panel: each term with its cited explanation, then the sources it cites;
    `ask`: with the buttons that ask about a term in the chat (not in an exported page)."""
    rows = []
    for term, line in b.glossary:
        question = esc(f"What is {term}?")
        button = f'<button type="button" class="kz-term-ask" data-ask="{question}" title="{question}">Ask in chat</button>'
        head = f'<dt><span class="kz-term">{esc(term)}</span>{button if ask else ""}</dt>'
        body = (f"<dd>{line_html(line, GLOSSARY_TURN)}</dd>" if line
                else '<dd class="kz-nodef">The articles do not explain this term.</dd>')
        rows.append(f'<div class="kz-gloss-row">{head}{body}</div>')
    used = _cited(line for _, line in b.glossary if line)
    cards = "".join(citation_html(c, articles.get(c.article_id), GLOSSARY_TURN) for c in b.citations if c.n in used)
    # open in a page of its own, where a marker's link must land on a visible card
    sources = (f'<details class="kz-group"{"" if ask else " open"}><summary><span class="kz-turn">Sources</span> of the glossary'
               f"</summary>{cards}</details>" if cards else "")
    return f'<div class="kz-glossary"><dl class="kz-terms">{"".join(rows)}</dl>{sources}</div>'



# --- the briefing as a page of its own (bot brief --html) ---------------------------------

BRIEF_TURN = "b"  # anchor key of the exported briefing's source cards
# The page is read without Gradio: its theme variables, which ui.css uses, get plain values.
_PAGE_CSS = """
:root { --body-text-color: #1f2937; --body-text-color-subdued: #6b7280; --color-accent: #2563eb;
  --color-accent-soft: #dbeafe; --border-color-primary: #d1d5db; --background-fill-secondary: #f9fafb; }
body { font-family: system-ui, sans-serif; color: var(--body-text-color); max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
h2 { font-size: 1.05rem; margin-top: 2rem; }
.kz-src:target { border-color: var(--color-accent); box-shadow: 0 0 0 3px var(--color-accent-soft); }
"""


def briefing_page(b: Briefing, articles: dict[str, Article], css: str) -> str:
    """The briefing, its glossary and every passage they cite as one standalone HTML page (no
    script, nothing fetched): each [n] marker is a link to its passage, shown in its paragraph
    with the quoted words marked, so the page can be sent to a newcomer as it is."""
    cards = "".join(citation_html(c, articles.get(c.article_id), BRIEF_TURN) for c in briefing_citations(b))
    glossary = f"<h2>Glossary</h2>{glossary_html(b, articles, ask=False)}" if b.glossary else ""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{esc(_oneline(b.title))}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{css}{_PAGE_CSS}</style></head><body>'
        f"{briefing_html(b, BRIEF_TURN)}{glossary}<h2>Sources</h2>"
        f'<p class="kz-note">Each passage is shown in its paragraph, with the words the briefing quotes marked.</p>'
        f'<div class="kz-sources">{cards}</div></body></html>\n'
    )
