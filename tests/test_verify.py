"""The verifier's structure: a registry of checks returning typed findings, and a lexicon of
names that comes from data (general places + the corpus profile), not from Python literals."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot import lexicon
from bot.cite import Citer
from bot.settings import ROOT, Settings
from bot.verify import CHECKS, Claim, Finding, verify
from bot.verify.facts import unbound_facts

CORPUS2 = Path(__file__).parent / "corpus2"


def test_each_check_is_a_named_function_of_a_claim():
    names = [c.__name__ for c in CHECKS]
    assert len(names) == len(set(names)) >= 10
    assert all(c.__doc__ for c in CHECKS), "each check says what it finds"


def test_a_finding_is_its_reason_text_and_names_its_check(bot):
    c = Citer(bot.articles, bot.settings.support_floor)
    c.set_passages(bot.retriever.retrieve("How many soldiers did Armenia contribute to the CSTO mission?").passages)
    s = c.cite("Armenia contributed 2,500 troops to the CSTO mission in Kazakhstan.")
    assert not s.supported
    owned = [f for f in s.missing if f == "2500 (armenia)"]
    assert owned and isinstance(owned[0], Finding) and owned[0].check == "number_owners"
    assert all(isinstance(f, Finding) and f.check in {x.__name__ for x in CHECKS} for f in s.missing)


def test_a_registry_without_a_check_no_longer_finds_what_it_found(bot):
    c = Citer(bot.articles, bot.settings.support_floor)
    c.set_passages(bot.retriever.retrieve("How many soldiers did Armenia contribute to the CSTO mission?").passages)
    c.cite("Armenia contributed 2,500 troops to the CSTO mission in Kazakhstan.")  # fills the candidates' vectors
    i = next(i for i, s in enumerate(c.spans) if "2,500" in s.text)
    claim = Claim("Armenia contributed 2,500 troops to the CSTO mission in Kazakhstan.", [i], c)
    found = verify(claim)
    without = verify(claim, tuple(x for x in CHECKS if x.__name__ != "number_owners"))
    assert {f.check for f in without} == {f.check for f in found} - {"number_owners"}


def test_the_project_lexicon_comes_from_places_and_the_corpus_profile():
    profile = yaml.safe_load((ROOT / "corpus" / "profile.yaml").read_text(encoding="utf-8"))
    lex = lexicon.Lexicon.load(profile)
    assert {"putin", "kremlin", "moscow"} <= lex.stands_for["russia"]  # a leader (profile), capitals (places)
    assert lex.same_word["tokaev"] == "tokayev" and lex.same_word["organisation"] == "organization"
    assert "almaty" in lex.not_speakers and "beijing" in lex.states


def test_another_corpus_brings_only_its_own_names():
    c2 = Settings.load(path=Path("/nonexistent"), corpus_dir=CORPUS2)
    lex = lexicon.Lexicon.load(c2.profile())
    assert "putin" not in set().union(*lex.stands_for.values()) and "tokaev" not in lex.same_word
    assert c2.glossary_terms() == [] and not c2.contested_path.exists()
    assert "Brannock" in c2.subject()
    # With that lexicon in force, a leader no longer stands for his state; the project's is restored.
    before = lexicon.current()
    try:
        lexicon.use(lex)
        assert unbound_facts("Russia sent 2,500 troops.", ["Putin sent 2,500 troops.", "Russia is big."]) == ["2500 (kremlin moscow russia)"]  # capitals still stand for it
    finally:
        lexicon.use(before)
    assert unbound_facts("Russia sent 2,500 troops.", ["Putin sent 2,500 troops.", "Russia is big."]) == []


@pytest.mark.parametrize("bad", ["- just\n- a list\n", "subject: [unclosed\n"])
def test_a_bad_profile_is_named_in_one_line(tmp_path, bad):
    from bot.settings import SettingsError

    (tmp_path / "profile.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(SettingsError, match="profile"):
        Settings.load(path=Path("/nonexistent"), corpus_dir=tmp_path).profile()


def test_a_link_no_cited_sentence_states_is_found():
    """The model welds a clause onto a true sentence with "because" or "resulted in": each side may
    be cited, the link is not (facts.unstated_link)."""
    from bot.verify.facts import unstated_link

    weld = "The mayor resigned because the river rose by two metres."
    assert unstated_link(weld, ["The mayor resigned on Monday.", "The river rose by two metres overnight."])
    assert not unstated_link(weld, ["The mayor resigned on Monday after the river rose by two metres."])  # a link stated
    assert not unstated_link(weld, ["The river rose by two metres; the mayor resigned."])  # most of both sides in one sentence
    assert unstated_link("The talks resulted in a new treaty.", ["On the eve of the talks, ministers met.", "A new treaty was signed in Oslo."])
    assert unstated_link("Because of the flood, the mayor resigned.", ["The mayor resigned.", "The flood came."])  # fronted
    assert not unstated_link("The mayor resigned on Monday.", ["The river rose."])  # no link claimed: other checks' business


def test_a_place_given_as_the_setting_of_what_was_asked_needs_no_citing():
    """"The flood in Brannock was severe because …" for "Why was the flood so severe?": the place
    restates the frame of the question, and the cited article is about it (its title names it).
    A place as an actor or owner, or one the article is not about, is checked as before."""
    from bot.verify.checks import setting

    titles = ["Brannock counts the cost as river bursts its banks"]
    asked = "Why was the flood so severe?"
    assert setting("The flood in Brannock was severe because the storm dropped 142 mm of rain.", asked, titles) == ["Brannock"]
    assert setting("The flood in Halvern was severe.", asked, titles) == []  # not what the article is about
    assert setting("Brannock flooded because the storm dropped 142 mm of rain.", asked, titles) == []  # an actor
    assert setting("The storm in Brannock was severe.", asked, titles) == []  # not the thing asked about
    assert setting("The flood was worst in Brannock.", asked, titles) == []  # "in" after a word that was not asked


def test_a_post_of_a_place_is_a_setting_only_as_the_question_says_it():
    """"Ann Lee became mayor of Brannock in 2019." for "When did Ann Lee become mayor of Brannock?",
    citing "she took over as mayor in 2019" in an article about Brannock: the model restates the
    question's own "mayor of Brannock". A post of a place the question does not name is checked."""
    from bot.verify.checks import setting

    titles = ["Brannock counts the cost as river bursts its banks"]
    asked = "When did Ann Lee become mayor of Brannock?"
    assert setting("Ann Lee became mayor of Brannock in 2019.", asked, titles) == ["Brannock"]
    assert setting("Ann Lee became mayor of Brannock in 2019.", "When did Ann Lee become mayor?", titles) == []  # not asked
    assert setting("Ann Lee became mayor of Halvern in 2019.", "When did Ann Lee become mayor of Halvern?", titles) == []  # not the article's place
    assert setting("Ann Lee became head of Brannock in 2019.", asked, titles) == []  # another post than the one asked


def test_initials_name_what_their_words_name():
    """"The US" owns the figure "the United States" has; "the FT" / "the WSJ" are the cited
    outlets (a name run's leading "The" is no initial)."""
    from bot.sentences import _initials
    from bot.verify.facts import missing_facts

    assert {"wsj", "ft"} <= _initials("The Wall Street Journal. Financial Times")
    cited = ["Chinese companies account for around 17% of the oil and US companies for 30%, according to 2019 estimates.",
             "In 2020, Kazakhstan's trade with China was $21 billion and $2 billion with the United States."]
    assert unbound_facts("The figures for the oil and for the trade with the US are from 2019 and 2020.", cited) == []
    assert unbound_facts("The trade with the US was counted in 2020.", ["In 2020, trade with China was $21 billion.", "The US is far."]) != []
    support = "Beijing last month pledged to help train police in the Solomon Islands."
    for outlet, claim in (("Financial Times. Henry Foy", "The FT says Beijing pledged to help train police in the Solomon Islands."),
                          ("The Wall Street Journal. ", "The WSJ says Beijing pledged to help train police in the Solomon Islands.")):
        assert missing_facts(claim, support, outlet) == []
    assert missing_facts("The FT says Beijing pledged to help train police in the Solomon Islands.", support, "The Spectator. Francis Pike") == ["ft"]
