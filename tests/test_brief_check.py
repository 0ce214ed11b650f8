"""The briefing check (`bot brief --check`): coverage per section, false and off-section lines from
the audit labels, forbidden phrases, dangling references; and the strict gold file itself."""

from __future__ import annotations

import json
from pathlib import Path


from bot.brief import Briefing, Line, Section, plan
from bot.corpus import load_corpus
from bot.evaluate import brief_check as bc
from bot.settings import ROOT, Settings, SettingsError

GOLD = {
    "sections": {
        "What happened": [
            {"id": "start", "fact": "Protests began on 2 January in Zhanaozen.", "any": ["Zhanaozen"], "all": ["January 2"]},
            {"id": "almaty", "fact": "They spread to Almaty.", "any": ["Almaty"]},
        ],
        "Key people and organisations": [
            {"id": "massimov", "fact": "Massimov headed the National Security Committee.", "all": ["Massimov"],
             "any": ["National Security Committee", "intelligence"]},
        ],
        "Glossary": [{"id": "csto", "fact": "The CSTO is a Russian-led military alliance.", "any": ["military alliance", "security bloc"]}],
    },
    "must_not_appear": [{"text": "China sent troops", "why": "Russia did"}],
}


def _briefing() -> Briefing:
    happened = Section("What happened", [
        Line("WSJ: “The first demonstrations began on January 2 in Zhanaozen.” [1]", [1], inline=True),
        Line("China sent troops to Almaty.", [2]),  # false, and a forbidden phrase
    ])
    people = Section("Key people and organisations", [
        Line("Karim Massimov: FT: “This was a blow to the security services.” [3]", [3], inline=True),  # dangling
        Line("Almaty is the former capital.", [4]),  # true but off the section
    ])
    glossary = [("CSTO", Line("Spectator: “The CSTO, a Russian-led military alliance, sent troops.” [5]", [5], inline=True)),
                ("SCO", None)]
    return Briefing("B", [happened, people], glossary, [], "m", "g")


def test_a_fact_counts_only_in_its_own_section_and_with_all_its_parts():
    result = bc.score(_briefing(), GOLD, {})
    assert result.by_section == {"What happened": [2, 2], "Key people and organisations": [0, 1], "Glossary": [1, 1]}
    assert result.missing == ["Key people and organisations: massimov"]  # named, but no role: "This was a blow…"
    assert round(result.coverage, 3) == 0.75


def test_labels_forbidden_phrases_and_dangling_references_are_counted():
    labels = {("What happened", bc.norm("China sent troops to Almaty.")): "false",
              ("Key people and organisations", bc.norm("Almaty is the former capital.")): "off_section"}
    result = bc.score(_briefing(), GOLD, labels)
    m = result.metrics()
    assert m["lines"] == 5
    assert result.false == ["China sent troops to Almaty."] and len(result.forbidden) == 1
    assert m["false_lines"] == 2 and m["off_section_lines"] == 1
    assert result.dangling == ["Karim Massimov: FT: “This was a blow to the security services.” [3]"]
    assert m["unlabelled_lines"] == 3  # keyed by section and text: the other three have no label
    assert bc.gate(m, {"min": {"coverage": 0.9}, "max": {"false_lines": 0}}) == ["coverage = 0.75 < min 0.9", "false_lines = 2 > max 0"]


def test_the_empty_it_of_a_cleft_is_not_a_dangling_reference():
    assert not bc.dangling("FT: “It was only a week later that Wang Yi spoke.” [1]")
    assert bc.dangling("FT: “It deployed troops within days.” [1]")
    assert bc.dangling("These figures are disputed.")
    assert not bc.dangling("The Spectator: “Thousands were arrested.” [2]")


def test_a_pronoun_opening_the_first_clause_dangles_too():
    line = "The Spectator: “Although he took over the presidency in March 2019, his power was deeply circumscribed.” [20]"
    assert bc.dangling(line)
    assert not bc.dangling("The Spectator: “Although Tokayev took over the presidency in March 2019, he was weak.” [20]")
    # resolved by the article sentence right before it, quoted just before it
    where = {19: ("spectator", 100, 190), 20: ("spectator", 191, 280)}
    assert not bc.dangling("The Spectator: “Apart from Putin, the other clear winner is President Tokayev himself.” [19] "
                           "“Although he took over the presidency in March 2019, his power was deeply circumscribed.” [20]", where)


def test_labels_carry_over_whatever_the_quotes_and_spaces(tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_text(json.dumps({"section": "What happened", "text": "A  ‘quoted’ line.", "label": "true"}) + "\n", encoding="utf-8")
    assert bc.load_labels(path) == {("What happened", "a 'quoted' line."): "true"}
    # and whatever the [n] markers: an earlier line more renumbers every later one
    path.write_text(json.dumps({"section": "S", "text": "WSJ: “It rose.” [3] FT: “It fell.” [4]", "label": "true"}) + "\n", encoding="utf-8")
    assert bc.load_labels(path)[("S", bc.label_key("WSJ: “It rose.” [7] FT: “It fell.” [8]"))] == "true"
    path.write_text(json.dumps({"section": "S", "text": "x", "label": "maybe"}) + "\n", encoding="utf-8")
    try:
        bc.load_labels(path)
    except ValueError as e:
        assert "label must be one of" in str(e)
    else:
        raise AssertionError("a bad label was accepted")


def test_the_strict_gold_has_forty_facts_in_the_briefing_sections_from_real_articles():
    gold = bc.load_gold()
    spec = plan(Settings.load(path=Path("/nonexistent")))
    titles = {s["title"] for s in spec["sections"]} | {spec["disputed_title"], bc.GLOSSARY}
    assert set(gold["sections"]) <= titles, set(gold["sections"]) - titles
    facts = [f for fs in gold["sections"].values() for f in fs]
    assert len(facts) >= 40
    assert len({f["id"] for f in facts}) == len(facts), "fact ids must be unique"
    articles = {a.id for a in load_corpus(ROOT / "corpus")}
    for f in facts:
        assert f["fact"].strip() and {s.strip() for s in str(f["source"]).split(",")} <= articles, f
    assert len(gold["must_not_appear"]) >= 5


def test_the_plan_comes_with_the_corpus_and_a_corpus_without_one_gets_the_generic_plan(tmp_path):
    own = plan(Settings.load(path=Path("/nonexistent")))
    assert own["title"].startswith("Briefing:") and own["instruction"] and own["disputed_title"]
    (tmp_path / "profile.yaml").write_text("subject: the 1999 eclipse over Cornwall\n", encoding="utf-8")
    generic = plan(Settings.load(path=Path("/nonexistent"), corpus_dir=tmp_path))
    assert generic["title"] == "Briefing: the 1999 eclipse over Cornwall"
    assert all("the 1999 eclipse over Cornwall" in q for s in generic["sections"] for q in s["queries"])
    assert not any("Kazakh" in json.dumps(s) for s in generic["sections"])  # no corpus in the generic plan
    (tmp_path / "briefing.yaml").write_text("sections:\n  - title: What happened\n", encoding="utf-8")
    try:
        plan(Settings.load(path=Path("/nonexistent"), corpus_dir=tmp_path))
    except SettingsError as e:
        assert "briefing.yaml" in str(e) and "queries" in str(e)
    else:
        raise AssertionError("a plan without queries was accepted")


def test_a_plan_query_with_an_unquoted_colon_gets_a_clear_error(tmp_path):
    """YAML reads `- topic: detail` as a mapping; the plan's author gets the section and the
    query named, not a tokenizer's traceback from deep inside the build."""
    (tmp_path / "briefing.yaml").write_text(
        "sections:\n  - title: What happened\n    queries:\n      - the storm\n      - the review's findings, 6 November: an unread email\n",
        encoding="utf-8")
    try:
        plan(Settings.load(path=Path("/nonexistent"), corpus_dir=tmp_path))
    except SettingsError as e:
        assert "What happened" in str(e) and "unread email" in str(e) and "colon" in str(e)
    else:
        raise AssertionError("a query read as a mapping was accepted")


def test_a_reference_back_is_resolved_only_by_the_article_sentence_quoted_right_before_it():
    line = "The Spectator: “The head of the intelligence services was sacked.” [1] “He has now been arrested for treason.” [2]"
    adjacent = {1: ("spectator", 100, 150), 2: ("spectator", 151, 190)}
    assert not bc.dangling(line, adjacent)
    assert bc.dangling(line, {1: ("spectator", 100, 150), 2: ("spectator", 400, 440)})  # not the sentence before
    assert bc.dangling(line, {1: ("ft", 100, 150), 2: ("spectator", 151, 190)})  # another article
    assert bc.dangling(line)  # positions unknown: not resolved
    first = "FT: “He has now been arrested for treason.” [2] “The head was sacked.” [1]"
    assert bc.dangling(first, adjacent)  # nothing before it in the line
