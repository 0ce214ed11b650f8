"""The verifier: a registry of small checks, each `check(claim) -> list[Finding]`.

A claim is one answer sentence with the article sentences the citer aligned it to. Each check
names what those cited sentences fail to support; a sentence is kept only when no check finds
anything and its support score clears the floor (see cite.Citer.cite). `CHECKS` is the order in
which findings are reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Callable

import numpy as np

from ..embeddings import embed_cached
from ..sentences import (
    _NEGATION,
    _PRONOUN_SUBJECT,
    STOPWORDS,
    _stem,
    content_stems,
    name_groups,
    words,
)
from . import facts, owners
from .names import _with_aliases, state_stems
from .reasons import (
    NEGATION,
    NO_NAMED_SUBJECT,
    OFF_QUESTION,
    REPEATS,
    RESTATES_QUESTION,
    SUBJECT_LEFT_OUT,
    UNSTATED_LINK,
    Finding,
)
from .verdict import VERDICT_FLOOR, echoes, open_question

if TYPE_CHECKING:
    from ..cite import Citer

# An added sentence must cite one of the candidate sentences this close to the question (by
# MiniLM cosine rank). On 44 added sentences of the gold set, rank < 3 kept the three that
# brought a gold fact and 8 of 20 judged on the point, and dropped 23 of 25 judged off it
# ("The arrest of Karim Massimov … sent shivers" added to what set off the unrest).
ADDED_TOP = 3
# Or it shares this many content words with the question, states' names aside (nearly every
# sentence names China, Russia or Kazakhstan): asked "Did the unrest shift power between Tokayev
# and Nazarbayev?", "… congratulations to President Tokayev is conclusive proof that an internal
# transition of power has taken place" is the answer, and only the 9th closest by cosine.
SHARED_WORDS = 2
NEW_WORDS = 2  # content words an added sentence citing the answer's own sources must add


@dataclass
class Claim:
    """One answer sentence and what it cites, as the checks see it."""

    sentence: str  # the claim: its lead ("According to the excerpts,") dropped, role verbs as "is"
    chosen: list[int]  # the cited candidates (indices into citer.spans), the closest first
    citer: Citer  # the candidates, the articles, the question and the answer so far
    added: bool = False  # written when asked for one more fact (see app.Bot._add_fact)
    verdict: bool = False  # restates the question (see verdict.is_verdict)
    closeness: float = 0.0  # MiniLM cosine with the first cited sentence

    @cached_property
    def cited(self) -> list[str]:
        return [self.citer.spans[i].text for i in self.chosen]

    @cached_property
    def combined(self) -> str:
        return " ".join(self.cited)

    @cached_property
    def before(self) -> list[str]:
        """The article sentence before each cited one: its context, where a sentence opening
        "The two countries …" or "It …" leaves its names (number_owners) and "China is not a
        member." its body (membership)."""
        c = self.citer
        return [c._before[(c.spans[i].article_id, c.spans[i].start)] for i in self.chosen]

    @cached_property
    def known(self) -> str:
        """Text the claim may draw names from besides its sources: the cited outlets and authors."""
        return self.citer._known(self.chosen)

    @cached_property
    def known_with_setting(self) -> str:
        """`known` with the places the claim gives as the setting of what was asked (`setting`)."""
        return " ".join([self.known, *setting(self.sentence, self.citer.question,
                                              [self.citer.articles[self.citer.spans[i].article_id].title for i in self.chosen])])

    @cached_property
    def continues(self) -> bool:
        return self.added and continues_article(self.citer, self.chosen, self.sentence)


Check = Callable[[Claim], list[Finding]]

# "<what was asked about> in <Place>": "The flood in Brannock was severe because …" for "Why was
# the flood … so severe?".
_IN_PLACE = re.compile(r"\b([a-z][\w’'-]*)\s+in\s+(?:the\s+)?([A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)")
_OF_PLACE = re.compile(r"\b([a-z][\w’'-]*)\s+of\s+(?:the\s+)?([A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)")


def setting(sentence: str, question: str, titles: list[str]) -> list[str]:
    """Places the claim names only as the setting of the thing the question asks about ("The flood
    in Brannock was severe because it occurred during a storm that dropped 142 millimetres …",
    citing the storm's sentence, which does not name the town), when the cited article is about
    that place (its title names it). The model restates the question's frame with the
    article's place, which the cited sentence need not repeat. A place named as an actor or an
    owner ("Chinese troops", "Armenia contributed") is no setting, nor one the article mentions
    only in passing ("… died in Almaty" in an article about Kazakhstan): those are checked as before."""
    asked = content_stems(question)
    named = {w for title in titles for w in words(title)}
    framed = [place for noun, place in _IN_PLACE.findall(sentence)
              if noun not in STOPWORDS and _stem(noun) in asked and set(words(place)) <= named]
    # "<post> of <Place>" only as the question itself says it: "Tokayev became president of
    # Kazakhstan in March 2019." for "In which month did Tokayev become president of Kazakhstan?",
    # citing "he took over the presidency in March 2019" in an article about Kazakhstan.
    said = set(words(question))
    framed += [place for noun, place in _OF_PLACE.findall(sentence)
               if noun in said and set(words(place)) <= named & said]  # "president" is a stopword (a title)
    return framed


def _found(check: Check) -> Check:
    """Tag each finding of `check` with the check's name."""
    def run(claim: Claim) -> list[Finding]:
        return [Finding(x, check.__name__) for x in check(claim)]
    run.__name__ = check.__name__
    run.__doc__ = check.__doc__
    return run


# -- the checks, in report order --------------------------------------------------------------

def names_and_numbers(claim: Claim) -> list[str]:
    """Numbers, names and posts that no cited sentence contains (facts.missing_facts)."""
    return facts.missing_facts(claim.sentence, claim.combined, claim.known_with_setting)


def polarity(claim: Claim) -> list[str]:
    """A yes/no answer its support contradicts (facts.negation_mismatch)."""
    return [NEGATION] if facts.negation_mismatch(claim.sentence, claim.combined) else []


def link(claim: Claim) -> list[str]:
    """A cause or purpose joining two things that no cited sentence joins (facts.unstated_link)."""
    return [UNSTATED_LINK] if facts.unstated_link(claim.sentence, claim.cited) else []


def number_owners(claim: Claim) -> list[str]:
    """Numbers and posts tied to a name no cited sentence states them with (facts.unbound_facts)."""
    return facts.unbound_facts(claim.sentence, claim.cited, claim.known_with_setting, claim.before)


def membership(claim: Claim) -> list[str]:
    """A member and a body no cited sentence (or the one before it) names together."""
    return owners.unbound_membership(claim.sentence, list(zip(claim.cited, claim.before)))


def shares(claim: Claim) -> list[str]:
    """"A of B" counts the support never pairs (facts.unpaired_shares)."""
    return facts.unpaired_shares(claim.sentence, claim.combined)


def post_countries(claim: Claim) -> list[str]:
    """A post given for a country its holder holds it for another (owners.misplaced_posts)."""
    return owners.misplaced_posts(claim.sentence, claim.cited)


def possessives(claim: Claim) -> list[str]:
    """"X's attribute" with the attribute another owner's in the sources (owners.unbound_possessives)."""
    return owners.unbound_possessives(claim.sentence, claim.cited)


def subject(claim: Claim) -> list[str]:
    """The opening name found only in a cited sentence that says nothing else of it."""
    return owners.unbound_subject(claim.sentence, claim.cited, claim.known, claim.before)


def subject_left_out(claim: Claim) -> list[str]:
    """"It was concerned about …" right after "Uzbekistan's government reacted with concern …" was
    left out for its subject: "it" stands for that unsupported subject."""
    return [SUBJECT_LEFT_OUT] if claim.citer._subject_lost and _PRONOUN_SUBJECT.match(claim.sentence) else []


def speaker(claim: Claim) -> list[str]:
    """Words given to a named speaker that no cited sentence gives as theirs (owners.unbound_speaker)."""
    c = claim.citer
    return owners.unbound_speaker(claim.sentence, [c.spans[i] for i in claim.chosen], c.articles, c.idf)


def descriptions(claim: Claim) -> list[str]:
    """"X is a …" where the sources describe another name so (owners.swapped_descriptions)."""
    return owners.swapped_descriptions(claim.sentence, claim.cited, [x.text for x in claim.citer.spans])


def verdict_said(claim: Claim) -> list[str]:
    """A verdict must be said by the cited sentence itself: close in meaning (then that closeness
    is its support score, see Citer.cite), same polarity. Asked who, what, how many …
    (verdict.open_question), that sentence, which is what the reader sees, must also say more than
    the question: "Dariga was sacked as chairman of the Senate." answers no "Who became chairman
    after Dariga was sacked?", while "More than 60 Jihadi attacks have been thwarted …" answers
    "How many …?" for a restating "Jihadi attacks have been thwarted …"."""
    if not claim.verdict:
        return []
    if open_question(claim.citer.question) and echoes(claim.combined, claim.citer.question):
        return [RESTATES_QUESTION]
    negated = bool(_NEGATION.search(claim.sentence)) != bool(_NEGATION.search(claim.cited[0]))
    return [RESTATES_QUESTION] if claim.closeness < VERDICT_FLOOR or negated else []


def repeats_or_off_question(claim: Claim) -> list[str]:
    """An added sentence whose source the answer already stands on is on the question, and
    repeats the answer unless it says something new ("China is seen as the economic guarantor"
    after "Russia … the security guarantor"); one on new sources must be near the question."""
    if not claim.added:
        return []
    c = claim.citer
    if all(c.spans[i] in c.citations for i in claim.chosen):
        return [REPEATS] if len(new_words(c, claim.sentence)) < NEW_WORDS else []
    return [OFF_QUESTION] if not claim.continues and not near_question(c, claim.chosen) else []


def named_subject(claim: Claim) -> list[str]:
    """An added sentence must name its subject: "In addition, he was the head of the intelligence
    services" pinned Massimov's post on Nazarbayev, and nothing here can tell who "he" is."""
    if claim.added and not claim.continues and _PRONOUN_SUBJECT.match(claim.sentence) and not names_subject(claim.citer, claim.chosen):
        return [NO_NAMED_SUBJECT]
    return []


CHECKS: tuple[Check, ...] = tuple(_found(c) for c in (
    names_and_numbers, polarity, link, number_owners, membership, shares, post_countries, possessives, subject,
    subject_left_out, speaker, descriptions, verdict_said, repeats_or_off_question, named_subject))


def verify(claim: Claim, checks: tuple[Check, ...] = CHECKS) -> list[Finding]:
    """Everything the cited sentences fail to support, check by check (empty: supported)."""
    return [finding for check in checks for finding in check(claim)]


# -- what the added-sentence checks ask of the answer so far ----------------------------------

def new_words(citer: Citer, sentence: str) -> set[str]:
    """Content words (stemmed) of `sentence` that neither the answer so far nor the question has."""
    said = {_stem(w) for t in [citer.question, *citer.kept] for w in words(t)}
    return content_stems(sentence) - said


def continues_article(citer: Citer, idx: list[int], sentence: str) -> bool:
    """Does the sentence take its pronoun from the article: it cites only the article sentence
    right after one the answer cites, and both begin with the same pronoun? Then "He" is the
    article's own subject, which the answer has just stated ("The head of Kazakhstan's
    intelligence services was sacked on 6 January. He has now been arrested for treason.")."""
    if len(idx) != 1:
        return False
    span = citer.spans[idx[0]]
    ours, theirs = _PRONOUN_SUBJECT.match(sentence), _PRONOUN_SUBJECT.match(span.text)
    if not (ours and theirs and ours.group().strip().lower() == theirs.group().strip().lower()):
        return False
    text = citer.articles[span.article_id].text
    return any(c.article_id == span.article_id and c.end <= span.start and not text[c.end:span.start].strip()
               for c in citer.citations.values())


def near_question(citer: Citer, idx: list[int]) -> bool:
    near = np.argsort(-(citer.vectors @ embed_cached(citer.question)))[:ADDED_TOP]
    asked = content_stems(citer.question) - state_stems()
    return bool(set(idx) & set(near.tolist())) or any(
        len(asked & content_stems(citer.spans[i].text)) >= SHARED_WORDS for i in idx)


def names_subject(citer: Citer, idx: list[int]) -> bool:
    """Does a cited sentence name what the answer is about: a name in the question or the
    subject of the answer's first kept sentence ("He" then most likely means the same)?"""
    first = next((c for c in citer.kept if name_groups(c)), "")
    subject = _with_aliases(set().union(*name_groups(citer.question), *name_groups(first)[:1]))
    return any(subject & set(words(citer.spans[i].text)) for i in idx)
