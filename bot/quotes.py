"""Quotes the program adds after the model's answer: verbatim source sentences, so supported by
construction. Each source is one function with one signature, `source(after) -> None`: it reads
the answer from `after` and quotes through `after.quote(...)`; `QUOTE_SOURCES` is their order.

Why by hand: llama-index's citation engines cite the passages a response came from, they do not
choose further sentences to show; these rules pick which article sentence a reader needs next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .cite import CitedSentence, Citer
from .conflicts import asks_disagreement, statement
from .glossary import RESTATED, asked_term, compared_terms, explanation
from .people import asked_who, same_person
from .sentences import antecedents, overlap, quote, sentence_spans
from .speakers import asked_speaker, speaker_before, statements
from .verify import is_verdict


@dataclass
class AfterAnswer:
    """The answer the quotes follow, and the quotes chosen so far."""

    articles: dict
    terms: list
    question: str  # the stand-alone question
    sentences: list[CitedSentence]  # the model's sentences, verified
    citer: Citer
    conflicts: list
    quotes: list[tuple[str, list[int]]] = field(default_factory=list)  # (text shown, its citation numbers)
    spans: list[tuple[str, int, int]] = field(default_factory=list)  # what the quotes quote: (article id, start, end)
    said_last: str = ""  # a follow-up's last answer in the conversation ("" for a question of its own)
    people: list = field(default_factory=list)  # people.Introduction of each person introduced with a role

    def __post_init__(self):
        self.answered = [x.text for x in self.sentences if x.supported]
        where = {c.n: (c.article_id, c.start) for c in self.citer.all_citations()}
        self.cited: dict[tuple[str, int], str] = {}  # each sentence the answer cites -> what it says with it
        for x in self.sentences:
            for n in x.citations if x.supported else []:
                self.cited[where[n]] = f"{self.cited.get(where[n], '')} {x.text}"
        self.about_dispute = bool(self.conflicts) and asks_disagreement(self.question)

    def quote(self, article_id: str, start: int, end: int) -> None:
        # A source sentence is quoted at most once per answer: a verdict's source sentence can
        # also be a statement of the speaker asked about, or the term's explanation, and the
        # answer itself may be quotes (answer_style "quotes"). What is left of the span is
        # quoted: a statement whose first sentence the answer quoted goes on with the rest.
        text, pieces = self.articles[article_id].text, [(start, end)]
        for a, at, to in self.spans:
            if a == article_id:
                pieces = [p for s, e in pieces for p in ((s, min(e, at)), (max(s, to), e)) if p[0] < p[1]]
        for s, e in pieces:
            s += len(text[s:e]) - len(text[s:e].lstrip())
            if any(ch.isalnum() for ch in text[s:e]):  # not a stray quote mark between sentences
                self.spans.append((article_id, s, e))
                n = self.citer.cite_span(article_id, s, e)
                self.quotes.append((f"{self.articles[article_id].outlet}: {quote(text[s:e], n)}", [n]))


def in_their_words(x: CitedSentence, citer: Citer, articles: dict, quoted: list[tuple[str, int, int]],
                   stand_alone: bool = False) -> CitedSentence | None:
    """A verified model sentence shown as the article sentences it cites, each verbatim with its
    outlet (Settings.answer_style "quotes"), so what the reader sees is what the articles say; the
    model's words stay in `said`. A sentence already quoted for an earlier one is not quoted again
    (`quoted` collects them); None when nothing is left to show. `stand_alone`: the result is a
    line read on its own (a briefing's bullet), so a sentence pointing back gets what it points
    to even when an earlier line quotes that."""
    where = {c.n: c for c in citer.all_citations()}
    parts = []
    line: list[tuple[str, int, int]] = []
    for n in x.citations:
        c = where[n]
        if (c.article_id, c.start, c.end) in quoted:
            continue
        lead = ""
        # A sentence pointing back follows the one it points to (and that one what it points to
        # in turn), quoted before it unless the answer quotes it already (a repeat is worse than
        # a reference a few lines up); so does a quotation that does not say whose it is, after
        # the sentence naming its speaker.
        text = articles[c.article_id].text
        leads = antecedents(text, c.start) or [s for s in [speaker_before(text, c.start)] if s]
        for before in leads:
            if (c.article_id, *before) in (line if stand_alone else quoted):
                continue
            quoted.append((c.article_id, *before))
            line.append((c.article_id, *before))
            lead += quote(text[before[0]:before[1]], citer.cite_span(c.article_id, *before)) + " "
        quoted.append((c.article_id, c.start, c.end))
        line.append((c.article_id, c.start, c.end))
        parts.append(f"{articles[c.article_id].outlet}: {lead}{quote(c.quote, n)}")
    if not parts:
        return None
    # All its citations stay with it (those quoted above too), so that the evals measure the
    # model's sentence against everything it cited.
    return CitedSentence(" ".join(parts), list(x.citations), supported=True, score=x.score, inline=True,
                         nearest=x.nearest, said=x.text)


def verdict_quotes(after: AfterAnswer) -> None:
    """A verdict is the question restated ("Russia has more sway in Central Asia"): the words of
    the sentence that gives it ("… Russia still has an upper hand in Central Asian politics") are
    quoted, unless the verdict already says them."""
    given = set()  # one quote per source sentence, however many verdicts it gives
    for x in after.sentences:
        if (x.supported and x.nearest and x.nearest not in given and is_verdict(x.text, after.question)
                and overlap(x.nearest.text, x.text) < RESTATED):
            given.add(x.nearest)
            after.quote(x.nearest.article_id, x.nearest.start, x.nearest.end)


def speaker_quotes(after: AfterAnswer) -> None:
    """Asked what someone said, the reader gets their words: each statement of theirs the answer
    cites is quoted whole ("… may not be a bad result" goes on after the sentence the model
    paraphrased), unless the answer already says it word for word."""
    if who := asked_speaker(after.question):
        for said in statements(who, after.sentences, after.citer.all_citations(), after.articles):
            after.quote(*said)


def term_quotes(after: AfterAnswer) -> None:
    """A definition question gets the article's own explanation of the term (one the answer has
    not already written out), a comparison of two terms one for each."""
    defined = asked_term(after.question, after.terms)
    for term in [defined] if defined else compared_terms(after.question, after.terms):
        if span := explanation(term, after.articles, after.answered):
            after.quote(*span)


def person_quotes(after: AfterAnswer) -> None:
    """A question asking who someone is gets the article sentence that introduces them with a
    role ("Niva Yau, senior researcher at the OSCE Academy in Bishkek, …", people.who_is_who),
    with the sentences it points back through, unless the answer shows it already. The model
    answers with any sentence naming the person: "Who is Tokayev?" got "… the rumour was that
    new President Tokayev was simply keeping the seat warm for Dariga"."""
    name = asked_who(after.question)
    intro = next((i for i in after.people if same_person(name, i.name)), None) if name else None
    if intro:
        chain = antecedents(after.articles[intro.article_id].text, intro.start)
        after.quote(intro.article_id, chain[0][0] if chain else intro.start, intro.end)


def closest_source_quote(after: AfterAnswer) -> None:
    """Nothing the model wrote could be kept, but it pointed at the article sentence that answers
    and garbled a detail ("15 of the 31 cities" for "19 of Kazakhstan's 31"): that sentence is
    quoted instead of a refusal (see Citer.closest_source). Not when the question is about a
    dispute: its sides answer it (conflict_quotes)."""
    if not after.answered and not after.quotes and not after.about_dispute:
        if near := after.citer.closest_source(after.sentences):
            after.quote(near.article_id, near.start, near.end)


# An article sentence repeats the last answer when this share of its content words (IDF-weighted,
# sentences.overlap) is in it: the repeats that made follow-ups fail on dev were at 0.60-1.0, and
# in use the last answer is the bot's own quotes, so a repeat is at 1.0.
SAID_AGAIN = 0.6


def next_sentence_quote(after: AfterAnswer) -> None:
    """A follow-up answered only with what the last answer already said ("Such as?", "And when was
    the first time?", "How so?", each answered with the sentence the last answer gave) has not
    answered; the article's next sentence is where what comes next usually is ("… share many of the
    same goals." -> "Both countries are eager to see US influence in the region diminish …"), so
    it follows, as the article's words. Measured on dev's 128 follow-ups (evals/DECISIONS.md,
    2026-12-07): 5 answers gained the asked fact, 7 got a sentence beside the point; nothing
    told the two apart (MiniLM closeness to the question did not), so the quote is shown as what
    the article says next, and it is checked with the answer like any quote (an amount or date
    question still needs its figure)."""
    if not after.said_last:
        return
    shown = list(after.spans) or [(a, at, to) for a, start in after.cited
                                  for at, to in sentence_spans(after.articles[a].text) if at == start]
    if not shown or any(overlap(after.articles[a].text[s:e], after.said_last, idf=after.citer.idf) < SAID_AGAIN for a, s, e in shown):
        return
    # the sentence after the furthest one shown in the article of the last quote
    article = shown[-1][0]
    end = max(e for a, _, e in shown if a == article)
    text = after.articles[article].text
    if nxt := next(((at, to) for at, to in sentence_spans(text) if at >= end and text[at:to].strip()), None):
        after.quote(article, *nxt)


def conflict_quotes(after: AfterAnswer) -> None:
    """Where the sources disagree, each side the answer did not cite follows the answer. Alone
    they stand as the answer only to a question about the disagreement itself ("How many people
    were killed?"): asked "Who blamed foreign militants from Afghanistan and the Mideast?", with
    the model's one sentence left out, the reply had opened "The sources differ:" with three
    quotes before anything said who (see conflicts.asks_disagreement)."""
    if not (after.answered or after.quotes or after.about_dispute):
        return
    for conflict in after.conflicts:
        # A claim the answer cites or a quote above quotes is named, not quoted again.
        shown = after.cited | {(a, at): after.articles[a].text[at:to] for a, start, end in after.spans
                               for at, to in sentence_spans(after.articles[a].text) if start <= at < end}
        if said := statement(conflict, after.citer.cite_span, shown):
            after.quotes.append(said)
            after.spans += [(c.article_id, c.start, c.end) for c in after.citer.all_citations() if c.n in said[1]]


QuoteSource = Callable[[AfterAnswer], None]
QUOTE_SOURCES: tuple[QuoteSource, ...] = (verdict_quotes, speaker_quotes, term_quotes, person_quotes, closest_source_quote, next_sentence_quote,
                                           conflict_quotes)


def quotes_after(after: AfterAnswer, sources: tuple[QuoteSource, ...] = QUOTE_SOURCES) -> list[CitedSentence]:
    """The quotes to show after the answer, in order, as inline cited sentences."""
    for source in sources:
        source(after)
    return [CitedSentence(said, numbers, supported=True, score=1.0, inline=True) for said, numbers in after.quotes]
