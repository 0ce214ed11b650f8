"""A person's words in an article: who a question asks to hear, and the sentences that are theirs.

Asked "What did Courtney Fung say about China's peacekeeping experience?", the 1.5B model
paraphrases the one sentence that names her and stops; her statement goes on for two more
sentences ("… combat troop deployment in Mali and South Sudan …"). Asked what someone said,
a reader should get their words, so the answer quotes the whole statement (see app.Bot.stream).
Articles mark a statement by quotation marks and a speech verb; nothing in llama-index or the
sentence splitter groups sentences by speaker, hence this module.
"""

from __future__ import annotations

import re

from . import lexicon
from .cite import Citation, CitedSentence
from .corpus import Article
from .glossary import RESTATED
from .sentences import name_groups, overlap, previous_sentence, sentence_spans, words
from .verify.owners import SPEECH_VERBS

# "What did X say …", "How did he view …", "Does Sergey Radchenko expect …": the question asks
# for someone's words or views, not for what they did.
_ASKS_WORDS = re.compile(
    r"\b(?:say|said|says|tell|told|think|thinks|thought|view|views|viewed|see|sees|saw|argue|argued|warn|warned|"
    r"expect|expects|expected|predict|predicted|describe|described|explain|explained|believe|believes|believed|"
    r"comment|commented|suggest|suggested|claim|claimed|note|noted|write|wrote|make of|call|called)\b",
    re.IGNORECASE)
# The citer's speech verbs, and the reporting forms a statement's attribution also takes.
_SPEECH = rf"(?:{SPEECH_VERBS}|say|suspect|adds|explains|writes|stressed|predicted|declared|complained|indicated|according to|made (?:it )?clear)"
_SPEECH_WORD = re.compile(rf"\b{_SPEECH}\b", re.IGNORECASE)
# "…, she said.", "he added", "said she": words given to the speaker the statement is already about.
_PRONOUN_SPEECH = re.compile(rf"\b(?:he|she)\s+{_SPEECH}\b|\b{_SPEECH}\s+(?:he|she)\b", re.IGNORECASE)
_OPENS = ("“", '"')
MAX_AFTER = 2  # sentences a statement may run on after the one cited
MAX_STATEMENTS = 2  # statements quoted in one answer: more would bury the answer under quotes


def asked_speaker(question: str) -> set[str]:
    """Name words of the person whose words the question asks for (empty: it asks for none)."""
    if not _ASKS_WORDS.search(question):
        return set()
    # An acronym names a body ("the CSTO deployment"), and the first word is capitalised as such.
    asked = " ".join(w for w in question.split()[1:] if not (w.isupper() and len(w) > 1))
    # States, their capitals and cities are no speakers ("What did China say" asks for a state's
    # position, and "… the worst-case scenario for Beijing" names no speaker).
    return {w for g in name_groups(asked) for w in g if w not in lexicon.current().not_speakers and len(w) > 1}


def _attributed(sentence: str, who: set[str]) -> bool:
    """Does the sentence give words to the speaker by name ("said Courtney Fung", "According to Ms. Yau")?"""
    return bool(_SPEECH_WORD.search(sentence)) and bool(who & set(words(sentence)))


# A quotation may open after a linking word: "But “the fact that they gave each other …”" goes on
# from "“…,” said Mr. Radchenko" as much as a sentence opening with the quotation mark does.
_LINK = re.compile(rf"^\s*(?:but|and|yet|still|so|however|instead|indeed|moreover|meanwhile),?\s+(?=[{''.join(_OPENS)}])",
                   re.IGNORECASE)


def _opens_quote(sentence: str) -> bool:
    return _LINK.sub("", sentence).lstrip().startswith(_OPENS)


def _left_open(sentence: str) -> bool:
    """A sentence that opens a quotation and does not close it: the next sentence goes on with it."""
    s = sentence.strip()
    return _opens_quote(s) and "”" not in s and not s.endswith(_OPENS) and s.count('"') < 2


def speaker_before(text: str, start: int) -> tuple[int, int] | None:
    """The article sentence before the one at `start` when that one is a quotation that does not
    say whose it is and the sentence before gives words to someone by name: "“China maintains a
    positive public record for its peacekeeping activities." goes on from "“…,” said Courtney
    Fung, associate professor at Macquarie University." Quoted alone, with only the outlet's name
    before it, the words would read as the outlet's own."""
    at = next(((s, e) for s, e in sentence_spans(text) if s <= start < e), None)
    if at is None or not _opens_quote(said := text[at[0]:at[1]]) or _SPEECH_WORD.search(said):
        return None
    before = previous_sentence(text, at[0])
    if before and _SPEECH_WORD.search(prev := text[before[0]:before[1]]) and \
            any(g - lexicon.current().not_speakers for g in name_groups(prev)):
        return before
    return None


def statement_of(text: str, start: int, end: int, who: set[str]) -> tuple[int, int] | None:
    """(start, end) of the speaker's statement that holds the sentence at [start, end), or None
    when the article does not give that sentence as the speaker's.

    The statement is the sentence that names the speaker with a speech verb, the quotation
    right before it when the cited sentence only goes on with it ("But “the fact that …”"
    after "“…,” said Mr. Radchenko"), and what follows it as theirs: a sentence opening a
    quotation, one with "she said", or one more sentence inside a quotation left open.
    """
    if not who:
        return None
    spans = sentence_spans(text)
    at = next((i for i, (s, e) in enumerate(spans) if s <= start < e), None)
    if at is None:
        return None
    said = [text[s:e] for s, e in spans]
    first = at
    if not _attributed(said[at], who):
        quoted = any(q in said[at] for q in _OPENS)
        if not (quoted and at > 0 and _attributed(said[at - 1], who)):
            return None
        first = at - 1
    last = at
    while last + 1 < len(spans) and last + 1 - at <= MAX_AFTER:
        nxt = said[last + 1]
        if _opens_quote(nxt) or _PRONOUN_SPEECH.search(nxt) or _attributed(nxt, who):
            last += 1
        elif _left_open(said[last]):
            last += 1  # one unmarked sentence at most: where the quotation ends is not written
            break
        else:
            break
    return spans[first][0], spans[last][1]


def statements(who: set[str], sentences: list[CitedSentence], citations: list[Citation],
               articles: dict[str, Article]) -> list[tuple[str, int, int]]:
    """(article id, start, end) of each of the speaker's statements that the answer's verified
    sentences cite, in the answer's order, at most MAX_STATEMENTS. A one-sentence statement
    whose words the sentences citing it already give (overlap ≥ RESTATED) is left out."""
    # The model's sentences, also those shown as the sentences they cite (answer_style "quotes"):
    # what is left of a statement after the quoted part follows (AfterAnswer.quote).
    mine = [x for x in sentences if x.supported and (x.said or not x.inline)]
    by_n = {c.n: c for c in citations}
    found: list[tuple[str, int, int]] = []
    for n in dict.fromkeys(n for x in mine for n in x.citations):
        c = by_n[n]
        run = statement_of(articles[c.article_id].text, c.start, c.end, who)
        if (len(found) == MAX_STATEMENTS or not run
                or any(a == c.article_id and s < run[1] and run[0] < e for a, s, e in found)
                or (run == (c.start, c.end) and overlap(c.quote, " ".join(x.said or x.text for x in mine if n in x.citations)) >= RESTATED)):
            continue
        found.append((c.article_id, *run))
    return found
