"""Who is who (bot/people.py): people found with the role their article states, from its grammar."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot import lexicon
from bot.corpus import load_corpus
from bot.people import introduced_names, introduces, introductions, key, same_person, says_something, who_is_who

CORPUS2 = Path(__file__).parent / "corpus2"


@pytest.mark.parametrize("text,name,role", [
    ("Wang Wenbin, spokesman for the Chinese Foreign Ministry, said Friday that China supports calm.",
     "Wang Wenbin", "spokesman for the Chinese Foreign Ministry"),
    ("“Support is needed,” said Raffaello Pantucci, senior researcher at the S. Rajaratnam School of International Studies in Singapore.",
     "Raffaello Pantucci", "senior researcher at the S. Rajaratnam School of International Studies in Singapore"),
    ("His predecessor, Nursultan Nazarbayev, had held the post for 29 years.", "Nursultan Nazarbayev", "His predecessor"),
    ("Hanne Liddell is a retired dam engineer who will chair the review.", "Hanne Liddell", "a retired dam engineer who will chair the review"),
    ("Dr Miriam Okafor, a hydrologist at Halvern University, said the level mattered.", "Miriam Okafor", "a hydrologist at Halvern University"),
    ("The government of President Kassym-Jomart Tokayev has survived.", "Kassym-Jomart Tokayev", "President"),
    ("Xi offered support to his counterpart, Kazakh President Kassym-Jomart Tokayev, on Friday.", "Kassym-Jomart Tokayev", "his counterpart"),
])
def test_a_stated_role_is_found_with_its_name(text, name, role):
    assert (name, role) in [(n, r) for n, r, _ in introductions(text)]


@pytest.mark.parametrize("text", [
    "Chinese President Xi Jinping and then Kazakh President Nursultan Nazarbayev in 2013.",  # a caption: says nothing
    "Apart from Vladimir Putin, the other clear winner from recent events is President Tokayev himself.",  # a clause, not an apposition
    "Flood water reached Mill Street, the Quayside and Ferry Lane, officials said.",  # places
    "The Regional Insurers' Forum told the panel that claims had been lodged.",
])
def test_no_role_is_read_into_other_sentences(text):
    assert [(n, r) for n, r, strong in introductions(text) if strong and "Tokayev" not in n] == []


def test_a_caption_says_nothing_and_a_statement_does():
    assert not says_something("Chinese President Xi Jinping and then Kazakh President Nursultan Nazarbayev in 2013.")
    assert says_something("The SCO is a regional body founded by China.")


def test_a_name_is_known_by_its_last_word():
    line = "It was only a week later that Wang Yi, the Chinese foreign minister, publicly announced support."
    assert introduces(line, ["Wang Yi"]) and not introduces(line, ["Wang Wenbin"])
    assert introduces("The predecessor Nazarbayev retained control of the army.", ["Nazarbayev"])
    assert key("Kassym-Jomart Tokayev") == key("Tokayev")


def test_a_relation_before_a_name_states_the_role_of_the_name_one_looks_for():
    line = "On that day Nazarbayev’s daughter, Dariga, already a major political figure, was elected chairman of the Senate."
    assert introduces(line, ["Dariga"])
    assert ("Dariga", "Nazarbayev’s daughter", True) in introductions(line, loose=True)
    assert not any(name == "Dariga" for name, _, _ in introductions(line))  # one word discovers no one
    assert not introduces("Massimov, who speaks fluent Mandarin Chinese, was viewed as a friend of China.", ["Massimov"])


def _corpus(folder: Path) -> dict:
    profile = yaml.safe_load((folder / "profile.yaml").read_text(encoding="utf-8")) if (folder / "profile.yaml").exists() else {}
    lexicon.use(lexicon.Lexicon.load(profile or {}))
    articles = load_corpus(folder)
    return articles if isinstance(articles, dict) else {a.id: a for a in articles}


@pytest.mark.parametrize("folder", [Path(__file__).parents[1] / "corpus", CORPUS2], ids=["corpus", "corpus2"])
def test_who_is_who_quotes_each_person_once_by_a_sentence_naming_them(folder):
    try:
        articles = _corpus(folder)
        intros = who_is_who(articles)
        places = lexicon.current().not_speakers
    finally:
        lexicon.use(lexicon._default())
    assert len(intros) >= 8
    assert not any(same_person(a.name, b.name) for n, a in enumerate(intros) for b in intros[n + 1:])
    for i in intros:
        text = articles[i.article_id].text[i.start:i.end]
        assert i.name in text and i.role in text, i
        assert not any(w.lower() in places for w in i.name.split()), i


def test_the_second_corpus_people_come_with_their_posts():
    """Written without the bot's output in view: tests/corpus2's articles name these people
    with these posts (its brief_gold_strict.yaml's Key people facts)."""
    try:
        found = {i.name: i.role for i in who_is_who(_corpus(CORPUS2))}
    finally:
        lexicon.use(lexicon._default())
    assert "chief executive" in found["Gareth Pell"] and "mayor" in found["Isobel Kendrew"]
    assert "hydrologist" in found["Miriam Okafor"] and "director" in found["Colm Hartigan"]
    assert "retired dam engineer" in found["Hanne Liddell"]


def test_introduced_names_keeps_people_who_share_a_last_word():
    """The people check's actors: "Shen Yi" is not "Wang Yi", though both end in "Yi"."""
    try:
        names = introduced_names(_corpus(Path(__file__).parents[1] / "corpus"))
    finally:
        lexicon.use(lexicon._default())
    assert {"Wang Yi", "Shen Yi", "Wang Wenbin", "Xi Jinping", "Jen Psaki"} <= names  # "press secretary Jen Psaki"


def test_same_person_reads_a_full_name_not_its_last_word():
    """A family name may come first (Chinese names): "Shen Yi" and "Wang Yi" share only "Yi".
    One person's spellings are one ("Kasym-Jomart Tokaev", the lexicon folding "Tokaev")."""
    try:
        articles = _corpus(Path(__file__).parents[1] / "corpus")
        names = [i.name for i in who_is_who(articles)]
        assert same_person("Kasym-Jomart Tokaev", "Kassym-Jomart Tokayev")
    finally:
        lexicon.use(lexicon._default())
    assert not same_person("Shen Yi", "Wang Yi") and not same_person("Wang Yi", "Wang Wenbin")
    assert {"Shen Yi", "Wang Yi", "Wang Wenbin"} <= set(names)
    assert sum(same_person(n, "Kassym-Jomart Tokayev") for n in names) == 1
    assert introduces("Wang Yi, the Chinese foreign minister, announced that Beijing was ready to help.", ["Wang Yi"])
    assert not introduces("Wang Yi, the Chinese foreign minister, announced that Beijing was ready to help.", ["Shen Yi"])
