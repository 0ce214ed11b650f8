"""A follow-up's he/she/his/her is replaced by the one person the last question named, and only then."""

from __future__ import annotations

import pytest

from bot.pronouns import person_named, resolve


@pytest.mark.parametrize("previous,question,expected", [
    ("Who is Mukhtar Tleuberdi?", "What did he say about China's role?", "What did Mukhtar Tleuberdi say about China's role?"),
    ("What happened to Nursultan Nazarbayev during the unrest?", "And what became of his daughter?",
     "What became of Nursultan Nazarbayev's daughter?"),
    ("Who is Niva Yau?", "What did she say would be the worst-case scenario for Beijing?",
     "What did Niva Yau say would be the worst-case scenario for Beijing?"),
    ("Who is Niva Yau?", "Which newspaper quoted her?", "Which newspaper quoted Niva Yau?"),
    ("Who is Sergey Radchenko?", "Did the WSJ interview him?", "Did the WSJ interview Sergey Radchenko?"),
    ("Who is Nazarbayev?", "Who is he?", "Who is Nazarbayev?"),  # "who" asks after a person, so one name is one
    ("Who's Yau?", "What did she say?", "What did Yau say?"),
])
def test_a_pronoun_for_the_one_person_named_is_replaced(previous, question, expected):
    assert resolve(question, previous) == expected


@pytest.mark.parametrize("previous,question", [
    ("What did Xi Jinping tell Tokayev during the crisis?", "Did he mean it?"),  # two people: Xi or Tokayev?
    ("Who asked for foreign troops to be sent to Kazakhstan?", "How did Beijing react to that deployment?"),  # no person
    ("What is the Collective Security Treaty Organization?", "Who leads it?"),   # a body, not a person
    ("Who is Niva Yau?", "What did she say about it?"),                          # "it" needs the conversation
    ("Who is Niva Yau?", "What did China say?"),                                 # no pronoun to resolve
    ("What did Tokayev do?", "Why did he do it?"),                               # one word, not asked as a person
    ("Who is Tokayev, and what did Xi say?", "What did he mean?"),               # two names
])
def test_anything_less_certain_is_left_to_the_model(previous, question):
    assert resolve(question, previous) is None


def test_the_person_is_a_run_of_capitalised_words_that_is_no_body():
    assert person_named("Who is Karim Massimov?") == "Karim Massimov"
    assert person_named("What is the National Security Committee?") is None
    assert person_named("Who is Karim Massimov and what did Tokayev do?") is None
