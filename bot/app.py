"""The one application object: corpus, index, retriever and LLM, loaded once, used by CLI, UI and evals.

Flow per question: validate -> (rewrite a follow-up with the history) -> retrieve -> refuse
if nothing relevant -> prompt the LLM -> cite and verify each streamed sentence -> Answer.
"""

from __future__ import annotations

import functools
import math
import re
import textwrap
import threading
import time
import unicodedata
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import Iterable, Iterator

import numpy as np

from . import lexicon, people
from .answer import (
    Drafting,
    UNFINISHED,
    Answer,
    Delta,
    Done,
    Generation,
    Pointer,
    Sentence,
    build_messages,
    cite_stream,
    is_refusal,
    render,
)
from .asks import (
    asks_amount,
    asks_date,
    asks_person,
    asks_span,
    asks_successor,
    counted_noun,
    dates_the_event,
    measured_noun,
    names_in_charge,
    names_measure,
    question_parts,
    share_of,
    states_amount,
    states_date,
    states_share_of,
    states_span,
    states_succession,
    wants_more,
    words_asked_of,
)
from .cite import CitedSentence, Citer
from .conflicts import claim_passages, find_conflicts
from .corpus import load_corpus
from .embeddings import VECTORS_FILE, MiniLMEmbedding, SentenceVectors
from .guard import (
    asked_question,
    asking_sentences,
    asks_opinion,
    is_follow_up,
    is_instruction,
    knows_no_word,
    name_key,
    sources_named,
    split_instructions,
    swap_name,
    swapped_in,
    unknown_terms,
    without_instructions,
)
from .llm import LLMError, choose_backend, describe_error
from .pronouns import resolve
from .quotes import AfterAnswer, in_their_words, quotes_after
from .retrieve import Retriever
from .sentences import _initials, _stem, content_stems, ends_sentence, name_groups, previous_sentence, quote_markers, sentence_spans, words
from .speakers import statement_of
from .settings import Settings
from .store import active_generation, open_store
from .verify import NOT_ADDED, RESTATES_QUESTION
from .verify.facts import unnamed_actors
from .verify.owners import amount_owner_unnamed, post_held_elsewhere

MAX_QUESTION_CHARS = 2000
RELATED = 3  # passages offered with a refusal that no answer could be checked (Answer.related)
EXCERPT_CHARS = 200  # of the sentence each one is shown by
# A pronoun or "that" in a question's second part points at what its first part names
# ("Who is Dariga, and what part did she play …?").
_REFERS_BACK = re.compile(r"\b(?:he|she|him|his|her|hers|they|them|their|it|its|this|that|these|those)\b", re.IGNORECASE)


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


@dataclass
class Turn:
    """One question's bookkeeping while it is answered: what the Answer reports besides the text."""

    question: str
    t0: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    rewritten: str | None = None  # the stand-alone question, when a follow-up was rewritten
    not_added: list[str] = field(default_factory=list)
    backend: str = "none"  # no model is consulted for refusals decided before generation
    model: str = "none"
    passages: list = field(default_factory=list)  # the retrieved passages (for Answer.related)
    asked: str = ""  # the question less its instructions (guard.asked_question)


# The prompt file of each refusal (prompts/refusal*.txt); any other reason gets "refusal".
# "model"/"unverified": the passages were on the subject but no sentence could be checked as an
# answer, so "the articles don't cover that" would claim more than is known.
_REFUSAL_PROMPTS = {"opinion": "refusal_opinion", "instructions": "refusal_instructions", "no_amount": "refusal_amount",
                    "no_date": "refusal_date", "no_person": "refusal_person", "no_words": "refusal_words",
                    "model": "refusal_unverified", "unverified": "refusal_unverified", "unnamed": "refusal_unnamed",
                    "needs_context": "refusal_context"}


def _last_turn(history: list[dict], role: str) -> str:
    """The last `role` turn of `history`, whitespace collapsed, markers dropped, cut to 600
    characters and less any instructions in it ("" if none): earlier turns are data."""
    said = [" ".join(re.sub(r"\[\d+\]", "", str(h["content"])).split())[:600]
            for h in history if h.get("role") == role and h.get("content")]
    return split_instructions(said[-1])[0] if said else ""


class Bot:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.load()
        self.articles = {a.id: a for a in load_corpus(self.settings.corpus_dir)}
        self.corpus_text = "\n".join(f"{a.title} {a.outlet} {a.author or ''} {a.text}" for a in self.articles.values())
        self.terms = self.settings.glossary_terms()
        # What the guard counts as mentioned: the articles, plus the glossary's own names ("EAEU").
        self.known_text = self.corpus_text + "\n" + " ".join(n for t in self.terms for n in [t["term"], *t.get("match", [])])
        self.embed_model = MiniLMEmbedding()
        self.sentence_vectors = SentenceVectors(self.settings.index_dir / VECTORS_FILE)
        # The corpus's own names (profile) on top of general language data, for the checks.
        self.lexicon = lexicon.Lexicon.load(self.settings.profile())
        lexicon.use(self.lexicon)
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

    def refusal_text(self, reason: str = "not_covered", names: str = "everyone it names") -> str:
        return self.settings.prompt(_REFUSAL_PROMPTS.get(reason, "refusal")).strip().replace("{names}", names)

    @functools.cached_property
    def actors(self) -> list[frozenset[str]]:
        """Every name the articles introduce with a role (people and bodies: people.introduced_names),
        as word stems, for the check that an answer mentions whom the question asks about."""
        return [stems for name in sorted(people.introduced_names(self.articles)) if (stems := frozenset(_stem(w) for w in words(name)))]

    @functools.cached_property
    def who_is_who(self) -> list[people.Introduction]:
        """Each person the articles introduce with a role, by their best sentence (people.who_is_who),
        for "Who is …?" questions (quotes.person_quotes); about 0.1 s, so once per process."""
        return people.who_is_who(self.articles)

    @functools.cached_property
    def name_kinds(self) -> list[frozenset[str]]:
        """Kinds of names an "And X?" follow-up swaps one for another (guard.swap_name): the
        outlets, as named or by their initials ("the FT"), and the states and capitals."""
        outlets = {a.outlet for a in self.articles.values()}
        keys = {name_key(o) for o in outlets}
        initials = {i for o in outlets for i in _initials(o) if len(i) > 1}  # "ft", "wsj"; not "I"
        return [frozenset(keys | initials), frozenset(lexicon.current().states)]

    @functools.cached_property
    def bodies(self) -> list[tuple[frozenset[str], ...]]:
        """The corpus profile's glossary terms (the bodies a newcomer needs explained), each as
        its names' word stems ("CSTO", "Collective Security Treaty"), for the same check. Only
        capitalised names of a question are ever checked, so a term written in lower case
        ("colour revolution") never is."""
        return [names for t in self.terms
                if (names := tuple(stems for n in [t["term"], *t.get("match", [])] if (stems := frozenset(_stem(w) for w in words(n)))))]

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

        before = self._asked_before(turns)
        if before and (resolved := resolve(question, before)):
            return resolved  # "What did he say …" after "Who is Mukhtar Tleuberdi?" (bot/pronouns.py)
        convo = "\n".join(f"{t['role'].capitalize()}: {text(t)}" for t in turns)
        prompt = self.settings.prompt("condense").format(history=convo, question=question)
        _, llm, _ = self.backend
        lines = llm.complete(prompt).text.strip().splitlines()
        rewritten = lines[0].strip().strip('"') if lines else ""
        # "And police?" asks the question before it again about police: a rewrite without the new
        # thing's words ("How many civilians died …?") asks the old question, not this one; one
        # without the old question's words ("The Spectator?", "What about the Financial Times?")
        # asks nothing, and one that repeats both questions has not rewritten them.
        new = swapped_in(question)
        said, asked = content_stems(rewritten), content_stems(" ".join(text(t) for t in turns if t["role"] == "user"))
        asks_new = not new or (content_stems(new) <= said and (not asked or (said - content_stems(new)) & asked)
                               and question.strip() not in rewritten)
        if 3 <= len(rewritten) <= 400 and "?" in rewritten and asks_new:
            return rewritten
        # "And Russia?" after "How did China react …?" (guard.swap_name); not after another "And …?"
        if new and before and not swapped_in(before) and (swapped := swap_name(before, new, self.name_kinds)):
            return swapped
        # No question came back ("Who said that?" rewritten "Some Chinese experts said that."): the
        # question before it gives what this one leans on, so both are asked.
        return f"{before} {question}" if before else question

    # -- the answer -----------------------------------------------------------------------
    def prompt_passages(self, question: str, retrieved: list) -> tuple[list, list]:
        """(the passages the model is shown, the conflicts the question touches)."""
        # Where the articles disagree on what is asked, every side's sentence joins the
        # passages, so the model sees it and it can be cited.
        conflicts = find_conflicts(question, self.articles, self.settings.conflict_floor, self.settings.contested_path)
        passages = retrieved + claim_passages(conflicts, retrieved, self.articles)
        # Article text is data: sentences in it that address the assistant are planted
        # instructions, so the model never sees them and they can never be cited.
        return [replace(p, text=without_instructions(p.text)) for p in passages], conflicts

    def stream(self, question: str, history: Iterable[dict] = ()) -> Iterator[Delta | Sentence | Done]:
        """Yield Delta/Sentence events as the answer streams, then Done. Raises BadInput,
        LLMError (backend unavailable or failed, message in words) or StoreError.

        Steps: guard -> rewrite -> retrieve -> generate and verify -> add a fact -> quotes after
        the answer -> refuse or finish."""
        turn = Turn(clean_question(question))
        lexicon.use(self.lexicon)  # this corpus's names, should another Bot have set its own
        asked = turn.asked = asked_question(turn.question)
        if not asked or asks_opinion(asked):  # guard: no model is consulted for these
            yield self._done(turn, [], [], "instructions" if not asked else "opinion")
            return
        turn.backend, llm, turn.model = self.backend
        history = list(history)  # read twice: by the rewrite and for what the user wrote
        standalone = self._rewrite(turn, asked, history)
        said = " ".join([asked, *(str(h.get("content") or "") for h in history)])
        if unknown_terms(standalone, self.known_text, said=said) or (not history and knows_no_word(standalone, self.known_text)):
            yield self._done(turn, [], [], self._uncovered(asked, history))
            return
        retrieval = self.retriever.retrieve(standalone)
        if not retrieval.covered and (turn.rewritten or is_follow_up(asked)) and (before := self._asked_before(history)):
            # A rewrite that finds nothing in the articles has lost what the question leans on
            # ("Why risky?" rewritten "Why is it risky?"): the question before it is asked with it.
            # Retrieval runs once more (MiniLM, no model call) only where the answer was a refusal.
            both = f"{before} {asked}"
            if (again := self.retriever.retrieve(both)).covered and not unknown_terms(both, self.known_text, said=said):
                standalone, retrieval, turn.rewritten = both, again, both
        said_last = self._said_last(history) if turn.rewritten or is_follow_up(asked) else ""
        if retrieval.covered and said_last:
            # Whether the articles cover it is the question's own retrieval (above); the last
            # answer only lends the passage it leans on (Retriever.with_context).
            retrieval = self.retriever.with_context(retrieval, said_last)
        if retrieval.covered and (named := sources_named(standalone, self.articles.values())):
            retrieval = self.retriever.with_source(retrieval, named)  # "What does the FT say …?"
        turn.timings["retrieve"] = retrieval.seconds
        turn.passages = retrieval.passages
        if not retrieval.covered:
            yield self._done(turn, [], [], self._uncovered(asked, history))
            return
        passages, conflicts = self.prompt_passages(standalone, retrieval.passages)
        citer = Citer(self.articles, self.settings.support_floor, strict=self.settings.strict,
                      citable=lambda t: not is_instruction(t), question=standalone, vectors=self.sentence_vectors)
        citer.set_passages(passages)
        gen = Generation(llm, build_messages(self.settings, standalone, passages), self.settings.max_tokens, turn.timings, turn.t0)
        sentences: list[CitedSentence] = []
        shown: list[tuple[str, int, int]] = []  # article sentences quoted so far
        try:
            # generate and verify, then add a fact (it reads the sentences kept before it starts)
            steps = chain(cite_stream(gen.tokens(gen.text), citer, cut=lambda: gen.cut),
                          self._add_fact(turn, gen, citer, sentences, standalone))
            for event in self._in_their_words(steps, citer, shown):
                if isinstance(event, Sentence):
                    sentences.append(event.sentence)
                yield event
        except LLMError:
            raise
        except Exception as e:
            raise LLMError(describe_error(e, self.settings)) from None
        after = AfterAnswer(self.articles, self.terms, standalone, list(sentences), citer, conflicts, spans=list(shown),
                            said_last=said_last, people=self.who_is_who)
        for quoted in quotes_after(after):
            sentences.append(quoted)
            yield Delta(" " + quoted.text)
            yield Sentence(quoted)
        yield self._verdict(turn, standalone, sentences, citer, conflicts)

    # -- the steps ------------------------------------------------------------------------
    def _rewrite(self, turn: Turn, asked: str, history: Iterable[dict]) -> str:
        """A follow-up as a stand-alone question (see standalone); a failure is said in words."""
        try:
            standalone = self.standalone(asked, history)
        except LLMError:
            raise
        except Exception as e:
            raise LLMError(describe_error(e, self.settings)) from None
        turn.rewritten = standalone if standalone != turn.question else None
        return standalone

    def _said_last(self, history: list[dict]) -> str:
        """The assistant's last answer in `history`, less markers and instructions; "" if there is
        none or it was this bot's refusal (its words would only draw an arbitrary passage)."""
        said = _last_turn(history, "assistant")
        return "" if any(said.startswith(opening) for opening in self._refusal_openings) else said

    @functools.cached_property
    def _refusal_openings(self) -> list[str]:
        """How each of the bot's refusals begins (up to a name it fills in), as the UI keeps it."""
        openings = (" ".join(self.settings.prompt(name).split("{names}")[0].split()) for name in {"refusal", *_REFUSAL_PROMPTS.values()})
        return [o for o in openings if o]  # a refusal opening with the name would match any answer

    @staticmethod
    def _uncovered(asked: str, history: list[dict]) -> str:
        """Why nothing in the articles answers `asked`: "Why?", "Such as?" or "And then?" asked
        first leans on a conversation there is not, which the reader is told, rather than that
        the articles do not cover it."""
        return "needs_context" if not history and words(asked) and not content_stems(asked) else "not_covered"

    @staticmethod
    def _asked_before(history: list[dict]) -> str:
        """The user's last question before this one, less any instructions in it ("" if none)."""
        return _last_turn(history, "user")

    def _add_fact(self, turn: Turn, gen: Generation, citer: Citer, sentences: list, standalone: str) -> Iterator[Delta | Sentence]:
        """The 1.5B model states one fact where a question needs several (evals/DECISIONS.md):
        its answer is continued after "In addition," (a connective for the model only, so the
        reader gets the fact alone). The added sentence is buffered, not streamed, so that a
        repeat of the answer or a fact off the question is dropped unseen."""
        n_kept = sum(x.supported for x in sentences)
        # With none kept, a sentence that failed on a detail (an attribute moved to another
        # owner: "Russia's response … was relatively low-key") still shows the sources hold
        # an answer; one that only restated the question does not ("The European Union did
        # not respond …" was continued into another wrong claim), nor does a refusal.
        on_track = n_kept == 1 or (n_kept == 0 and sentences and not any(RESTATES_QUESTION in x.missing for x in sentences))
        if not (self.settings.add_fact and on_track and wants_more(standalone) and not gen.looped and not is_refusal(gen.text)):
            return
        gen.text += " " + self.settings.prompt("more_lead").strip()
        added, more = [], cite_stream(_capitalised(gen.tokens("")), citer, added=True, cut=lambda: gen.cut)
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
            yield from added
        elif added and isinstance(added[-1], Sentence):
            dropped = added[-1].sentence
            turn.not_added.append(f"{dropped.text} {' '.join(sorted(unseen & set(dropped.missing)))}")

    def _in_their_words(self, events: Iterator[Delta | Sentence], citer: Citer, shown: list) -> Iterator[Delta | Sentence]:
        """answer_style "quotes": each verified sentence reaches the reader as the article sentences
        it cites (quotes.in_their_words). The model's words are held until their sentence is
        checked and shown only when it is not kept (listed as left out), so a reader never sees a
        paraphrase flash by before the quote replaces it."""
        if self.settings.answer_style != "quotes":
            yield from events
            return
        held: list[Delta] = []
        for event in events:
            if isinstance(event, Delta):
                held.append(event)
                yield Drafting(len("".join(h.text for h in held).split()))  # a sentence is a few dozen tokens
                continue
            if event.sentence.supported:
                if quoted := in_their_words(event.sentence, citer, self.articles, shown):
                    yield Delta(" " + quoted.text)
                    yield Sentence(quoted)
            else:
                yield from held
                yield event
            held = []
        yield from held

    def _verdict(self, turn: Turn, standalone: str, sentences: list, citer: Citer, conflicts: list) -> Done:
        """Refuse or finish. Nothing verified means nothing we can stand behind: the refusal."""
        if not any(x.supported for x in sentences):
            return self._done(turn, [], [], "unverified" if sentences else "model")
        kept = [x for x in sentences if x.supported]
        # The amount may be in the model's words or in what the reader is shown (the article
        # sentence it cites: "Sixty attacks" was written for "More than 60 Jihadi attacks …").
        texts = [text for x in kept for text in {x.said or x.text, x.text}]
        shown = " ".join(texts)
        # A quote is read in its context, the article sentence before it, as a reader takes it:
        # "He kicked against the traces …" follows the sentence naming Tokayev, a speaker's words
        # ("There is a strong consensus …") the sentence naming the speaker, "this message" the
        # sentence saying whose. Reading only quotes that open with a pronoun refused two right
        # answers of that kind on dev (evals/DECISIONS.md, 2026-12-06).
        cited = {n for x in kept for n in [*x.citations, *quote_markers(x.text)]}
        for c in citer.all_citations():
            art = self.articles.get(c.article_id)
            if c.n in cited and art is not None and (span := previous_sentence(art.text, c.start)):
                shown += " " + art.text[span[0]:span[1]]
        # Each part of a two-part question is checked on its own ("How long is the border, and what
        # has Beijing done …?"): one part the articles leave open is said, not a refusal of the
        # other. The amount is read from the rewritten question, the names from the user's own
        # words (a follow-up's rewrite brings names from earlier turns) and only the sentences
        # that ask (a sentence setting the scene may name someone the answer is not about).
        by_amount, by_name = question_parts(standalone), question_parts(asking_sentences(turn.asked))
        if len(by_amount) != len(by_name):  # the rewrite split otherwise: the question as a whole
            by_amount, by_name = [standalone], [asking_sentences(turn.asked)]
        # What a part asks for that no shown sentence gives: an amount, a date, who took or holds a
        # post, what a named person said.
        quotes = [c for c in citer.all_citations() if c.n in cited]
        lacks = [self._figure_missing(part, texts, [c.quote for c in quotes]) or self._person_missing(part, [x.text for x in kept])
                 or self._words_missing(part, quotes) for part in by_amount]
        speakers = [words_asked_of(part) for part in by_amount]  # whose words no_words misses
        unnamed: list[list[str]] = []
        for part, asked in zip(by_name, by_amount):
            missing = unnamed_actors(part, shown, self.actors, self.bodies, lexicon.cities())
            missing += [n for n in self._owners_missing(asked, part, shown, quotes) if n not in missing]
            # "… and what did he say?" asks about whom the part before it names.
            if unnamed and _REFERS_BACK.search(part):
                missing = list(dict.fromkeys([*unnamed[-1], *missing]))
            unnamed.append(missing)
        failed = [i for i in range(len(by_name)) if lacks[i] or unnamed[i]]
        if len(failed) == len(by_name):
            # Asked "What prison sentence did Karim Massimov eventually receive?", the model
            # wrote "Karim Massimov was arrested for treason.": true and cited, but no answer;
            # the articles give no sentence. An amount question answered without an amount (or,
            # asked for a population or a price, without a figure of that kind) is refused.
            # Asked "What did Wang Yi say to Putin about the CSTO mission?", the model quoted Wang
            # Yi on something else: true, cited, and never about Putin. A person, body or city the
            # user names that no shown sentence mentions means the answer is not about what was
            # asked. Either way the verified sentences are shown as what the articles do say.
            if lacks[0]:
                return self._done(turn, kept, citer.all_citations(), lacks[0], names=speakers[0])
            names = " or ".join(dict.fromkeys(n for m in unnamed for n in m))
            return self._done(turn, kept, citer.all_citations(), "unnamed", names=names)
        notes = [self.part_note(by_name[i], lacks[i] or "unnamed", speakers[i] if lacks[i] else " or ".join(unnamed[i])) for i in failed]
        done = self._done(turn, sentences, citer.all_citations(), unanswered=notes)
        done.answer.conflicts = conflicts
        return done

    def _figure_missing(self, question: str, texts: list[str], quotes: list[str]) -> str | None:
        """"no_amount" or "no_date" when `question` asks for an amount or a time that none of
        `texts` gives; None when they give it or none is asked. A time is a figure of the
        calendar: asked "On what date did the first flight leave?", a true sentence with no date
        is no answer either. It is read in the cited `quotes` alone, each on its own, and must be
        the time of what is asked (dates_the_event): the model's "X was arrested on 6 January"
        joins an arrest from one quote to another quote's "sacked on 6 January"."""
        if asks_date(question):
            return None if any(states_date(q, question) and dates_the_event(q, question, self.alike)
                               for q in quotes) else "no_date"
        if not asks_amount(question):
            return None
        counted, measure, whole = counted_noun(question), measured_noun(question), share_of(question)
        # A span asked ("How long …?") needs a time or a length said somewhere in the answer, not
        # necessarily beside its figure: "since the early days of the … era" has no number.
        if any(states_amount(t, counted, self.alike) and names_measure(t, measure, self.alike)
               and states_share_of(t, whole, self.alike) for t in texts) and (
                not asks_span(question) or any(states_span(t, question) for t in texts)):
            return None
        return "no_amount"

    def _owners_missing(self, question: str, named: str, shown: str, quotes: list) -> list[str]:
        """Asked an amount (`question`), the owners the user named (`named`: their own words, as a
        follow-up's rewrite brings in names of earlier turns) that the answer does not name: a
        place, people, body or person that neither `shown` (the quotes and the sentence before
        each) nor the cited articles' outlets, authors and titles name (verify.owners.
        amount_owner_unnamed). Kazakh Muslims' 10 per cent is no share of Kyrgyz Muslims. Places
        are checked for amounts only: elsewhere answers leave them implicit (evals/DECISIONS.md)."""
        if not asks_amount(question):
            return []
        arts = [a for a in (self.articles.get(c.article_id) for c in quotes) if a is not None]
        known = " ".join(f"{a.outlet}. {a.author or ''}. {a.title}." for a in arts)
        return amount_owner_unnamed(named, shown, known)

    def _person_missing(self, question: str, shown: list[str]) -> str | None:
        """"no_person" when `question` asks who took or holds a post ("Who replaced Karim Massimov as
        head of …?", "Who heads …?", asks.asks_person) and no shown sentence names a person the
        articles introduce other than those the question names, nor says by whom it is run. Asked
        that, "The head of Kazakhstan's intelligence services was sacked on 6 January." is true,
        cited and no answer. The quotes alone are read, without the sentence before each: the
        context names the story's leaders, who answer nothing here."""
        if not asks_person(question):
            return None
        # Whoever took a post is named by a sentence saying that someone took it: the post's holder
        # at another time or in another country answers nothing of who came next.
        if asks_successor(question) and not any(states_succession(t) for t in shown):
            return "no_person"
        # Asked for one country's holder of a post, a holder of it for another answers nothing.
        if post_held_elsewhere(question, " ".join(shown)):
            return "no_person"
        if any(names_in_charge(t, question) for t in shown):
            return None
        asked = {_stem(w) for w in words(question)}
        said = {_stem(w) for t in shown for w in words(t)}
        bodies = {n for names in self.bodies for n in names}  # the glossary's bodies hold no post
        return None if any(name & said and not name & asked and name not in bodies for name in self.actors) else "no_person"

    def _words_missing(self, question: str, quotes: list) -> str | None:
        """"no_words" when `question` asks what a named person said (asks.words_asked_of) and no
        cited quote is given by its article as theirs (speakers.statement_of: their name with a
        verb of saying, or a quotation going on from such a sentence). Asked "What has Karim
        Massimov said in his defence?", a sentence about his arrest is true, cited and no answer.
        An outlet or an author asked about speaks in the whole article, so is not checked."""
        who = words_asked_of(question)
        name = {w for g in name_groups(who) for w in g} - self.writers
        if not name:
            return None
        found = any((art := self.articles.get(c.article_id)) is not None and statement_of(art.text, c.start, c.end, name)
                    for c in quotes)
        return None if found else "no_words"

    @functools.cached_property
    def writers(self) -> frozenset[str]:
        """The words of the outlets' and authors' names: an article is all theirs."""
        return frozenset(w for a in self.articles.values() for n in (a.outlet, a.author or "") for w in words(n))

    def part_note(self, part: str, reason: str, names: str = "") -> str:
        """What the answer says of a part of the question it leaves open (`reason` as a refusal's:
        no_amount, no_date, no_person, no_words with the speaker as `names`, unnamed with the
        `names` nothing shown mentions)."""
        part = part[:1].upper() + part[1:]
        return self.settings.prompt(f"part_{reason}").strip().replace("{part}", part).replace("{names}", names)

    def closest_passages(self, question: str, passages: list, n: int = RELATED) -> list[Pointer]:
        """The first `n` retrieved passages from different articles (retrieval order), each shown
        by its sentence closest to the question: where a reader would start reading."""
        out, seen = [], set()
        q = None
        for p in passages:
            art = self.articles.get(p.article_id)
            if art is None or art.id in seen:
                continue
            # Whole sentences of the passage only (not a heading or a fragment cut at its edge),
            # and never one addressed to the assistant, which the model was not shown either.
            spans = [(a, b) for a, b in sentence_spans(art.text[p.start:p.end], p.start)
                     if len(art.text[a:b].split()) >= 5 and ends_sentence(art.text[a:b]) and not is_instruction(art.text[a:b])]
            if not spans:
                continue
            seen.add(art.id)
            if q is None:
                q = self.embed_model.get_query_embedding(question)
            vectors = self.sentence_vectors.vectors([art.text[a:b] for a, b in spans])
            a, b = spans[int((vectors @ np.asarray(q, dtype=np.float32)).argmax())]
            excerpt = textwrap.shorten(art.text[a:b], EXCERPT_CHARS, placeholder=" …")
            out.append(Pointer(art.id, art.title, art.outlet, art.date, art.url, a, b, excerpt))
            if len(out) == n:
                break
        return out

    def alike(self, a: str, b: str) -> float:
        """How close two words are in meaning: the cosine of their MiniLM embeddings (cached)."""
        va, vb = self._word_vector(a), self._word_vector(b)
        return float(sum(x * y for x, y in zip(va, vb)))

    @functools.lru_cache(maxsize=4096)  # noqa: B019  (one Bot per process; words repeat across questions)
    def _word_vector(self, word: str) -> tuple[float, ...]:
        v = self.embed_model.get_text_embedding(word)
        norm = math.sqrt(sum(x * x for x in v)) or 1.0
        return tuple(x / norm for x in v)

    def _done(self, turn: Turn, sentences: list, citations: list, reason: str | None = None, names: str = "",
              unanswered: list[str] | None = None) -> Done:
        """reason: why the answer is a refusal (None for an answer); a refusal's `sentences` are
        the verified ones it shows as what the articles do say (see "no_amount" in _verdict)."""
        turn.timings["total"] = time.perf_counter() - turn.t0
        common = dict(backend=turn.backend, model=turn.model, timings=turn.timings, standalone_question=turn.rewritten, not_added=turn.not_added)
        if reason:
            related = self.closest_passages(turn.rewritten or turn.question, turn.passages) if reason in ("model", "unverified") else []
            text = self.refusal_text(reason, names) if names else self.refusal_text(reason)
            return Done(Answer(turn.question, text, True, sentences, citations, refusal_reason=reason,
                               related=related, **common))
        strict = self.settings.strict
        kept = [x for x in sentences if x.supported or not strict]
        left_out = [x.text for x in sentences if not x.supported and strict]
        return Done(Answer(turn.question, render(sentences, strict), False, kept, citations, left_out=left_out,
                           unanswered=unanswered or [], **common))

    def ask(self, question: str, history: Iterable[dict] = ()) -> Answer:
        for event in self.stream(question, history):
            if isinstance(event, Done):
                return event.answer
        raise RuntimeError("answer stream ended without a result")  # unreachable: stream always ends with Done

