"""Checks on what a claim states: its numbers, names, posts, polarity and counts."""

from __future__ import annotations

import re

from .. import lexicon
from ..sentences import (
    POST_WORDS,
    _NEGATION,
    _NUM,
    _NAME_RUN,
    _POST,
    STOPWORDS,
    _initials,
    _stem,
    content_stems,
    name_groups,
    numbers,
    posts,
    words,
)
from .names import _seat_of, _stands_for, _with_aliases


def missing_facts(sentence: str, support: str, known: str = "") -> list[str]:
    """Numbers, names and posts of `sentence` that the supporting text does not contain.

    A multi-word name counts as present when one of its words is ("Xi Jinping" vs
    "President Xi"); `known` is text the sentence may also draw names from, such as the
    cited articles' outlet and author ("according to The Spectator").
    """
    have = set(words(support)) | numbers(support) | _initials(support)  # "CSTO" for "Collective Security Treaty …"
    # A hyphenated word's parts: the capitalised part of "Hizb ut-Tahrir" is a name of its own.
    have |= {part for w in have if "-" in w for part in w.split("-") if part}
    stems = {_stem(w) for w in have}
    extra = set(words(known)) | _initials(known)  # "the FT says" for the Financial Times

    def present(w: str) -> bool:
        return w in have or w in extra or (not w.isdigit() and len(w) > 3 and _stem(w) in stems)

    missing = {n for n in numbers(sentence) if n not in have}
    missing |= {p for p in posts(sentence) if not present(p)}
    for group in name_groups(sentence):
        if not any(present(w) for w in group):
            missing |= group
    return sorted(missing)


def unnamed(question: str, text: str) -> list[set[str]]:
    """Names of the question (each a set of words, with the states' leaders and capitals as
    aliases, and a capital's state) of which `text` has no word. A question's first word
    ("Does", "Why") is no name."""
    have = {_stem(w) for w in words(text)}
    groups = [g - STOPWORDS for g in name_groups(question)]
    return [g for g in groups if g and not {_stem(w) for w in _with_aliases(g) | _seat_of(g)} & have]


_NAME = r"[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*"
# Names an answer may meet through any one of them: a person named by a relation to another
# ("Nazarbayev's daughter Dariga" is Dariga), and names coordinated as one topic ("How did Xi and
# Putin react?" is answered in part by what Xi did, which is an answer, not one about someone else).
_TOGETHER = (re.compile(r"[A-Z][\w-]*[’']s\s+(?:[a-z][\w-]*\s+){1,2}[A-Z][\w-]*"),
             re.compile(rf"{_NAME}(?:,\s+{_NAME})*,?\s+(?:and|or)\s+{_NAME}"))
# A possessive that describes someone unnamed ("What did Putin's spokesman say?"): the answer is
# about the spokesman and need not name Putin. Only a person is described so (a post, a relation,
# the people who serve someone: general English); what someone did or said ("Putin's decision",
# "Psaki's remark") is still theirs, and an answer that never names them nor the thing is about
# something else. An answer naming the thing is about it ("How did Tokayev break with
# Nazarbayev's playbook?" answered by "Tokayev refused to follow the prescribed playbook."):
# whose it was is the question's premise (_OWNED).
_PERSON_NOUN = (rf"(?:(?:{POST_WORDS}|predecessor|successor|daughter|son|wife|husband|father|mother|brother|"
                r"sister|family|aide|adviser|advisor|deputy|envoy|ally|counterpart|government|administration|"
                r"regime|official)s?|allies|spokesmen)")
_DESCRIBES = re.compile(rf"(?P<owner>[A-Z][\w-]*)[’']s\s+(?:[a-z][\w-]*\s+){{0,2}}(?i:{_PERSON_NOUN})\b(?!\s+[A-Z])")
_OWNED = re.compile(r"(?P<owner>[A-Z][\w-]*)[’']s\s+(?P<thing>[a-z][\w-]*)\b(?!\s+[A-Z])")
# A name inside a phrase of time or circumstance ("Under Nazarbayev, which post …?", "after
# Tokayev's appeal for help", "since the arrest of Massimov") sets when or why; the question is
# about someone else, and the sentence that answers need not name it.
_STOP_STEMS = frozenset(_stem(w) for w in STOPWORDS)
_CIRCUMSTANCE = re.compile(rf"\b(?i:under|after|before|during|since|following|amid|amidst|until|upon)\s+"
                           rf"(?:[a-z][\w-]*\s+){{0,3}}(?P<name>{_NAME})")


def unnamed_actors(question: str, text: str, actors: list[frozenset[str]],
                   bodies: list[tuple[frozenset[str], ...]] = (), places: frozenset[str] = frozenset()) -> list[str]:
    """The people and bodies the question names (`actors`: each name the articles introduce with
    a role, people.introduced_names, as a set of word stems; `bodies`: the corpus glossary's terms, see
    below) of which `text` names none, leaving out names that only set a time or circumstance
    and possessives describing someone unnamed ("Putin's spokesman"). Asked "What did
    Wang Yi say to Putin …?", an answer quoting Wang Yi on something else never mentions Putin: it
    is not about what was asked. A name of the question is an actor when its words are among an
    actor's ("Putin", "Xi") or theirs among its own ("Soviet Union" shares a word with "Eurasian
    Economic Union" but is not that body). States and places are left out: answers leave them
    implicit ("How long is the frontier between China and Kazakhstan?" is answered by "… a border
    of 1,100 miles").

    A person is met by any word of their name ("Xi" for "Xi Jinping"). A body of the glossary
    (`bodies`: each the names of one term, "CSTO" and "Collective Security Treaty …") is met only
    by one of its names whole: "Organisation" in the CSTO's name does not mention the Shanghai
    Cooperation Organisation, while "SCO" does.

    A city or town the question names (`places`: lexicon.cities(), folded names) is met the same
    way, by its name: asked how many died in one city, an answer giving the national toll is not
    about what was asked. The question's first word is no place ("Split …"), nor is a state or
    a capital standing for one (lexicon.states: "What did Beijing offer?" is met by "China")."""
    have = {_stem(w) for w in words(text)}
    bodies = [*bodies, *((frozenset(_stem(w) for w in words(p)),) for p in _places(question, places))]

    def refers(stems: set[str], name: frozenset[str]) -> bool:
        return stems <= name or name <= stems

    def missing_from_text(group: set[str]) -> bool:
        stems = {_stem(w) for w in group}
        mine = [names for names in bodies if any(refers(stems, n) for n in names)]
        if mine:
            return not any(n - _STOP_STEMS <= have for names in mine for n in names)
        return any(refers(stems, name) for name in actors) and not stems & have

    describing = {_stem(w) for rx, group in ((_DESCRIBES, "owner"), (_CIRCUMSTANCE, "name"))
                  for m in rx.finditer(question) for w in words(m[group])}
    describing |= {_stem(w) for m in _OWNED.finditer(question) if _stem(m["thing"]) in have for w in words(m["owner"])}
    groups = [g - STOPWORDS for g in name_groups(question)]
    missing = [g for g in groups if g and missing_from_text(g) and not {_stem(w) for w in g} <= describing]
    for rx in _TOGETHER:
        for m in rx.finditer(question):
            together = {_stem(w) for g in name_groups(m.group()) for w in g if w not in STOPWORDS}
            if together & have:  # the answer names one of them
                missing = [g for g in missing if not {_stem(w) for w in g} & together]
    # as the question writes them, for the reader ("Putin", not "Did Putin" or "putin"); a name
    # written with "and" ("Belt and Road") is one name, not two coordinated ones
    written = []
    for m in re.finditer(rf"{_NAME}\s+and\s+{_NAME}", question):
        whole = {_stem(w) for g in name_groups(m.group()) for w in g if w not in STOPWORDS}
        parts = [g for g in missing if {_stem(w) for w in g} <= whole]
        if len(parts) > 1 and any(name - _STOP_STEMS <= whole for name in [*actors, *(n for b in bodies for n in b)]
                                  if len(name - _STOP_STEMS) > 1):
            missing = [g for g in missing if g not in parts]
            written.append(m.group())
    runs = [m.group() for m in _NAME_RUN.finditer(question)]
    for g in missing:
        run = next((r for r in runs if [x - STOPWORDS for x in name_groups(r)] == [g]), "")
        written.append(" ".join(w for w in re.findall(r"[\w-]+(?:[’'](?!s\b)\w+)?", run) if words(w) and words(w)[0] in g)
                       or " ".join(sorted(g)))
    return written


def _places(question: str, places: frozenset[str]) -> list[str]:
    """The runs of capitalised words in `question` that are a city's or town's whole name."""
    lx = lexicon.current()
    states = lx.states | set(lx.demonyms)
    return [m.group() for m in _NAME_RUN.finditer(question)
            if m.start() > 0 and not m.group().isupper() and (f := lexicon.fold(m.group())) in places and f not in states]


def negation_mismatch(sentence: str, support: str) -> bool:
    """A yes/no answer whose polarity its support contradicts ("Yes, China is part of it"
    vs "China is not a member"): a false premise the model went along with. Limited to
    explicit yes/no answers: elsewhere a "no" somewhere in a long quote says nothing."""
    m = re.match(r"\s*(yes|no)\b", sentence, re.IGNORECASE)
    if not m:
        return False
    return (m.group(1).lower() == "yes") == bool(_NEGATION.search(support))


# A link the claim states between two things: a cause, a consequence, a purpose, an exchange.
_LINK = re.compile(r"\b(?:because(?: of)?|due to|owing to|thanks to|as a (?:result|consequence)(?: of)?|(?:which |that )?"
                   r"(?:led|leads|leading) to|result(?:s|ed|ing)? in|caus(?:e|es|ed|ing)(?: by)?|therefore|hence|"
                   r"consequently|in (?:exchange|return) for|in order to|so that)\b", re.IGNORECASE)
# How a source states such a link: the same connectives, the words of causing and answering, and
# the causative verbs.
_SOURCE_LINK = re.compile(r"\b(?:because|due|owing|thanks to|results?|resulted|resulting|consequen\w*|led|leads?|"
                          r"leading|caus\w*|therefore|hence|thus|since|after|following|amid|trigger\w*|spark\w*|"
                          r"prompt\w*|provok\w*|reasons?|why|respon(?:se|ses|d|ds|ded|ding)|blam\w*|fuell?ed|driv(?:e|es|en|ing)|drove|"
                          r"stem(?:s|med|ming)?|contribut\w*|behind|explain\w*|motiv\w*|exchange|return|in order|so that|"
                          r"so as|aim\w*|purpose|"
                          # English's causative verbs: "will foster some soul-searching" states what "led to" does
                          r"foster\w*|spur\w*|inspir\w*|encourag\w*|enabl\w*|allow\w*|forc(?:e|ed|es|ing)|compel\w*|"
                          r"pav(?:e|ed|es|ing)|groundwork|produc\w*|generat\w*|creat\w*|br(?:ing|ings|ought)|yield\w*|"
                          r"induc\w*|gives? rise|gave rise)\b", re.IGNORECASE)
COVER = 2 / 3  # share of each side's content words one sentence must hold to carry the link unstated


def unstated_link(sentence: str, spans: list[str]) -> bool:
    """Does the claim join two things by a cause or purpose ("X was accused of treason because he
    was the head of …") that no cited sentence joins? The 1.5B model welds the question's clause
    onto a true sentence with "because" or "resulted in"; each side may be cited, the link is
    not. A cited sentence carries the link when it states one (a connective or a word of causing)
    and shares words with a side (the other may be a pronoun or "these developments"), or holds
    most of each side's words (a paraphrase)."""
    m = _LINK.search(sentence)
    if not m:
        return False
    before, after = sentence[:m.start()], sentence[m.end():]
    if not content_stems(before):  # fronted: "Because of the unrest, the summit was delayed."
        before, _, after = after.partition(",")
    sides = [content_stems(before), content_stems(after)]
    if not all(sides):
        return False
    for span in spans:
        have = content_stems(span)
        if _SOURCE_LINK.search(span) and any(side & have for side in sides):  # one side may be "these developments"
            return False
        if all(len(side & have) >= COVER * len(side) for side in sides):
            return False
    return True


def unbound_facts(sentence: str, spans: list[str], known: str = "", before: list[str] | None = None) -> list[str]:
    """Numbers and posts the claim ties to a name that no cited sentence states with it.

    "Armenia contributed 2,500 troops", citing "Putin sent 2,500 troops" and "the CSTO rulers
    of Armenia … are impressed", has every name and number somewhere in its support, but
    never together. The name checked is the one that precedes the number in its clause
    (its subject, as in "X sent N"); an outlet or author named as the source is not one.
    A cited sentence that names no one ("The two countries share a border of approximately
    1,100 miles.") gives the number to no other owner: its owner is in the article sentence
    before it (`before`, one per span), as a reader takes it.
    """
    if len(spans) < 2:
        return []  # one cited sentence holds every fact together already
    skip = set(words(known))
    before = before or [""] * len(spans)
    # the words naming whom each cited sentence is about: its own names, else its context's too
    # (with the initials of their names: "the US" owns what "the United States" does)
    owners = [set(words(t)) | _initials(t) | (set() if [g for g in name_groups(t) if not g <= skip] else set(words(b)) | _initials(b))
              for t, b in zip(spans, before)]
    unbound = []
    facts = [(m.start(), m.group().replace(",", "").rstrip("."), numbers, False) for m in _NUM.finditer(sentence)]
    # A post is tied to its holder the same way ("Wang Yi is the President …", citing a
    # sentence about Wang Yi and one about President Xi).
    # A leader's post-holders are their state's ("Tokayev's foreign minister" is the "Foreign
    # Minister of Kazakhstan"), so a post's holder is met both ways; a number's only from the
    # state to its leader ("Russia sent" for "Putin sent", not the other way round).
    facts += [(m.start(), m.group(1).lower(), lambda t: set(words(t)), True) for m in _POST.finditer(sentence)]
    for start, n, found_in, post in facts:
        clause = re.split(r"[,;:()]", sentence[:start])[-1]
        groups = [g for g in name_groups(clause) if not g <= skip]
        if not groups:
            continue
        subject = _with_aliases(groups[-1]) | ({a for w in groups[-1] for a in _stands_for(w)} if post else set())
        if not any(n in found_in(t) and subject & named for t, named in zip(spans, owners)):
            unbound.append(f"{n} ({' '.join(sorted(subject))})")
    return unbound


# "19 of Kazakhstan's 31 cities", "15 of the 31": a count out of a total.
_SHARE = re.compile(r"(\d[\d,]*)\s+(?:out\s+)?of\s+(?:[\w’'-]+\s+){0,2}?(\d[\d,]*)")


def unpaired_shares(sentence: str, support: str) -> list[str]:
    """Counts out of a total ("A of B") that the support never states as a pair.

    "15 of the 31 cities experienced violence" has both numbers in "There was violence in 19
    of Kazakhstan's 31 cities; 15 of these cities were close to foreign borders", but 15 is
    the border cities' count: the sentence pairs numbers its source keeps apart.
    """
    unpaired, flat = [], support.replace(",", "")
    for m in _SHARE.finditer(sentence):
        a, b = (re.escape(x.replace(",", "")) for x in m.groups())
        if not re.search(rf"(?<![\d.]){a}(?:\W+[\w’'-]+){{0,5}}?\W+{b}(?![\d])", flat):
            unpaired.append(f"{m.group(1)} of {m.group(2)}")
    return unpaired
