"""Attach citations: the program, not the model, decides what supports what.

Each answer sentence is aligned to the article sentence(s) inside the retrieved passages that
best support it (MiniLM cosine blended with content-word overlap). It is `supported` when
that score clears a floor and no check of the verifier (bot/verify) finds anything the cited
sentences fail to support. Spans are whole article sentences with offsets into the article
body, so a quote is always verbatim corpus text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .corpus import Article
from .embeddings import SentenceVectors, embed
from .sentences import (
    _LEAD,
    _ROLE_VERB,
    _stem,
    content_stems,
    ends_sentence,
    fuller_sentence,
    idf_table,
    key_facts,
    opening_name,
    overlap,
    previous_sentence,
    sentence_spans,
    words,
)
from .verify import (
    NOT_ADDED,
    RESTATES_QUESTION,
    SUBJECT_LEFT_OUT,
    SUBJECT_LOST,
    Claim,
    is_verdict,
    verify,
)
from .verify.facts import missing_facts, unnamed

# --- alignment ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    article_id: str
    start: int
    end: int
    text: str


@dataclass
class Citation:
    n: int
    article_id: str
    title: str
    outlet: str
    author: str | None
    date: str | None
    url: str | None
    quote: str
    start: int
    end: int


@dataclass
class CitedSentence:
    text: str
    citations: list[int] = field(default_factory=list)
    supported: bool = False
    score: float = 0.0
    missing: list[str] = field(default_factory=list)
    inline: bool = False  # quotes written by the program, with their [n] markers inside `text`
    nearest: Span | None = None  # the candidate sentence that matched it best, kept or not
    said: str = ""  # the model's sentence an inline quote stands for (Settings.answer_style "quotes")


# How much less than the support floor the closest-source quote may match (see Citer.closest_source).
# Chosen on dev (replay, 2026-12-05): 0.20 to 0.25 give the same answers, 4 fewer false refusals
# than 0.05 (right quotes the model paraphrased at 0.41-0.51); from 0.30 a `refuse` item is
# answered with an off-point quote (0.32). The smaller end of the plateau, as the safer one.
CLOSEST_MARGIN = 0.20


@lru_cache(maxsize=4)
def _corpus_idf(texts: tuple[str, ...]) -> dict[str, float]:
    return idf_table([t[s:e] for t in texts for s, e in sentence_spans(t)])


class Citer:
    """Aligns answer sentences to candidate spans drawn from the retrieved passages."""

    def __init__(self, articles: dict[str, Article], support_floor: float, strict: bool = False, max_spans: int = 2,
                 citable=lambda sentence: True, question: str = "", vectors: SentenceVectors | None = None):
        self.articles = articles
        self.sentence_vectors = vectors or SentenceVectors()  # the article sentences' vectors
        self.question = question  # what the answer is to; a sentence that only restates it is a verdict
        self.floor = support_floor
        self.strict = strict
        self.citable = citable  # e.g. not a planted instruction (see guard.is_instruction)
        self.max_spans = max_spans
        self.spans: list[Span] = []
        self._seen: set[tuple[str, int]] = set()
        self.idf = _corpus_idf(tuple(a.text for _, a in sorted(articles.items())))
        self.vectors = np.zeros((0, 384), dtype=np.float32)
        self.citations: dict[Span, Citation] = {}
        self.kept: list[str] = []  # the answer's supported sentences so far
        self._before: dict[tuple[str, int], str] = {}  # (article, start) of a span -> the article sentence before it
        self._subject_lost = False  # the last sentence was left out for its subject (see `cite`)

    def set_passages(self, passages) -> None:
        """Add candidate spans: every article sentence that overlaps a retrieved passage."""
        seen = self._seen
        for p in passages:
            art = self.articles.get(p.article_id)
            if art is None:
                continue
            before = ""
            for s, e in sentence_spans(art.text):
                prior, before = before, art.text[s:e]
                # Headings (no closing punctuation) name a topic; they assert nothing to cite.
                if not ends_sentence(art.text[s:e]) or not self.citable(art.text[s:e]):
                    continue
                if e > p.start and s < p.end and (art.id, s) not in seen:
                    seen.add((art.id, s))
                    self.spans.append(Span(art.id, s, e, art.text[s:e]))
                    self._before[(art.id, s)] = prior  # context a membership claim may need
        self.vectors = self.sentence_vectors.vectors([s.text for s in self.spans])

    def _score(self, sentence: str, cos: np.ndarray) -> np.ndarray:
        """Cosine (given, one per candidate) and IDF-weighted word overlap, equally weighted."""
        lex = np.array([overlap(sentence, s.text, self._known([i]), self.idf) for i, s in enumerate(self.spans)])
        return 0.5 * cos + 0.5 * lex

    def cite(self, text: str, added: bool = False) -> CitedSentence:
        """Align one answer sentence; citation numbers go only to sentences that are kept.

        `added`: a sentence the model wrote when asked for one more fact (see app.Bot.stream).
        It must cite a sentence the answer has not cited yet, else it repeats the answer, and
        name its subject: "In addition, he was the head of the intelligence services" pinned
        Massimov's post on Nazarbayev, and nothing here can tell who "he" is.
        """
        out = CitedSentence(text=text)
        sentence = _ROLE_VERB.sub("is", _LEAD.sub("", text))  # "According to the excerpts, X": the claim is X
        if not self.spans:
            out.missing = sorted(key_facts(sentence))
            return out
        vec = embed([sentence])[0]
        cos = self.vectors @ vec  # closeness in meaning to every candidate sentence
        scores = self._score(sentence, cos)
        # A verdict ("Russia has more sway in Central Asia") has only the question's words, so
        # word overlap cannot pick its source: the sentence closest in meaning does ("Russia
        # still has an upper hand in Central Asian politics"), and must say it (see below).
        verdict = is_verdict(text, self.question)
        order = list(np.argsort(-scores))
        if verdict:  # a second span, naming what the sayer leaves implicit, is still chosen by score
            sayer = int(np.argmax(cos))
            order = [sayer] + [i for i in order if i != sayer]
        chosen = [order[0]]
        # A second span is added only when it supplies facts the first one lacks
        # (synthesis across sentences or articles), never just to pad the list.
        missing = missing_facts(sentence, self.spans[order[0]].text, self._known([order[0]]))
        for j in order[1:8]:
            if not missing or len(chosen) >= self.max_spans:
                break
            still = missing_facts(sentence, " ".join(self.spans[i].text for i in chosen + [j]), self._known(chosen + [j]))
            if len(still) < len(missing):
                chosen.append(j)
                missing = still
        if len(chosen) < self.max_spans:
            chosen += self._word_span(sentence, chosen, order, scores)
        out.score = float(scores[order[0]])
        out.nearest = self.spans[order[0]]
        if len(chosen) > 1:
            combined = " ".join(self.spans[i].text for i in chosen)
            out.score = max(out.score, 0.5 * float(embed([combined])[0] @ vec) + 0.5 * overlap(sentence, combined, self._known(chosen), self.idf))
        claim = Claim(sentence, chosen, self, added=added, verdict=verdict, closeness=float(cos[order[0]]))
        out.missing = verify(claim)  # each check names what the cited sentences fail to support
        if verdict and RESTATES_QUESTION not in out.missing:
            out.score = max(out.score, claim.closeness)  # a verdict's support is its closeness (see checks.verdict_said)
        out.supported = out.score >= self.floor and not out.missing
        if out.supported:
            self.kept.append(sentence)
        self._subject_lost = not out.supported and (
            any(SUBJECT_LOST in x or x == SUBJECT_LEFT_OUT for x in out.missing) or bool(opening_name(sentence) & set(out.missing)))
        if out.supported or (not self.strict and not NOT_ADDED & set(out.missing)):
            out.citations = list(dict.fromkeys(self._number(self._shown(self.spans[i])) for i in chosen))
        return out

    def _shown(self, span: Span) -> Span:
        """What a citation of `span` shows: the span, or the fuller sentence of its article that
        says all it says and goes on. A caption repeating the first half of a sentence ("Chinese
        companies account for around 17% of the oil extracted from Kazakhstan.") had been cited
        without "…, according to 2019 estimates from the Carnegie Moscow Center." """
        text = self.articles[span.article_id].text
        fuller = fuller_sentence(text, span.start, span.end)
        return span if fuller is None else Span(span.article_id, *fuller, text[fuller[0]:fuller[1]])

    def _word_span(self, sentence: str, chosen: list[int], order: list[int], scores: np.ndarray) -> list[int]:
        """A second span for the claim's words the first lacks, when names and numbers needed none.

        "Dariga was sacked as chairman of the Senate", first aligned to the sentence on her
        election "as chairman of the Senate" (more shared words), needs "Dariga was sacked as
        chairman of the Senate." beside it; "Massimov was arrested for treason" needs "… facing
        trial on charges of state treason" beside "the arrest of Karim Massimov". The span must
        itself be as close to the claim as a kept sentence (score ≥ the support floor).
        """
        have = {_stem(w) for i in chosen for w in words(self.spans[i].text)} | {_stem(w) for w in words(self._known(chosen))}
        lacking = {w for w in content_stems(sentence) - have if not w.isdigit()}  # numbers: see missing_facts
        for j in order[1:8]:
            if not lacking or scores[j] < self.floor:
                break
            if j not in chosen and lacking & {_stem(w) for w in words(self.spans[j].text)}:
                return [j]
        return []

    def closest_source(self, dropped: list[CitedSentence]) -> Span | None:
        """The article sentence to quote when no sentence of the answer could be kept, or None.

        The model often points at the right sentence and garbles one detail: "15 of the 31
        cities experienced violence" for "There was violence in 19 of Kazakhstan's 31 cities;
        15 of these cities were close to foreign borders". The reader is better served by that
        sentence, quoted, than by a refusal. It must match the dropped sentence well enough to be
        the one it paraphrases (score ≥ the support floor − CLOSEST_MARGIN: what is shown is the
        article's sentence, not the model's words), the dropped sentence must not merely
        restate the question (a bare verdict points at no particular sentence), and it must
        name everything the question names: "Armenia contributed 2,500 troops" matches
        Putin's 2,500 troops, which do not answer "How many soldiers did Armenia send?".
        """
        fits = [x for x in dropped if x.nearest and x.score >= self.floor - CLOSEST_MARGIN and not x.supported
                and not ({RESTATES_QUESTION} | NOT_ADDED) & set(x.missing)]
        # A sentence naming all the question names itself comes first; one that names some only
        # in its outlet or the sentence before it ("Tokayev pounced. The Kazakhstan cabinet …
        # was sacked.") is the next best, as a reader takes it in context.
        for named in (lambda span: span.text, self._as_read):
            if tier := [x for x in fits if not unnamed(self.question, named(x.nearest))]:
                return max(tier, key=lambda x: x.score).nearest
        return None

    def _as_read(self, span: Span) -> str:
        """A quote as the reader takes it: with its outlet and author (shown before it) and the
        article sentence before it ("Tokayev pounced. The Kazakhstan cabinet … was sacked.")."""
        art = self.articles[span.article_id]
        before = previous_sentence(art.text, span.start)
        return " ".join([art.outlet, art.author or "", art.text[before[0]:before[1]] if before else "", span.text])

    def _known(self, idx: list[int]) -> str:
        arts = {self.articles[self.spans[i].article_id] for i in idx}
        # each name on its own, so that its initials are read apart ("FT", not "FT" + the author's)
        return ". ".join(f"{a.outlet}. {a.author or ''}" for a in arts)

    def _number(self, span: Span) -> int:
        if span not in self.citations:
            art = self.articles[span.article_id]
            self.citations[span] = Citation(
                n=len(self.citations) + 1, article_id=art.id, title=art.title, outlet=art.outlet,
                author=art.author, date=art.date, url=art.url, quote=span.text, start=span.start, end=span.end,
            )
        return self.citations[span].n

    def cite_span(self, article_id: str, start: int, end: int) -> int:
        """Number for a span quoted as is (its text is the article's own, so it needs no check)."""
        art = self.articles[article_id]
        return self._number(Span(article_id, start, end, art.text[start:end]))

    def all_citations(self) -> list[Citation]:
        return sorted(self.citations.values(), key=lambda c: c.n)
