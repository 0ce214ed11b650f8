"""Follow-ups about a person: "he", "she", "his", "her" resolved to the name the last question gave.

Asked "Who is Mukhtar Tleuberdi?" and then "What did he say about China's role?", the 1.5B
model rewrote the follow-up as "What did the foreign minister say …", the answer quoted the
Chinese foreign minister, and Tleuberdi's words were lost. When the last question names one
person and nothing else that "he" could mean, the substitution is certain and needs no model.
"""

from __future__ import annotations

import re

from .people import asked_who

# Capitalised runs ("Mukhtar Tleuberdi", "Who") and words that show a run is no person.
_RUN = re.compile(r"[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*")
_NOT_PERSON = set("""
who what which when where why how is are was were did does do has have had the a an and in on of
who's who’s what's what’s
organization organisation committee council union party initiative treaty bank university school
academy center centre institute ministry agency
""".split())
_SUBJECT = re.compile(r"\b(?:he|she)\b", re.IGNORECASE)
_OBJECT = re.compile(r"\bhim\b|\bher\b(?!\s+[a-z])", re.IGNORECASE)  # "her" before no noun: "Who appointed her?"
_POSSESSIVE = re.compile(r"\bhis\b|\bher\b(?=\s+[a-z])", re.IGNORECASE)  # "her daughter"
_OTHER_REFERENCE = re.compile(r"\b(?:they|them|their|it|its|this|that|these|those|there|then|former|latter)\b", re.IGNORECASE)


def person_named(question: str) -> str | None:
    """The one person a question names ("Who is Niva Yau?" -> "Niva Yau"), or None when it
    names none, several, or anything else capitalised (a place or body "he" might mean instead)."""
    runs = []
    for m in _RUN.finditer(question):
        words = m.group().split()
        while words and words[0].lower() in _NOT_PERSON:  # "Who", "What did"
            words = words[1:]
        if words:
            runs.append(words)
    people = [r for r in runs if len(r) >= 2 and not any(w.lower() in _NOT_PERSON for w in r)]
    if not people and len(runs) == 1 and asked_who(question):  # "Who is Nazarbayev?": "who" asks after a person
        people = runs
    return " ".join(people[0]) if len(people) == 1 and len(runs) == 1 else None


def resolve(question: str, previous_question: str) -> str | None:
    """`question` with he/she/him/his/her replaced by the person `previous_question` names;
    None when that is not certain (no such pronoun, no single person, or other references
    such as "that" or "they" that only the conversation can resolve)."""
    name = person_named(previous_question)
    if not name or _OTHER_REFERENCE.search(question):
        return None
    if not (_SUBJECT.search(question) or _OBJECT.search(question) or _POSSESSIVE.search(question)):
        return None
    text = _POSSESSIVE.sub(f"{name}'s", question)
    text = _OBJECT.sub(name, text)
    text = _SUBJECT.sub(name, text)
    # "And what became of his daughter?" reads on its own once the name is in.
    return re.sub(r"^\s*(?:and|but|so)\s+(\w)", lambda m: m.group(1).upper(), text, flags=re.IGNORECASE)
