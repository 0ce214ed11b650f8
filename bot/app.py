"""The one application object: corpus, index, retriever and LLM, loaded once, used by CLI, UI and evals.

Flow per question: validate -> (rewrite a follow-up with the history) -> retrieve -> refuse
if nothing relevant -> prompt the LLM -> cite and verify each streamed sentence -> Answer.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from dataclasses import replace
from typing import Iterable, Iterator

import yaml
from llama_index.core.base.llms.types import ChatMessage, MessageRole

from .answer import (
    UNFINISHED,
    Answer,
    Delta,
    Done,
    Sentence,
    asks_amount,
    build_messages,
    cite_stream,
    is_refusal,
    render,
    states_amount,
    wants_more,
)
from .cite import NOT_ADDED, RESTATES_QUESTION, CitedSentence, Citer, is_verdict, overlap, quote, sentence_spans
from .conflicts import asks_disagreement, claim_passages, find_conflicts, statement
from .corpus import load_corpus
from .embeddings import MiniLMEmbedding
from .glossary import RESTATED, asked_term, compared_terms, explanation
from .guard import (
    asks_opinion,
    is_follow_up,
    is_instruction,
    split_instructions,
    unknown_terms,
    without_instructions,
)
from .llm import LLMError, choose_backend, describe_error
from .pronouns import resolve
from .retrieve import Retriever
from .settings import Settings
from .speakers import asked_speaker, statements
from .store import active_generation, open_store

MAX_QUESTION_CHARS = 2000


def _capitalised(deltas: Iterator[str]) -> Iterator[str]:
    """A continuation shown as a sentence of its own: a space before it, its first letter upper case."""
    for delta in deltas:
        if text := delta.lstrip():
            yield " " + text[0].upper() + text[1:]
            break
    yield from deltas


class BadInput(ValueError):
    """The question cannot be used as given; the message tells the user why."""


def clean_question(question: object) -> str:
    if not isinstance(question, str):
        raise BadInput("the question must be text")
    # Drop control characters (keeping spaces/newlines) and normalise width/compatibility forms.
    text = "".join(ch for ch in unicodedata.normalize("NFKC", question) if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise BadInput("please type a question")
    if len(text) > MAX_QUESTION_CHARS:
        raise BadInput(f"questions are limited to {MAX_QUESTION_CHARS:,} characters (this one has {len(text):,}); please shorten it")
    return text


class Bot:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.load()
        self.articles = {a.id: a for a in load_corpus(self.settings.corpus_dir)}
        self.corpus_text = "\n".join(f"{a.title} {a.outlet} {a.author or ''} {a.text}" for a in self.articles.values())
        self.terms = yaml.safe_load((self.settings.prompts_dir / "glossary.yaml").read_text(encoding="utf-8"))["terms"]
        # What the guard counts as mentioned: the articles, plus the glossary's own names ("EAEU").
        self.known_text = self.corpus_text + "\n" + " ".join(n for t in self.terms for n in [t["term"], *t.get("match", [])])
        self.embed_model = MiniLMEmbedding()
        self._retriever: Retriever | None = None
        self._backend: tuple[str, object, str] | None = None
        self._lock = threading.Lock()

    # -- parts, built on first use and then kept ------------------------------------------
    @property
    def retriever(self) -> Retriever:
        # Re-read the index pointer each time: after a re-index, the next question uses the
        # new generation; a question already running finishes on the old one.
        with self._lock:
            if self._retriever is None or self._retriever.generation != active_generation(self.settings):
                self._retriever = Retriever(self.settings, open_store(self.settings), self.embed_model)
            return self._retriever

    @property
    def backend(self) -> tuple[str, object, str]:
        """(backend name, llama-index LLM, model name)."""
        with self._lock:
            if self._backend is None:
                self._backend = choose_backend(self.settings)
            return self._backend

    def refusal_text(self, reason: str = "not_covered") -> str:
        name = {"opinion": "refusal_opinion", "instructions": "refusal_instructions", "no_amount": "refusal_amount"}.get(reason, "refusal")
        return self.settings.prompt(name).strip()

    # -- follow-ups -----------------------------------------------------------------------
    def standalone(self, question: str, history: Iterable[dict]) -> str:
        """Rewrite a follow-up into a self-contained question (llama-index's condense step, with our prompt)."""
        turns = [h for h in history if h.get("role") in ("user", "assistant") and h.get("content")]
        turns = turns[-2 * self.settings.history_turns :]  # the most recent turns matter, not the oldest
        if not turns or not is_follow_up(question):
            return question

        def text(t: dict) -> str:
            content = " ".join(str(t["content"]).split())[:600]
            # Earlier questions are data too: instructions in them must not steer the rewrite.
            return split_instructions(content)[0] if t["role"] == "user" else content

        asked_before = [text(t) for t in turns if t["role"] == "user"]
        if asked_before and (resolved := resolve(question, asked_before[-1])):
            return resolved  # "What did he say …" after "Who is Mukhtar Tleuberdi?" (bot/pronouns.py)
        convo = "\n".join(f"{t['role'].capitalize()}: {text(t)}" for t in turns)
        prompt = self.settings.prompt("condense").format(history=convo, question=question)
        _, llm, _ = self.backend
        text = llm.complete(prompt).text.strip().splitlines()
        rewritten = text[0].strip().strip('"') if text else ""
        return rewritten if 3 <= len(rewritten) <= 400 else question

    # -- the answer -----------------------------------------------------------------------
    def prompt_passages(self, question: str, retrieved: list) -> tuple[list, list]:
        """(the passages the model is shown, the conflicts the question touches)."""
        # Where the articles disagree on what is asked, every side's sentence joins the
        # passages, so the model sees it and it can be cited.
        conflicts = find_conflicts(question, self.articles, self.settings.conflict_floor)
        passages = retrieved + claim_passages(conflicts, retrieved, self.articles)
        # Article text is data: sentences in it that address the assistant are planted
        # instructions, so the model never sees them and they can never be cited.
        return [replace(p, text=without_instructions(p.text)) for p in passages], conflicts

    def stream(self, question: str, history: Iterable[dict] = ()) -> Iterator[Delta | Sentence | Done]:
        """Yield Delta/Sentence events as the answer streams, then Done. Raises BadInput,
        LLMError (backend unavailable or failed, message in words) or StoreError."""
        question = clean_question(question)
        s = self.settings
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        rewritten = None
        not_added: list[str] = []

        def finish(sentences, citations, reason=None) -> Done:
            """reason: why the answer is a refusal (None for an answer); a refusal's `sentences`
            are the verified ones it shows as what the articles do say (see "no_amount" below)."""
            timings["total"] = time.perf_counter() - t0
            if reason:
                return Done(Answer(question, self.refusal_text(reason), True, sentences, citations, name, model, timings,
                                   rewritten, refusal_reason=reason, not_added=not_added))
            kept = [x for x in sentences if x.supported or not s.strict]
            left_out = [x.text for x in sentences if not x.supported and s.strict]
            return Done(Answer(question, render(sentences, s.strict), False, kept, citations, name, model, timings, rewritten,
                               left_out=left_out, not_added=not_added))

        name, model = "none", "none"  # no model is consulted for refusals decided before generation
        asked, _ = split_instructions(question)
        if not asked or asks_opinion(asked):
            yield finish([], [], "instructions" if not asked else "opinion")
            return
        name, llm, model = self.backend
        try:
            standalone = self.standalone(asked, history)
        except LLMError:
            raise
        except Exception as e:
            raise LLMError(describe_error(e, s)) from None
        rewritten = standalone if standalone != question else None
        if unknown_terms(standalone, self.known_text):
            yield finish([], [], "not_covered")
            return
        retrieval = self.retriever.retrieve(standalone)
        timings["retrieve"] = retrieval.seconds
        if not retrieval.covered:
            yield finish([], [], "not_covered")
            return

        passages, conflicts = self.prompt_passages(standalone, retrieval.passages)
        citer = Citer(self.articles, s.support_floor, strict=s.strict, citable=lambda t: not is_instruction(t), question=standalone)
        citer.set_passages(passages)
        sentences = []
        messages = build_messages(s, standalone, passages)
        # A begun answer (see answer.answer_lead) is the model's text so far: it is continued.
        text = messages.pop().content if messages[-1].role == MessageRole.ASSISTANT else ""
        looped = False
        cut = False  # the last generation was stopped before the model ended it (see cite_stream)

        def tokens(shown: str):
            """The model's continuation of `text`, streamed; `shown` is displayed first."""
            nonlocal text, looped, cut
            yield shown
            turns = messages + [ChatMessage(role=MessageRole.ASSISTANT, content=text)] if text else messages
            first, count, cut = True, 0, False
            for r in llm.stream_chat(turns):
                delta = r.delta or ""
                count += bool(delta)
                # Both backends stream one token a chunk: max_tokens chunks mean the limit cut it.
                cut = count >= s.max_tokens
                if "first_token" not in timings:
                    timings["first_token"] = time.perf_counter() - t0
                if first and delta:
                    first = False
                    if text and delta[:1].isalnum():  # "According to the excerpts," + "China…"
                        delta = " " + delta
                text += delta
                yield delta
                # A small model can fall into a loop; stop once its last words repeat verbatim.
                if len(text) > 160 and text[-60:] in text[:-60]:
                    looped = cut = True
                    break

        try:
            for event in cite_stream(tokens(text), citer, cut=lambda: cut):
                if isinstance(event, Sentence):
                    sentences.append(event.sentence)
                yield event
            n_kept = sum(x.supported for x in sentences)
            # With none kept, a sentence that failed on a detail (an attribute moved to another
            # owner: "Russia's response … was relatively low-key") still shows the sources hold
            # an answer; one that only restated the question does not ("The European Union did
            # not respond …" was continued into another wrong claim), nor does a refusal.
            on_track = n_kept == 1 or (n_kept == 0 and sentences and not any(RESTATES_QUESTION in x.missing for x in sentences))
            if s.add_fact and on_track and wants_more(standalone) and not looped and not is_refusal(text):
                # The 1.5B model states one fact where a question needs several (evals/DECISIONS.md).
                # Its answer is continued after "In addition," (a connective for the model only, so
                # the reader gets the fact alone); the added sentence is buffered, not streamed, so
                # that a repeat of the answer or a fact off the question is dropped unseen.
                text += " " + s.prompt("more_lead").strip()
                added, more = [], cite_stream(_capitalised(tokens("")), citer, added=True, cut=lambda: cut)
                try:
                    for event in more:
                        added.append(event)
                        if isinstance(event, Sentence):
                            break  # one fact: the model's further sentences are not asked for
                finally:
                    more.close()  # stops the generation at once
                # A fact cut off by a loop or the token limit is dropped unseen too (see cite_stream).
                unseen = NOT_ADDED | {UNFINISHED}
                if added and isinstance(added[-1], Sentence) and not unseen & set(added[-1].sentence.missing):
                    sentences.append(added[-1].sentence)
                    yield from added
                elif added and isinstance(added[-1], Sentence):
                    dropped = added[-1].sentence
                    not_added.append(f"{dropped.text} {' '.join(sorted(unseen & set(dropped.missing)))}")
        except LLMError:
            raise
        except Exception as e:
            raise LLMError(describe_error(e, s)) from None
        # Quotes the program adds after the answer (verbatim, so supported by construction): a
        # definition question gets the article's own explanation of the term (one the answer
        # has not already written out), a comparison of two terms one for each, and where the
        # sources disagree, each side the answer did not cite is quoted.
        where = {c.n: (c.article_id, c.start) for c in citer.all_citations()}
        cited: dict[tuple[str, int], str] = {}  # each sentence the answer cites -> what it says with it
        for x in sentences:
            for n in x.citations if x.supported else []:
                cited[where[n]] = f"{cited.get(where[n], '')} {x.text}"
        quotes: list[tuple[str, list[int]]] = []
        spans: list[tuple[str, int, int]] = []  # what the quotes quote: (article id, start, end)

        def quoted(article_id: str, start: int, end: int) -> None:
            # A source sentence is quoted at most once per answer: a verdict's source sentence
            # can also be a statement of the speaker asked about, or the term's explanation.
            if any(a == article_id and at < end and start < to for a, at, to in spans):
                return
            spans.append((article_id, start, end))
            art, n = self.articles[article_id], citer.cite_span(article_id, start, end)
            quotes.append((f"{art.outlet}: {quote(art.text[start:end], n)}", [n]))

        answered = [x.text for x in sentences if x.supported]
        given = set()  # one quote per source sentence, however many verdicts it gives
        for x in sentences:
            if (x.supported and x.nearest and x.nearest not in given and is_verdict(x.text, standalone)
                    and overlap(x.nearest.text, x.text) < RESTATED):
                given.add(x.nearest)
                # A verdict is the question restated ("Russia has more sway in Central Asia"):
                # the words of the sentence that gives it ("… Russia still has an upper hand in
                # Central Asian politics") are quoted, unless the verdict already says them.
                quoted(x.nearest.article_id, x.nearest.start, x.nearest.end)
        if who := asked_speaker(standalone):
            # Asked what someone said, the reader gets their words: each statement of theirs the
            # answer cites is quoted whole ("… may not be a bad result" goes on after the
            # sentence the model paraphrased), unless the answer already says it word for word.
            for said in statements(who, sentences, citer.all_citations(), self.articles):
                quoted(*said)
        defined = asked_term(standalone, self.terms)
        for term in [defined] if defined else compared_terms(standalone, self.terms):
            if span := explanation(term, self.articles, answered):
                quoted(*span)
        # The sides of a disagreement follow the answer. Alone they stand as the answer only to a
        # question about the disagreement itself ("How many people were killed?", "Was the
        # violence home-grown, or …?"): asked "Who blamed foreign militants from Afghanistan and
        # the Mideast?", with the model's one sentence left out, the reply had opened "The sources
        # differ:" with three quotes before anything said who (see conflicts.asks_disagreement).
        about_dispute = bool(conflicts) and asks_disagreement(standalone)
        if not answered and not quotes and not about_dispute and (near := citer.closest_source(sentences)):
            # Nothing the model wrote could be kept, but it pointed at the article sentence that
            # answers, and garbled a detail ("15 of the 31 cities" for "19 of Kazakhstan's 31"):
            # that sentence is quoted instead of a refusal (see Citer.closest_source).
            quoted(near.article_id, near.start, near.end)
        for conflict in conflicts if answered or quotes or about_dispute else []:
            # A claim the answer cites or a quote above quotes is named, not quoted again.
            shown = cited | {(a, at): self.articles[a].text[at:to] for a, start, end in spans
                             for at, to in sentence_spans(self.articles[a].text) if start <= at < end}
            if said := statement(conflict, citer.cite_span, shown):
                quotes.append(said)
                spans += [(c.article_id, c.start, c.end) for c in citer.all_citations() if c.n in said[1]]
        for said, numbers in quotes:
            sentence = CitedSentence(said, numbers, supported=True, score=1.0, inline=True)
            sentences.append(sentence)
            yield Delta(" " + sentence.text)
            yield Sentence(sentence)
        # Nothing verified means nothing we can stand behind: answer with the refusal.
        if not any(x.supported for x in sentences):
            yield finish([], [], "unverified" if sentences else "model")
        elif asks_amount(standalone) and not any(states_amount(x.text) for x in sentences if x.supported):
            # Asked "What prison sentence did Karim Massimov eventually receive?", the model
            # wrote "Karim Massimov was arrested for treason.": true and cited, but no answer;
            # the articles give no sentence. An amount question answered without an amount is
            # refused, with the verified sentences shown as what the articles do say.
            yield finish([x for x in sentences if x.supported], citer.all_citations(), "no_amount")
        else:
            done = finish(sentences, citer.all_citations())
            done.answer.conflicts = conflicts
            yield done

    def ask(self, question: str, history: Iterable[dict] = ()) -> Answer:
        for event in self.stream(question, history):
            if isinstance(event, Done):
                return event.answer
        raise RuntimeError("answer stream ended without a result")  # unreachable: stream always ends with Done

