"""Prompt the LLM with the retrieved passages and turn its token stream into cited sentences.

Events, in order: Delta (text to show now), Sentence (a finished sentence with its
citations), then one Done with the complete Answer. Text after a possible sentence end is
held back until the sentence is decided, so markers land right after their sentence.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Iterator

from llama_index.core.base.llms.types import ChatMessage, MessageRole

from .cite import Citation, CitedSentence, Citer
from .conflicts import Conflict
from .retrieve import Passage
from .sentences import ends_sentence, sentence_spans
from .settings import Settings
from .verify import REPEATS

NO_ANSWER = "NOT IN SOURCES"
# The model sometimes refuses in its own words instead of the agreed token.
_REFUSAL = re.compile(
    r"NOT IN SOURCES|\b(?:the |these )?(?:sources?|excerpts?|articles?) (?:do(?:es)? not|don't|doesn't) "
    r"(?:contain|mention|say|provide|cover|answer|include|specify|state)|\bno information (?:about|on)\b|"
    r"\bnot (?:mentioned|provided|stated|specified) in the (?:sources?|excerpts?)",
    re.IGNORECASE,
)


@dataclass
class Delta:
    text: str


@dataclass
class Drafting:
    """The model is writing a sentence that is shown only once checked (answer_style "quotes"):
    progress for the reader, who would otherwise see nothing until the quote."""

    words: int


@dataclass
class Sentence:
    sentence: CitedSentence


@dataclass
class Pointer:
    """A retrieved passage offered for the reader's own reading when no answer could be checked
    (see Answer.related): which article, and its sentence closest to the question; never a
    claim of the bot's."""

    article_id: str
    title: str
    outlet: str
    date: str | None
    url: str | None
    start: int  # character offsets of `excerpt` in the article body
    end: int
    excerpt: str  # the passage's sentence closest to the question, shortened


@dataclass
class Answer:
    question: str
    text: str  # plain text with [n] markers
    refused: bool
    sentences: list[CitedSentence]
    citations: list[Citation]
    backend: str
    model: str
    timings: dict = field(default_factory=dict)
    standalone_question: str | None = None  # the rewritten follow-up, when there was history
    error: str | None = None
    # Why a refusal: not_covered (retrieval/corpus), opinion, instructions, model (it said so),
    # unverified (no sentence of its answer could be supported), no_amount (asked for an amount,
    # its verified sentences give none: they are kept in `sentences` as what the articles do say),
    # no_date (the same for a date or time), no_person (asked who took or holds a post, they name
    # no one), no_words (asked what someone said, none is given as theirs), unnamed (they never
    # mention whom the question names).
    refusal_reason: str | None = None
    conflicts: list[Conflict] = field(default_factory=list)  # disagreements the answer was told to state
    left_out: list[str] = field(default_factory=list)  # strict mode: the model's sentences no article supports
    # The one more fact asked for (see app.Bot.stream) when it was dropped unseen as a repeat or
    # off the question, with the reason: not shown to readers, kept for evals and debugging.
    not_added: list[str] = field(default_factory=list)
    # A refusal because no answer could be checked (reasons "model", "unverified"): the retrieved
    # passages closest to the question, for the reader to read, since the articles may discuss
    # the subject without a sentence the bot can stand behind.
    related: list[Pointer] = field(default_factory=list)
    # What the answer says of the parts of a two-part question it leaves open (app.Bot._verdict),
    # shown after its sentences; apart from `text`, which holds only what the articles say.
    unanswered: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [c.__dict__ for c in self.citations],
            # `said`: the model's sentence that a quote of its sources stands for (answer_style "quotes")
            "sentences": [{"text": s.text, "citations": s.citations, "supported": s.supported, **({"said": s.said} if s.said else {})}
                          for s in self.sentences],
            "backend": self.backend,
            "model": self.model,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            **({"standalone_question": self.standalone_question} if self.standalone_question else {}),
            **({"error": self.error} if self.error else {}),
            **({"refusal_reason": self.refusal_reason} if self.refused else {}),
            **({"conflicts": [c.to_json() for c in self.conflicts]} if self.conflicts else {}),
            **({"left_out": self.left_out} if self.left_out else {}),
            **({"not_added": self.not_added} if self.not_added else {}),
            **({"related": [p.__dict__ for p in self.related]} if self.related else {}),
            **({"unanswered": self.unanswered} if self.unanswered else {}),
        }


@dataclass
class Done:
    answer: Answer


def format_sources(passages: list[Passage]) -> str:
    blocks = []
    for i, p in enumerate(passages, 1):
        m = p.meta
        origin = ", ".join(x for x in (m.get("outlet"), m.get("date")) if x)
        blocks.append(f"[{i}] ({origin}) {' '.join(p.text.split())}")
    return "\n\n".join(blocks)


# "Is China part of …?", "Did the unrest shift …?": questions answered by yes or no.
_YES_NO = re.compile(r"^\s*(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)\b", re.IGNORECASE)


def answer_lead(settings: Settings, question: str) -> str:
    """Words the answer starts with, written for the model (prompts/answer_lead.txt), or "".

    Asked a yes/no question, the 1.5B model echoes it as a verdict ("Yes, China is part of
    the alliance") whatever the system prompt says; begun with "According to the excerpts,"
    it goes on with what they say ("China is not a member of the CSTO").
    """
    return settings.prompt("answer_lead").strip() if _YES_NO.match(question) else ""


# "Who is Dariga, and what part did she play …?": the second question starts after ", and".
_SECOND_PART = re.compile(r",?\s+and\s+(?=(?:what|why|how|when|who|where|which|did|does|do|is|was|were)\b)", re.IGNORECASE)
def spell_out_parts(settings: Settings, question: str) -> str:
    """A two-part question with its parts listed (prompts/two_parts.txt); others as they are.

    Asked "What post does Wang Yi hold, and what did he announce?", the model answered only
    the second part; listed as "1. … 2. …", it answers both (evals/DECISIONS.md).
    """
    parts = _SECOND_PART.split(question.strip().rstrip("?"), maxsplit=1)
    if len(parts) < 2 or not all(p.strip() for p in parts):
        return question
    first, second = (p.strip() for p in parts)
    return settings.prompt("two_parts").strip().format(question=question, first=first, second=second[0].upper() + second[1:])


def build_messages(settings: Settings, question: str, passages: list[Passage]) -> list[ChatMessage]:
    """System and user messages; for a yes/no question a last, unfinished assistant message
    holds the answer's first words, which the backend continues (assistant prefill)."""
    asked = spell_out_parts(settings, question)
    user = settings.prompt("question").format(sources=format_sources(passages), question=asked)
    messages = [
        ChatMessage(role=MessageRole.SYSTEM, content=settings.prompt("system").strip()),
        ChatMessage(role=MessageRole.USER, content=user),
    ]
    if lead := answer_lead(settings, question):
        messages.append(ChatMessage(role=MessageRole.ASSISTANT, content=lead))
    return messages


def is_refusal(text: str) -> bool:
    return bool(_REFUSAL.search(text))


def _clean(sentence: str) -> str:
    # Markers the model invents itself are dropped: the program attaches the real ones.
    # So is Markdown decoration (bullets, numbering, bold), which is not part of a claim.
    text = re.sub(r"\s*\[\d+(?:[,\s]*\d+)*\]", "", sentence)
    # A list number stands alone when the sentence splitter cuts "1. Wang Yi is …" after "1.".
    text = re.sub(r"^\s*(?:[-*•]|\d+[.)])(?:\s+|$)", "", text)
    return re.sub(r"(\*\*|__)(.+?)\1", r"\2", text).strip()


def _held_back(buffer: str) -> int:
    """Chars at the end of `buffer` that may still turn out to end a sentence or be a refusal."""
    stripped = buffer.strip()
    if stripped and NO_ANSWER.startswith(stripped.upper()):
        return len(buffer)
    m = re.search(r"[.!?][\"”’)\]]*\s*$", buffer)
    return len(buffer) - m.start() if m else 0


UNFINISHED = "(unfinished: the generation was cut)"
MAX_SENTENCES = 5  # of one generation: prompts/system.txt asks for 2 to 4, one more is slack


def _said_key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def cite_stream(deltas: Iterator[str], citer: Citer, added: bool = False, cut=lambda: False) -> Iterator[Delta | Sentence]:
    """Split a token stream into sentences as they complete and cite each one (`added`: see Citer.cite).

    `cut()`: whether the generation was stopped before the model ended it (a loop, the token
    limit); its last words, without closing punctuation, are then a fragment. A fragment, and a
    sentence the model writes a second time word for word, are not cited, so not kept: a loop
    had ended an answer on a repeat of a sentence cut off mid-clause ("…, following [1]").
    """
    buffer, shown, said = "", 0, set()

    def sentence(text: str, last: bool = False) -> CitedSentence:
        key = _said_key(text)
        if last and cut() and not ends_sentence(text):
            return CitedSentence(text=text, missing=[UNFINISHED])
        if key in said:
            return CitedSentence(text=text, missing=[REPEATS])
        said.add(key)
        return citer.cite(text, added)

    for token in deltas:
        buffer += token
        spans = sentence_spans(buffer)
        while len(spans) >= 2:  # the first sentence is finished once a second one starts
            s, e = spans[0]
            if e > shown:
                yield Delta(buffer[shown:e])
            text = _clean(buffer[s:e])
            if text and not is_refusal(text):
                yield Sentence(sentence(text))
            buffer, shown = buffer[spans[1][0]:], 0
            spans = sentence_spans(buffer)
        safe = len(buffer) - _held_back(buffer)
        if safe > shown:
            yield Delta(buffer[shown:safe])
            shown = safe
    if buffer.strip():
        if len(buffer) > shown:
            yield Delta(buffer[shown:])
        text = _clean(buffer)
        if text and not is_refusal(text):
            yield Sentence(sentence(text, last=True))


class Generation:
    """The model's answer text so far and how its last stream ended; `tokens` continues it.

    A begun answer (see answer_lead) is the model's text so far: it is continued, not re-sent
    as a question. `looped`/`cut` say whether the last stream was stopped before the model
    ended it (a loop of repeated words, the token limit); cite_stream reads `cut`.
    """

    def __init__(self, llm, messages: list[ChatMessage], max_tokens: int, timings: dict, t0: float):
        self.text = messages.pop().content if messages[-1].role == MessageRole.ASSISTANT else ""
        self.llm, self.messages, self.max_tokens = llm, messages, max_tokens
        self.timings, self.t0 = timings, t0
        self.looped = self.cut = False

    def tokens(self, shown: str) -> Iterator[str]:
        """The model's continuation of `text`, streamed; `shown` is displayed first."""
        yield shown
        turns = self.messages + [ChatMessage(role=MessageRole.ASSISTANT, content=self.text)] if self.text else self.messages
        first, count, self.cut = True, 0, False
        for r in self.llm.stream_chat(turns):
            delta = r.delta or ""
            count += bool(delta)
            # Both backends stream one token a chunk: max_tokens chunks mean the limit cut it.
            self.cut = count >= self.max_tokens
            if "first_token" not in self.timings:
                self.timings["first_token"] = time.perf_counter() - self.t0
            if first and delta:
                first = False
                if self.text and delta[:1].isalnum():  # "According to the excerpts," + "China…"
                    delta = " " + delta
            self.text += delta
            yield delta
            # A small model can fall into a loop; stop once its last words repeat verbatim.
            if len(self.text) > 160 and self.text[-60:] in self.text[:-60]:
                self.looped = self.cut = True
                break
            # Or copy a passage on, sentence after sentence, long after the answer (eleven of
            # them to "Who gave that figure?"): the prompt asks for 2 to 4; stop once a sentence
            # past MAX_SENTENCES begins (its start is then a fragment, not cited).
            if delta.strip() and len(sentence_spans(self.text)) > MAX_SENTENCES:
                self.cut = True
                break


def render(sentences: list[CitedSentence], strict: bool) -> str:
    parts = []
    for s in sentences:
        if strict and not s.supported:
            continue
        markers = "" if s.inline else "".join(f"[{n}]" for n in s.citations)
        parts.append(f"{s.text} {markers}".strip())
    return " ".join(parts)
