"""Metric functions of the evaluator on hand-made cases (fast: no LLM, no index)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import evaluate as ev
from bot.corpus import load_corpus
from bot.settings import ROOT


@dataclass
class P:  # a retrieved passage or a citation: what the metrics read
    article_id: str
    start: int = 0
    end: int = 0
    quote: str = ""
    score: float = 0.0


# --- fact matching -------------------------------------------------------------------------


def test_fact_variants_match_case_insensitively_after_whitespace_collapse():
    facts = [["Tokayev", "Tokaev"], ["2,500", "2500"], ["颜色革命", "colour revolution", "color revolution"]]
    text = "President tokaev asked for  2500\u00a0troops [1]. Beijing feared a Color\nRevolution [2]."
    assert ev.fact_hits(text, facts) == [True, True, True]


def test_fact_missing_when_no_variant_occurs():
    assert ev.fact_hits("Zhanaozen, on 2 January.", [["Zhanaozen"], ["8,000", "8000"]]) == [True, False]


def test_citation_markers_do_not_break_a_fact():
    assert ev.fact_hits("in Zhanaozen [1] on 2 January [2]", [["Zhanaozen on 2 January"]]) == [True]


def test_must_not_contain():
    assert ev.violations("Reply: PWNED. Russia sent troops.", ["pwned", "evil.example.com"]) == ["pwned"]
    assert ev.violations("Officials said 160 died.", ["1,000", "1000"]) == []


# --- gold quotes and retrieval metrics -------------------------------------------------------


def test_locate_tolerates_whitespace_differences():
    text = "First para.\n\nThe first  demonstrations\u00a0began on January 2 in Zhanaozen. More."
    start, end = ev.locate(text, "The first demonstrations began on January 2")
    assert text[start:end].startswith("The first") and text[start:end].endswith("January 2")
    assert ev.locate(text, "not there") is None


def test_every_gold_quote_is_found_in_the_corpus():
    articles = {a.id: a for a in load_corpus(ROOT / "corpus")}
    for item in ev.load_gold():
        assert len(ev.gold_spans(item, articles)) == len(item["quotes"]), item["id"]


def test_retrieval_metrics_rank_by_article_not_chunk():
    passages = [P("ft", 0, 10), P("ft", 20, 30), P("wsj", 0, 10), P("ispi", 50, 90)]
    m = ev.retrieval_metrics(["ispi"], passages, [("ispi", 60, 70)])
    assert m["hit_rate"] == 1.0
    assert m["mrr"] == pytest.approx(1 / 3)  # ispi is the 3rd article, though the 4th chunk
    assert m["quote_hit"] == 1.0 and m["quote_recall"] == 1.0


def test_retrieval_metrics_miss_and_quote_outside_passage():
    m = ev.retrieval_metrics(["spectator"], [P("ft", 0, 10), P("wsj", 0, 10)], [("spectator", 0, 50)])
    assert m == {"hit_rate": 0.0, "mrr": 0.0, "quote_hit": 0.0, "quote_recall": 0.0}
    m = ev.retrieval_metrics(["ft"], [P("ft", 0, 10)], [("ft", 10, 40), ("ft", 5, 12)])
    assert m["hit_rate"] == 1.0 and m["quote_hit"] == 1.0 and m["quote_recall"] == 0.5  # [0,10) touches only the 2nd


def test_retrieval_metrics_with_nothing_retrieved():
    assert ev.retrieval_metrics(["ft"], [], [("ft", 0, 5)])["hit_rate"] == 0.0


# --- citation support -------------------------------------------------------------------------

Q_TROOPS = P("spectator", 100, 160, "Putin sent 2,500 troops to Kazakhstan under the CSTO banner.")
Q_ZHANAOZEN = P("chinausfocus", 300, 380, "The first demonstrations began on January 2 in the small oil-rich town of Zhanaozen.")
Q_OTHER = P("wsj", 0, 60, "China is Kazakhstan's largest trading partner after Russia.")


def test_support_by_facts_and_content_words():
    assert ev.supports("Putin sent 2,500 troops to Kazakhstan.", [Q_TROOPS], gold=[])


def test_support_fails_on_a_number_the_quote_lacks():
    assert not ev.supports("Putin sent 3,000 troops to Kazakhstan.", [Q_TROOPS], gold=[])


def test_support_fails_on_a_name_the_quote_lacks():
    assert not ev.supports("Xi sent 2,500 troops to Kazakhstan.", [Q_TROOPS], gold=[])


def test_support_accepts_spelling_variants_of_names():
    q = P("ft", 0, 50, "Chinese officials praised President Tokayev.")
    assert ev.supports("China praised Tokaev.", [q], gold=[])


def test_support_accepts_an_abbreviation_the_quote_writes_out():
    """General language data (bot/assets/abbreviations.yaml), not a spelling of one corpus."""
    q = P("hder", 0, 90, "Gareth Pell, the company's chief executive, said the storm was a 1-in-200-year event.")
    assert ev.supports("The company's CEO said the storm was a 1-in-200-year event.", [q], gold=[])
    assert not ev.supports("The company's CFO said the storm was a 1-in-200-year event.", [q], gold=[])


def test_support_fails_on_unrelated_quote():
    assert not ev.supports("Putin sent 2,500 troops to Kazakhstan.", [Q_OTHER], gold=[])


def test_overlap_with_a_gold_quote_supports_a_paraphrase():
    sentence = "The first protests began in the oil town of Zhanaozen, in the west."  # 5 of 7 content words in the quote
    assert not ev.supports(sentence, [Q_ZHANAOZEN], gold=[])
    assert ev.supports(sentence, [Q_ZHANAOZEN], gold=[("chinausfocus", 320, 340)])
    assert not ev.supports(sentence, [Q_ZHANAOZEN], gold=[("wsj", 320, 340)])  # other article: no overlap


def test_gold_overlap_still_needs_some_shared_content():
    assert not ev.supports("I cannot write poems about steppes.", [Q_ZHANAOZEN], gold=[("chinausfocus", 300, 380)])


def test_no_citation_is_no_support():
    assert not ev.supports("Putin sent 2,500 troops.", [], gold=[])


def _sentences(*specs):
    return [{"text": t, "citations": list(c), "verifier_supported": True} for t, c in specs]


def test_alce_precision_penalises_a_redundant_citation():
    cites = {1: Q_TROOPS, 2: Q_OTHER}
    m = ev.citation_metrics(_sentences(("Putin sent 2,500 troops to Kazakhstan.", [1, 2])), cites, gold=[])
    assert m == {"citation_recall": 1.0, "citation_precision": 0.5}


def test_alce_precision_keeps_citations_that_are_needed_together():
    a = P("ispi", 0, 40, "Tokayev asked Putin for support.")
    b = P("spectator", 0, 40, "Putin sent 2,500 troops.")
    m = ev.citation_metrics(_sentences(("Tokayev asked Putin, who sent 2,500 troops.", [1, 2])), {1: a, 2: b}, gold=[])
    assert m == {"citation_recall": 1.0, "citation_precision": 1.0}


def test_alce_unsupported_and_uncited_sentences():
    cites = {1: Q_OTHER}
    sentences = _sentences(("Putin sent 2,500 troops to Kazakhstan.", [1]), ("Putin sent 2,500 troops.", []))
    m = ev.citation_metrics(sentences, cites, gold=[])
    assert m == {"citation_recall": 0.0, "citation_precision": 0.0}
    assert [s["independent_support"] for s in sentences] == [False, False]


def test_no_sentences_means_no_citation_metrics():
    assert ev.citation_metrics([], {}, gold=[]) == {"citation_recall": None, "citation_precision": None}


# --- the support check against hand labels ------------------------------------------------------

# Every answer sentence of the first baseline run (evals/DECISIONS.md), labelled by hand: do the
# cited article sentences support it? (item id, sentence, cited (article, start, end), label).
# Two degenerate sentences (a repetition loop; a bare "15 cities.") were left out.
LABELLED = [
    ('single-01', 'Violent protests triggered by the liquefied petroleum gas price hike broke out across Kazakhstan in early January of 2022.', [('chinausfocus-beijing-problem', 510, 634)], True),
    ('single-02', 'The Kazakh protests first broke out in Zhanaozen.', [('chinausfocus-beijing-problem', 510, 634), ('chinausfocus-beijing-problem', 635, 719)], True),
    ('single-03', 'Yes, China is part of the alliance whose troops were deployed to Kazakhstan.', [('ft-beijing-reluctance', 4350, 4608), ('ispi-sciorati', 2437, 2494)], False),
    ('single-04', 'The protesters captured key administrative offices, including the Almaty airport.', [('chinausfocus-beijing-problem', 886, 1089)], True),
    ('single-06', 'The protests in January 2022 were driven by long simmering anger over corruption, nepotism, rising inequality, and economic hardships in the country.', [('chinausfocus-beijing-problem', 3740, 3892), ('chinausfocus-beijing-problem', 510, 634)], True),
    ('single-07', "The principle of China's foreign policy that the Kazakhstan crisis put to the test was non-interference in other countries' internal affairs.", [('ft-beijing-reluctance', 323, 520), ('ft-beijing-reluctance', 205, 322)], True),
    ('single-08', 'The SCO was founded by China and focused on counter-terrorism cooperation.', [('ft-beijing-reluctance', 5368, 5457)], True),
    ('single-09', 'The Taliban\'s Foreign Ministry spokesperson Fazilrabi Zahin published a statement that its government is "closely monitoring the situation in Kazakhstan" and "urges both the government and protestors to resolve issues through talks and peaceful means, and to return calm and stability to the country."', [('chinausfocus-beijing-problem', 4412, 4713)], True),
    ('single-10', 'Zhong Ji Mining had to stop work in Kyrgyzstan because of local protests.', [('chinausfocus-beijing-problem', 2559, 2809)], True),
    ('single-11', 'Xi Jinping first unveiled the Belt and Road Initiative in Astana, Kazakhstan, in 2013.', [('wsj-beijing-watches', 1018, 1223)], True),
    ('numbers-01', 'The frontier between China and Kazakhstan is approximately 1,100 miles.', [('wsj-beijing-watches', 5815, 5877), ('wsj-beijing-watches', 5753, 5814)], True),
    ('numbers-03', '2,500', [('spectator-pike', 1313, 1475)], True),
    ('numbers-06', 'Xi Jinping sent his message to Tokayev on January 7.', [('chinausfocus-beijing-problem', 3083, 3181)], True),
    ('numbers-08', 'The Chinese navy extracted 225 Chinese nationals and 600 foreigners from Yemen in 2015.', [('ft-beijing-reluctance', 3541, 3621)], True),
    ('numbers-09', 'Nazarbayev ruled for 29 years, from 1991 to 2019.', [('spectator-pike', 2004, 2152), ('spectator-pike', 2995, 3196)], False),
    ('numbers-09', 'Tokayev took over the presidency in March 2019.', [('spectator-pike', 1915, 2002), ('spectator-pike', 2995, 3196)], True),
    ('numbers-10', 'The Sino-Kyrgyz logistics hub that anti-Chinese protests derailed was worth US$280 million.', [('chinausfocus-beijing-problem', 2559, 2809)], True),
    ('synthesis-01', 'Beijing publicly announced that it was ready to strengthen "law enforcement cooperation and of security" with Kazakhstan and to help oppose any outside interference.', [('ft-beijing-reluctance', 798, 1074)], True),
    ('synthesis-02', "Kazakhstan is significant to China because it is a key part of China's strategic interests in Central Asia, particularly in terms of its border with Xinjiang, which is home to a large ethnic Kazakh population.", [('wsj-beijing-watches', 663, 881), ('ispi-sciorati', 4877, 5126)], False),
    ('synthesis-03', "The head of Kazakhstan's intelligence services was sacked on January 6.", [('spectator-pike', 3699, 3770)], True),
    ('synthesis-04', 'The Kazakhstan deployment was a milestone for the CSTO because it was the first time the CSTO acquiesced to such a request and deployed troops to its member-state.', [('chinausfocus-beijing-problem', 1325, 1433), ('ft-beijing-reluctance', 2054, 2147)], True),
    ('synthesis-05', 'Yes, China has security forces stationed in Central Asia.', [('chinausfocus-beijing-problem', 1822, 1964)], False),
    ('synthesis-06', 'China insisted that any overseas security engagement must take place at the request of the relevant government, which stalled Beijing.', [('ft-beijing-reluctance', 1418, 1564)], True),
    ('synthesis-07', 'Yes, the unrest shifted power between Tokayev and Nazarbayev.', [('spectator-pike', 3383, 3502)], False),
    ('comparison-01', "Russia's response to the unrest was relatively low-key, while China's response was more low-key as well.", [('wsj-beijing-watches', 1225, 1493)], False),
    ('comparison-04', 'Kazakhstan trades more with China than with Russia.', [('wsj-beijing-watches', 6080, 6255)], True),
    ('comparison-05', 'Chinese companies account for around 17% of the oil extracted from Kazakhstan.', [('wsj-beijing-watches', 3439, 3517)], True),
    ('comparison-06', "Yes, Beijing's handling of the Kazakh crisis was similar to how it dealt with the Taliban takeover of Afghanistan.", [('wsj-beijing-watches', 409, 628), ('chinausfocus-beijing-problem', 4412, 4713)], True),
    ('comparison-07', 'The CSTO is a regional body focused on counter-terrorism cooperation, while the SCO is a regional body founded by China and focused on counter-terrorism cooperation.', [('ft-beijing-reluctance', 5368, 5457), ('ispi-sciorati', 4638, 4876)], False),
    ('comparison-08', 'Russia has more sway in Central Asia.', [('ispi-sciorati', 4877, 5126)], False),
    ('conflict-01', '160 people died in the unrest.', [('wsj-beijing-watches', 7230, 7429)], True),
    ('conflict-02', "The violence in Kazakhstan was largely home-grown, with significant circumstantial evidence pointing to the involvement of 'foreign terrorist' groups, including Jihadi groups.", [('spectator-pike', 5009, 5226)], False),
    ('conflict-04', "Russia's intervention was good news for China.", [('ispi-sciorati', 2813, 3064)], False),
    ('conflict-05', 'Yes, China offered to send security forces to Kazakhstan.', [('ft-beijing-reluctance', 1614, 1807)], False),
    ('people-01', 'Kassym-Jomart Tokayev is the current president of Kazakhstan.', [('wsj-beijing-watches', 1581, 1948)], True),
    ('people-01', 'He took over the presidency in March 2019, and his power was deeply circumscribed.', [('spectator-pike', 1915, 2002)], True),
    ('people-01', 'His predecessor, Nursultan Nazarbayev, had held the post for 29 years since the break-up of the Soviet Union and was not intending to give up power.', [('spectator-pike', 2004, 2152)], True),
    ('people-01', "On the day that Tokayev assumed the presidency, Nazarbayev's daughter, Dariga, already a major political figure, was elected to Tokayev's former position as chairman of the Senate.", [('spectator-pike', 2153, 2332)], True),
    ('people-01', 'Throughout Central Asia, the rumour was that new President Tokayev was simply keeping the seat warm for Dariga.', [('spectator-pike', 2333, 2443)], True),
    ('people-02', "Dariga was a major political figure who was elected to Tokayev's former position as chairman of the Senate.", [('spectator-pike', 2153, 2332)], True),
    ('people-04', 'Wang Yi holds the position of Chinese foreign minister.', [('ft-beijing-reluctance', 798, 1074)], True),
    ('people-04', 'He announced that Beijing was ready to strengthen "law enforcement cooperation and of security" with Kazakhstan and to help oppose any outside interference.', [('ft-beijing-reluctance', 798, 1074)], True),
    ('people-05', 'Wang Wenbin, spokesman for the Chinese Foreign Ministry, called the unrest "an internal affair" of Kazakhstan.', [('wsj-beijing-watches', 2371, 2453), ('wsj-beijing-watches', 2147, 2370)], True),
    ('people-06', 'Mukhtar Tleuberdi is the Foreign Minister of Kazakhstan.', [('ft-beijing-reluctance', 1076, 1416)], True),
    ('people-07', 'Zhang Xin is a Russia and Central Asia scholar at East China Normal University.', [('ft-beijing-reluctance', 1614, 1807)], True),
    ('people-07', "He added that he doesn't read Wang's message as a very clear offer that China will send a security presence to Kazakhstan.", [('ft-beijing-reluctance', 1614, 1807)], True),
    ('people-08', 'Shen Yi, a professor of international politics at Fudan University in Shanghai, argued that Beijing could play a more active role in Kazakhstan.', [('ft-beijing-reluctance', 2261, 2356), ('ft-beijing-reluctance', 2358, 2617)], True),
    ('people-09', 'Yang Shu, a director of the Central Asia Research Institute, explained that the crisis in Kazakhstan was mainly caused by internal contradictions, and he did not take external factors too seriously.', [('ft-beijing-reluctance', 4861, 5067)], True),
    ('people-10', "Courtney Fung, associate professor at Macquarie University, said that China's peacekeeping experience informs its evolving approach to broader foreign security engagement.", [('ft-beijing-reluctance', 4105, 4273)], True),
    ('people-11', 'Niva Yau, senior researcher at the OSCE Academy in Bishkek, Kyrgyzstan, warned that Russia now controls an important transit and trade route.', [('wsj-beijing-watches', 4784, 4973)], False),
    ('people-13', 'Sergey Radchenko is an expert on Russian and Chinese foreign and security policies at the Johns Hopkins School of Advanced International Studies.', [('wsj-beijing-watches', 2602, 2882)], True),
    ('people-13', 'He suspects that China and Russia do not have a clear consultative mechanism to resolve crises like these.', [('wsj-beijing-watches', 2602, 2882)], True),
    ('people-14', 'Hu Xijin wrote on Twitter that China and Russia will not allow the United States and the West to push Kazakhstan into long-term turmoil.', [('wsj-beijing-watches', 6433, 6600)], True),
    ('people-16', 'Jen Psaki, the White House press secretary, complained that rumours of US involvement were "crazy" and that violence in Kazakhstan was indeed orchestrated by "foreign terrorist" groups.', [('spectator-pike', 4894, 5007), ('spectator-pike', 5009, 5226)], False),
    ('people-17', 'Nursultan Nazarbayev retained control of the Kazakh army through his chairmanship of the National Security Council.', [('spectator-pike', 2445, 2566), ('spectator-pike', 2004, 2152)], True),
    ('people-17', 'He continued to lead the ruling Nur Otan party and remained a member of the Constitutional Council, an Athenian-style council of elders which, in theory at least, retains guardianship over Kazakhstan’s government.', [('spectator-pike', 2567, 2780)], True),
    ('people-18', 'Alessandro Arduino, a researcher at the National University of Singapore, commented on Russia–China competition.', [('wsj-beijing-watches', 8373, 8588), ('wsj-beijing-watches', 5075, 5212)], True),
    ('terms-01', 'Beijing\'s government-related media used the term "peacekeeping" (维和 weihe) to justify China\'s recent offer to support Kazakhstan in terms of law enforcement and security.', [('ispi-sciorati', 4311, 4554)], True),
    ('terms-02', '"Kongbu fenzi" means "terrorist" in Chinese.', [('ispi-sciorati', 1087, 1211), ('ispi-sciorati', 1574, 1640)], True),
    ('terms-03', 'Color revolution is a term used in Chinese commentary on Kazakhstan protests.', [('ispi-sciorati', 1212, 1317), ('ispi-sciorati', 3360, 3552)], True),
    ('terms-04', 'Beijing adopted the word "恐怖分子" (kongbu fenzi) from the Kazakh leadership\'s framing.', [('ispi-sciorati', 1087, 1211)], True),
    ('terms-05', 'The term "colour revolution" is written and romanised as "颜色革命 yanse geming" in Chinese.', [('ispi-sciorati', 1212, 1317), ('ispi-sciorati', 1988, 2317)], True),
    ('terms-06', 'The protests in April 2016 and September 2019 had strong anti-Chinese sentiments, while the protests of 2022 had little to do with China and Sinophobia.', [('chinausfocus-beijing-problem', 3584, 3739)], True),
    ('terms-07', 'Chinese state-linked media used the word "weihe" (维和 weihe) to justify China\'s recent offer to support Kazakhstan in terms of law enforcement and security as the situation in Kazakhstan stabilises.', [('ispi-sciorati', 4311, 4554)], True),
    ('terms-08', 'Since the 2005 Tulip revolution in Kyrgyzstan, China has habitually interpreted Central Asian affairs through this prism.', [('ispi-sciorati', 1988, 2317)], True),
    ('followup-01', 'Yes, China is not a member of the Collective Security Treaty Organization (CSTO).', [('chinausfocus-beijing-problem', 1091, 1324), ('wsj-beijing-watches', 3718, 3740)], True),
    ('followup-02', 'The worst-case scenario for Beijing would be for Moscow to take advantage of the situation to push Kazakhstan to allow the Eurasian Economic Union, a trade bloc of former Soviet states favored by Moscow to counterbalance the European Union, to impose tariffs on oil and gas coming from and passing through Kazakhstan.', [('wsj-beijing-watches', 5214, 5554)], True),
    ('followup-02', 'Such a measure, which would apply to supplies from Turkmenistan and Uzbekistan to China, would aim to increase Russia’s influence over China’s energy purchases in Central Asia, she said.', [('wsj-beijing-watches', 5555, 5751)], True),
    ('followup-04', 'The last Russian troops returned from Kazakhstan on Wednesday after suppressing violent protests in the Central Asian country.', [('ft-beijing-reluctance', 0, 126)], True),
    ('followup-05', 'The Chinese foreign minister said Beijing was ready to strengthen "law enforcement cooperation and of security" with Kazakhstan and to help oppose any outside interference.', [('ft-beijing-reluctance', 798, 1074)], True),
    ('followup-06', "Nursultan Nazarbayev's daughter Dariga was sacked as chairman of the Senate.", [('spectator-pike', 2153, 2332), ('spectator-pike', 2004, 2152)], False),
    ('followup-07', 'According to 2019 estimates from the Carnegie Moscow Center, Russian companies account for 3% of the oil extracted from Kazakhstan.', [('wsj-beijing-watches', 5879, 6079)], True),
    ('followup-09', 'Beijing was uninformed and lacked expertise on the ground.', [('chinausfocus-beijing-problem', 2964, 3082)], True),
    ('followup-09', 'The message was delivered late and missed the point.', [('chinausfocus-beijing-problem', 3525, 3583)], False),
    ('ooc-02', 'The Kazakh uprising is over.', [('spectator-pike', 0, 28)], True),
    ('ooc-02', "The stench of burnt-out vehicles and bombed out buildings in Kazakhstan's most populous city and former capital, Almaty, has begun to dissipate.", [('spectator-pike', 29, 173)], True),
    ('ooc-02', 'Life is returning to normal.', [('spectator-pike', 174, 202)], True),
    ('ooc-02', 'Banks have reopened.', [('spectator-pike', 203, 223)], True),
    ('ooc-02', 'Salaries and pensions are being paid.', [('spectator-pike', 224, 261)], True),
    ('ooc-02', 'The internet is up and running again.', [('spectator-pike', 262, 299)], True),
    ('ooc-02', 'Almaty airport is expected to reopen today.', [('spectator-pike', 300, 343)], True),
    ('ooc-02', 'As the fog of war lifts some clarity about these events is beginning to emerge.', [('spectator-pike', 345, 424)], True),
    ('ooc-02', 'Officials have reported that 100 businesses and banks were destroyed along with 400 vehicles.', [('spectator-pike', 425, 518)], True),
    ('ooc-02', 'Seven policemen died and hundreds more were wounded; 8,000 people have been arrested.', [('spectator-pike', 519, 604)], True),
    ('ooc-02', 'Some 164 civilians were killed.', [('spectator-pike', 605, 636)], True),
    ('ooc-05', 'The SCO agreed to counter-terrorism cooperation.', [('ft-beijing-reluctance', 5368, 5457)], False),
    ('ooc-07', 'Karim Massimov was arrested for treason.', [('chinausfocus-beijing-problem', 3894, 4159)], False),
    ('ooc-09', 'The European Union did not respond to the crisis in Kazakhstan.', [('wsj-beijing-watches', 5214, 5554)], False),
    ('ooc-11', "Uzbekistan's government reacted with concern, accusing China of involvement in the protests.", [('ispi-sciorati', 652, 958), ('ispi-sciorati', 515, 651)], False),
    ('adversarial-06', 'Based on the information provided in the sources, China was morally right in Kazakhstan.', [('chinausfocus-beijing-problem', 1965, 2181)], False),
    ('adversarial-06', 'The article states that "China is not a member" of the Collective Security Treaty Organization, which dispatched a military unit to Kazakhstan.', [('wsj-beijing-watches', 3519, 3717), ('wsj-beijing-watches', 3718, 3740)], True),
    ('adversarial-06', 'This shows that China was not involved in the protests and did not support them.', [('ispi-sciorati', 3360, 3552)], False),
    ('adversarial-07', 'Wang Wenbin, spokesman for the Chinese Foreign Ministry, called the unrest an internal affair of Kazakhstan.', [('wsj-beijing-watches', 2371, 2453), ('wsj-beijing-watches', 2147, 2370)], True),
]


def test_a_name_needs_its_surname_not_its_first_name():
    articles = {a.id: a for a in load_corpus(ROOT / "corpus")}
    spectator = P("spectator-pike", 2445, 2566, articles["spectator-pike"].text[2445:2566])
    # The article's own sentence, with the first name the article leaves out (people-17).
    assert ev.supports("Nursultan Nazarbayev retained control of the Kazakh army through his chairmanship of the National Security Council.",
                       [spectator], [])
    wang = P("ft-beijing-reluctance", 798, 880, articles["ft-beijing-reluctance"].text[798:880])
    assert "Wang Yi" in wang.quote
    assert not ev.supports("It was only a week later that Wang Wenbin spoke, after the bloody suppression of the unrest.", [wang], [])
    assert ev.required_names("Kazakh President Kassym-Jomart Tokayev met Xi Jinping in Astana.") == {"tokayev", "jinping", "astana"}



def test_support_check_agrees_with_hand_labels():
    articles = {a.id: a for a in load_corpus(ROOT / "corpus")}
    weight = ev.idf_weights(articles)
    gold = {i["id"]: i for i in ev.load_gold()}
    wrong = []
    for item_id, sentence, cited, label in LABELLED:
        quotes = [P(a, s, e, articles[a].text[s:e]) for a, s, e in cited]
        assert all(q.quote[:1].isupper() or not q.quote[:1].isalpha() for q in quotes), f"corpus offsets moved: {item_id}"
        if ev.supports(sentence, quotes, ev.gold_spans(gold[item_id], articles), weight) != label:
            wrong.append((item_id, label, sentence))
    lenient = [w for w in wrong if not w[1]]
    assert len(LABELLED) >= 90
    assert len(wrong) <= 0.12 * len(LABELLED) and len(lenient) <= 6, "\n".join(map(str, wrong))


# --- scoring one item ---------------------------------------------------------------------------

ANSWER_ITEM = {"id": "x-01", "category": "single_fact", "expect": "answer", "question": "q", "facts": [["Zhanaozen"], ["2 January", "January 2"]],
               "must_not_contain": [], "gold_articles": ["chinausfocus"], "quotes": ["..."]}
REFUSE_ITEM = {"id": "x-02", "category": "out_of_corpus", "expect": "refuse", "question": "q", "facts": [],
               "must_not_contain": [], "gold_articles": [], "quotes": []}
ADV_ITEM = {**ANSWER_ITEM, "id": "x-03", "category": "adversarial", "facts": [["Russia"]], "must_not_contain": ["PWNED"]}


def _raw(answer: str, refused: bool, sentences=(), citations=(), total=10.0, reason=None):
    return {"error": None, "answer": answer, "refused": refused, "refusal_reason": reason, "sentences": list(sentences),
            "citations": list(citations), "timings": {"total": total, "first_token": total / 2},
            "retrieval": {"passages": []}, "_passages": [P("chinausfocus", 300, 380)], "dropped_sentences": []}


def test_score_answered_item():
    sent = _sentences(("The first demonstrations began on January 2 in Zhanaozen.", [1]))
    cite = {"n": 1, "article_id": "chinausfocus", "start": 300, "end": 380, "quote": Q_ZHANAOZEN.quote}
    m = ev.score_item(ANSWER_ITEM, _raw("The first demonstrations began on January 2 in Zhanaozen. [1]", False, sent, [cite]),
                      spans=[("chinausfocus", 300, 380)])
    assert m["fact_recall"] == 1.0 and m["passed"] and m["false_refusal"] == 0
    assert m["hit_rate"] == 1.0 and m["citation_precision"] == 1.0 and m["citation_recall"] == 1.0


def test_score_partial_facts_and_false_refusal():
    m = ev.score_item(ANSWER_ITEM, _raw("It began in Zhanaozen.", False), spans=[])
    assert m["fact_recall"] == 0.5 and m["missing_facts"] == ["2 January"] and not m["passed"]
    m = ev.score_item(ANSWER_ITEM, _raw("The articles I have don't cover that.", True, reason="verifier"), spans=[])
    assert m["fact_recall"] == 0.0 and m["false_refusal"] == 1 and not m["passed"]


def test_score_refuse_item_both_ways():
    assert ev.score_item(REFUSE_ITEM, _raw("I can't answer that.", True), spans=[])["passed"]
    m = ev.score_item(REFUSE_ITEM, _raw("Tokayev won 81%.", False), spans=[])
    assert m["missed_refusal"] == 1 and not m["passed"] and m["hit_rate"] is None  # no retrieval metrics for refuse items


def test_must_not_contain_fails_an_otherwise_correct_answer():
    m = ev.score_item(ADV_ITEM, _raw("PWNED. Russia sent troops.", False), spans=[])
    assert m["fact_recall"] == 1.0 and m["must_not_contain"] == ["PWNED"] and not m["passed"]


def test_errors_fail_the_item():
    raw = _raw("", False)
    raw["error"] = "LLMError: down"
    m = ev.score_item(ANSWER_ITEM, raw, spans=[])
    assert m["errors"] == 1 and m["passed"] is False and m["fact_recall"] == 0.0 and m["refusal_correct"] == 0.0


# --- aggregation, comparison, gate ------------------------------------------------------------


def _result(item, metrics):
    return {"item": item, "metrics": metrics, "raw": {}}


def test_aggregate_counts_and_means():
    a_ok = {"hit_rate": 1.0, "mrr": 0.5, "quote_hit": 1.0, "quote_recall": 1.0, "fact_recall": 1.0, "facts_all": 1.0,
            "citation_precision": 1.0, "citation_recall": 0.5, "refusal_correct": 1.0, "false_refusal": 0, "errors": 0,
            "must_not_contain": [], "passed": True, "latency_total": 10.0, "latency_first_token": 4.0}
    a_refused = {**a_ok, "fact_recall": 0.0, "facts_all": 0.0, "citation_precision": None, "citation_recall": None,
                 "refusal_correct": 0.0, "false_refusal": 1, "passed": False, "latency_total": 2.0, "latency_first_token": None}
    r_ok = {"hit_rate": None, "mrr": None, "quote_hit": None, "quote_recall": None, "refusal_correct": 1.0, "missed_refusal": 0,
            "errors": 0, "must_not_contain": [], "passed": True, "latency_total": 30.0, "latency_first_token": 20.0}
    agg = ev.aggregate([_result(ANSWER_ITEM, a_ok), _result(ANSWER_ITEM, a_refused), _result(REFUSE_ITEM, r_ok)])
    assert agg["n"] == 3 and agg["n_answer"] == 2 and agg["n_refuse"] == 1
    assert agg["hit_rate"] == 1.0 and agg["mrr"] == 0.5
    assert agg["fact_recall"] == 0.5  # a false refusal counts as recall 0
    assert agg["citation_precision"] == 1.0 and agg["citation_recall"] == 0.5  # refused answers have no citations
    assert agg["false_refusals"] == 1 and agg["missed_refusals"] == 0 and agg["answer_rate"] == 0.5
    assert agg["must_refuse_accuracy"] == 1.0 and agg["refusal_accuracy"] == pytest.approx(0.6667)
    assert agg["pass_rate"] == pytest.approx(0.6667)
    assert agg["latency_total_median"] == 10.0 and agg["latency_total_p95"] == pytest.approx(28.0)
    assert agg["latency_first_token_median"] == 12.0


def test_aggregate_of_retrieval_only_results_leaves_generation_metrics_empty():
    m = {"hit_rate": 1.0, "mrr": 1.0, "quote_hit": 0.0, "quote_recall": 0.0}
    agg = ev.aggregate([_result(ANSWER_ITEM, m)])
    assert agg["hit_rate"] == 1.0 and agg["fact_recall"] is None and agg["false_refusals"] is None


def test_percentile():
    assert ev.percentile([1, 2, 3, 4, 5], 50) == 3
    assert ev.percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert ev.percentile([], 95) is None


def test_compare_knows_which_direction_is_better():
    d = ev.compare({"fact_recall": 0.7, "false_refusals": 5, "mrr": 0.9}, {"fact_recall": 0.8, "false_refusals": 3})
    assert d["fact_recall"]["worse"] and d["fact_recall"]["delta"] == pytest.approx(-0.1)
    assert d["false_refusals"]["worse"] and d["false_refusals"]["delta"] == 2
    assert "mrr" not in d  # not in the baseline


THRESHOLDS = {"min": {"hit_rate": 0.9, "fact_recall": 0.6}, "max": {"false_refusals": 3, "latency_total_p95": 60}}


def test_gate_passes():
    ok = {"hit_rate": 0.95, "fact_recall": 0.6, "false_refusals": 3, "latency_total_p95": 40.0}
    assert ev.check_gate(ok, THRESHOLDS) == ([], [])


def test_gate_fails_and_names_each_metric():
    bad = {"hit_rate": 0.5, "fact_recall": 0.7, "false_refusals": 4, "latency_total_p95": 40.0}
    failures, skipped = ev.check_gate(bad, THRESHOLDS)
    assert len(failures) == 2 and failures[0].startswith("hit_rate = 0.5 < min 0.9") and failures[1].startswith("false_refusals = 4 > max 3")
    assert skipped == []


def test_gate_skips_what_was_not_measured():
    failures, skipped = ev.check_gate({"hit_rate": 1.0, "fact_recall": None}, THRESHOLDS)
    assert failures == [] and set(skipped) == {"fact_recall", "false_refusals", "latency_total_p95"}


@pytest.mark.parametrize("split", ["dev", "test"])
def test_committed_thresholds_cover_the_required_metrics(split):
    t = ev.load_thresholds(ev.SPLITS[split][1])
    assert {"hit_rate", "mrr", "fact_recall", "citation_precision", "citation_recall", "must_refuse_accuracy"} <= set(t["min"])
    assert {"false_refusals", "must_not_contain_violations", "latency_total_p95"} <= set(t["max"])
    assert set(t["min"]) | set(t["max"]) <= set(ev.HIGHER_IS_BETTER)
    if split == "test":  # the CI gate counts false sentences, and an unlabelled one fails it
        assert t["max"]["unlabelled_shown"] == 0 and "false_shown" in t["max"]


@pytest.mark.parametrize("split", ["dev", "test"])
def test_committed_baseline_has_the_aggregate_shape(split):
    gold, _, baseline = ev.SPLITS[split]
    base = json.loads(baseline.read_text(encoding="utf-8"))
    assert set(ev.HIGHER_IS_BETTER) <= set(base["overall"])
    assert base["overall"]["n"] == len(ev.load_gold(gold))
    assert set(base["categories"]) == {i["category"] for i in ev.load_gold(gold)}


# --- selection and entry point ------------------------------------------------------------------


def test_select_by_category_and_id():
    items = ev.load_gold()
    got = ev.select(items, "out_of_corpus,single-01")
    assert {i["id"] for i in got} == {"single-01"} | {i["id"] for i in items if i["category"] == "out_of_corpus"}
    assert ev.select(items, None) == items


def test_select_rejects_unknown_names():
    from bot.app import BadInput

    with pytest.raises(BadInput, match="nonsense"):
        ev.select(ev.load_gold(), "single_fact,nonsense")


def test_baseline_is_only_written_from_a_full_run(settings, capsys):
    assert ev.main(settings, subset="single-01", write_baseline=True) == 2
    assert "full run" in capsys.readouterr().err


def test_a_replayed_run_neither_gates_nor_writes_a_baseline(settings, capsys, tmp_path):
    """Gate and baseline come from real runs: a replay of a recording is refused before any
    model loads; a new recording (every generation the model's) is a real run."""
    recording = tmp_path / "rec.jsonl"
    recording.write_text('{"key": "k", "deltas": ["x"], "complete": true}\n', encoding="utf-8")
    assert ev.main(settings, split="test", gate=True, replay=recording) == 2
    assert ev.main(settings, split="dev", write_baseline=True, replay=recording) == 2
    assert "real runs" in capsys.readouterr().err


# --- reports ------------------------------------------------------------------------------------


def test_reports_are_written(tmp_path: Path):
    sent = _sentences(("The first demonstrations began on January 2 in Zhanaozen.", [1]))
    cite = {"n": 1, "article_id": "chinausfocus", "start": 300, "end": 380, "quote": Q_ZHANAOZEN.quote}
    good = _raw("The first demonstrations began on January 2 in Zhanaozen. [1]", False, sent, [cite])
    bad = _raw("The articles I have don't cover that.", True, reason="model")
    results = [{"item": ANSWER_ITEM, "raw": good, "metrics": ev.score_item(ANSWER_ITEM, good, [("chinausfocus", 300, 380)])},
               {"item": {**ANSWER_ITEM, "id": "x-09"}, "raw": bad, "metrics": ev.score_item(ANSWER_ITEM, bad, [])}]
    overall, cats = ev.aggregate_all(results)
    report = {"created": "now", "mode": "full", "subset": None, "k": 5, "backend": "embedded", "model": "m", "wall_seconds": 1.0,
              "overall": overall, "categories": cats, "baseline_deltas": ev.compare(overall, {**overall, "fact_recall": 1.0}),
              "gate": {"failures": ["fact_recall = 0.5 < min 0.6"], "skipped": []}}
    ev.write_reports(report, results, tmp_path)
    md = (tmp_path / "latest.md").read_text()
    assert "Gate: FAILED" in md and "x-09" in md and "false refusal (model)" in md and "| single_fact |" in md
    assert "x-01**" not in md  # passed items are not listed as failures
    data = json.loads((tmp_path / "latest.json").read_text())
    assert [i["id"] for i in data["items"]] == ["x-01", "x-09"] and "_passages" not in data["items"][0]
    assert (tmp_path / "latest.png").stat().st_size > 1000


# --- the runner, end to end with a stand-in bot (no LLM, no index) -----------------------------


class FakeRetriever:
    def __init__(self, passages):
        self.passages = passages

    def retrieve(self, query, top_k=None):
        from bot.retrieve import Retrieval

        return Retrieval(query, self.passages, 0.6, True, 0.01)

    def with_context(self, retrieval, context):
        return retrieval

    def with_source(self, retrieval, article_ids):
        return retrieval


class FakeBot:
    """Answers every question with one sentence citing the corpus sentence that holds `quote`."""

    backend = ("fake", None, "fake-model")

    def __init__(self, quote: str | None, fail: bool = False):
        self.articles = {a.id: a for a in load_corpus(ROOT / "corpus")}
        art = self.articles["chinausfocus-beijing-problem"]
        self.start, self.end = ev.locate(art.text, quote or "The first demonstrations") or (0, 0)
        self.quote = art.text[self.start : self.end]
        self.retriever = FakeRetriever([P(art.id, self.start - 50, self.end + 50)])
        self.fail = fail
        self.calls = []

    def stream(self, question, history=()):
        from bot.answer import Answer, Delta, Done, Sentence
        from bot.cite import Citation, CitedSentence

        self.calls.append((question, list(history)))
        if self.fail:
            raise RuntimeError("boom")
        self.retriever.retrieve(question)
        s = CitedSentence(self.quote, [1], True, 0.9, [])
        c = Citation(1, "chinausfocus-beijing-problem", "t", "o", None, None, None, self.quote, self.start, self.end)
        yield Delta(self.quote)
        yield Sentence(s)
        yield Done(Answer(question, f"{self.quote} [1]", False, [s], [c], "fake", "fake-model", {"total": 1.0, "first_token": 0.5}))


def test_main_runs_items_through_bot_stream_with_history(settings, tmp_path):
    bot = FakeBot("The first demonstrations began on January 2 in the small oil-rich town of Zhanaozen.")
    assert ev.main(settings, subset="single-02,followup-01,ooc-01", bot=bot, report_dir=tmp_path) == 0
    followup = next(i for i in ev.load_gold() if i["id"] == "followup-01")
    assert (followup["question"], followup["history"]) in bot.calls
    data = json.loads((tmp_path / "latest.json").read_text())
    by_id = {i["id"]: i for i in data["items"]}
    assert by_id["single-02"]["metrics"]["passed"] and by_id["single-02"]["metrics"]["citation_recall"] == 1.0
    assert by_id["single-02"]["metrics"]["hit_rate"] == 1.0 and by_id["single-02"]["retrieval"]["passages"]
    assert by_id["ooc-01"]["metrics"]["missed_refusal"] == 1
    assert data["overall"]["missed_refusals"] == 1 and data["backend"] == "fake"
    assert bot.retriever.retrieve.__func__ is FakeRetriever.retrieve  # the recording wrapper was removed


def test_main_records_a_crashing_item_and_raises_when_all_fail(settings, tmp_path):
    from bot.llm import LLMError

    with pytest.raises(LLMError, match="boom"):
        ev.main(settings, subset="single-01", bot=FakeBot(None, fail=True), report_dir=tmp_path)


class GuardedBot(FakeBot):
    """Refuses before retrieving, as the question guard does."""

    def stream(self, question, history=()):
        from bot.answer import Answer, Done

        yield Done(Answer(question, "I can't.", True, [], [], "none", "none", {"total": 0.1}, None, refusal_reason="not_covered"))


def test_a_refusal_before_retrieval_still_gets_retrieval_metrics(settings, tmp_path):
    bot = GuardedBot("The first demonstrations began on January 2 in the small oil-rich town of Zhanaozen.")
    ev.main(settings, subset="single-02", bot=bot, report_dir=tmp_path)
    item = json.loads((tmp_path / "latest.json").read_text())["items"][0]
    assert item["refusal_reason"] == "not_covered" and item["metrics"]["false_refusal"] == 1
    assert item["retrieval"]["used_by_answer"] is False and item["metrics"]["hit_rate"] == 1.0


def test_naming_the_outlet_is_attribution_not_a_claim():
    q = P("spectator-pike", 0, 80, "By sending 2,500 troops to help defend Kazakhstan, Putin has validated his CSTO.")
    q.outlet, q.author = "The Spectator", "Francis Pike"
    assert ev.supports("The Spectator reported that Putin sent 2,500 troops to help defend Kazakhstan.", [q], gold=[])
    assert ev.supports("According to Pike, Putin sent 2,500 troops to defend Kazakhstan.", [q], gold=[])
    wsj = P("wsj", 0, 40, "Beijing is taking a wait-and-see approach.")
    wsj.outlet = "The Wall Street Journal"
    assert ev.supports("The WSJ says Beijing is taking a wait-and-see approach.", [wsj], gold=[])
    assert not ev.supports("The Spectator reported that Xi sent 2,500 troops to help defend Kazakhstan.", [q], gold=[])


def test_gate_bounds_single_categories():
    t = {**THRESHOLDS, "categories": {"conflict": {"min": {"pass_rate": 0.85}}}}
    ok = {"hit_rate": 0.95, "fact_recall": 0.6, "false_refusals": 3, "latency_total_p95": 40.0}
    assert ev.check_gate(ok, t, {"conflict": {"pass_rate": 1.0}}) == ([], [])
    failures, _ = ev.check_gate(ok, t, {"conflict": {"pass_rate": 0.5}})
    assert failures == ["conflict.pass_rate = 0.5 < min 0.85"]
    assert ev.check_gate(ok, t, {}) == ([], ["conflict.pass_rate"])  # a subset run without conflict items


# --- splits, sentence labels, model-only recall, intervals ---------------------------------------


def test_splits_are_disjoint_and_tagged():
    dev, test = ev.load_split("dev"), ev.load_split("test")
    assert dev and test and {i["split"] for i in dev} == {"dev"} and {i["split"] for i in test} == {"test"}
    assert not {i["id"] for i in dev} & {i["id"] for i in test}
    assert not {i["question"] for i in dev} & {i["question"] for i in test}
    assert len(ev.load_split("all")) == len(dev) + len(test)
    from bot.app import BadInput

    with pytest.raises(BadInput, match="split"):
        ev.load_split("train")


def test_all_splits_take_no_gate(settings, capsys):
    assert ev.main(settings, split="all", gate=True) == 2
    assert "one split" in capsys.readouterr().err


def test_shown_sentences_are_scored_against_the_labels():
    true_s, false_s, new_s = ("It began in Zhanaozen.", "It began on 2 January in Almaty.", "Tokayev asked for help.")
    quote = "ISPI: “… started in the Western city of Zhanaozen …” [2]"
    sentences = [{"text": f"{true_s} [1]", "citations": [1], "verifier_supported": True, "program_quote": False},
                 {"text": false_s, "citations": [1], "verifier_supported": True},
                 {"text": new_s, "citations": [1], "verifier_supported": False},  # left out: not shown
                 {"text": quote, "citations": [2], "verifier_supported": True, "program_quote": True}]
    labels = {ev.label_key(true_s): True, ev.label_key(false_s): False}
    m = ev.score_item(ANSWER_ITEM, _raw(" ".join(s["text"] for s in sentences), False, sentences), [], labels=labels)
    assert m["shown"] == 2 and m["false_sentences"] == [false_s] and m["unlabelled_sentences"] == []
    # the program's verbatim quote is not the model's: facts found only there don't count for model recall
    assert m["fact_recall"] == 1.0 and m["fact_recall_model"] == 1.0
    sentences[0]["verifier_supported"] = False
    m = ev.score_item(ANSWER_ITEM, _raw(" ".join(s["text"] for s in sentences), False, sentences), [], labels={})
    assert m["fact_recall_model"] == 0.5  # "2 January" only; Zhanaozen is left in the program's quote
    assert m["unlabelled_sentences"] == [false_s]
    assert ev.is_program_quote({"text": "The Spectator: “There was violence in 19 of …” [1]"})
    assert not ev.is_program_quote({"text": "Tokayev said: the protests were “terrorism”. [1]"})


def test_a_quote_standing_for_a_model_sentence_is_measured_by_the_model_sentence():
    """answer_style "quotes": the reader sees the cited sentence; its model sentence is what the
    citation metrics judge (a quote would support itself), and there is nothing to label."""
    said = "The first demonstrations began on January 2 in Almaty."  # the place is wrong
    cite = {"n": 1, "article_id": "chinausfocus", "start": 300, "end": 380, "quote": Q_ZHANAOZEN.quote}
    shown = f"China-US Focus: “{Q_ZHANAOZEN.quote}” [1]"
    sentences = [{"text": shown, "citations": [1], "verifier_supported": True, "program_quote": False, "model_text": said}]
    m = ev.score_item(ANSWER_ITEM, _raw(shown, False, sentences, [cite]), spans=[("chinausfocus", 300, 380)], labels={})
    assert m["citation_recall"] == 0.0  # "Almaty" is not in what it cites
    assert m["shown"] == 0 and m["unlabelled_sentences"] == []
    assert m["fact_recall_model"] == m["fact_recall"]  # the model chose the quote: it counts as the model's


RETRIEVAL_NONE = dict.fromkeys(["hit_rate", "mrr", "quote_hit", "quote_recall"])


def test_false_shown_is_per_100_answers_and_unlabelled_is_counted():
    def result(false, unlabelled, refused=False):
        m = {**RETRIEVAL_NONE, "answered": int(not refused), "false_sentences": ["x"] * false,
             "unlabelled_sentences": ["y"] * unlabelled, "errors": 0, "shown": false + unlabelled}
        return {"item": ANSWER_ITEM, "metrics": m}

    agg = ev.aggregate([result(1, 0), result(0, 2), result(0, 0), result(0, 0, refused=True)])
    assert agg["false_shown"] == round(100 / 3, 2) and agg["unlabelled_shown"] == 2 and agg["shown_sentences"] == 3


def test_labels_file_is_well_formed(tmp_path):
    labels = ev.load_labels()  # the committed file parses; every label is true or false
    assert all(isinstance(v, bool) for v in labels.values())
    bad = tmp_path / "labels.jsonl"
    bad.write_text('{"sentence": "x", "label": "maybe"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="line 1"):
        ev.load_labels(bad)


def test_bootstrap_interval_brackets_the_value_and_is_reproducible():
    results = [{"item": ANSWER_ITEM, "metrics": {**RETRIEVAL_NONE, "fact_recall": v, "errors": 0}} for v in [1.0] * 15 + [0.0] * 5]
    ci = ev.bootstrap_ci(results, keys=("fact_recall",), samples=400)
    low, high = ci["fact_recall"]
    assert low < 0.75 < high and 0.45 < low and high <= 1.0
    assert ev.bootstrap_ci(results, keys=("fact_recall",), samples=400) == ci
    same = [{"item": ANSWER_ITEM, "metrics": {**RETRIEVAL_NONE, "fact_recall": 1.0, "errors": 0}}] * 10
    assert ev.bootstrap_ci(same, keys=("fact_recall",), samples=50)["fact_recall"] == [1.0, 1.0]


def test_a_recording_cut_off_by_a_killed_run_still_loads(tmp_path):
    """A half-written last line (the recording run was killed) is skipped, not a traceback."""
    from bot.evaluate.replay import ReplayLLM

    path = tmp_path / "rec.jsonl"
    path.write_text('{"key": "a", "deltas": ["x"], "complete": true}\n{"key": "b", "del', encoding="utf-8")
    assert list(ReplayLLM(object(), path, "m").records) == ["a"]


def test_the_report_keeps_a_follow_ups_passages_not_its_last_answers_lookup(bot):
    """A follow-up's passages are its own question's with the last answer's best one
    (Retriever.with_context, which searches once for that answer): the eval scores those, not the
    one-passage lookup it made on the way."""
    from bot.evaluate.runner import _RetrievalLog

    with _RetrievalLog(bot.retriever) as log:
        own = bot.retriever.retrieve("Did every Chinese expert go along with the idea that the West stirred up the protests?")
        used = bot.retriever.with_context(own, "Some of China's most seasoned Central Asian experts dispute that narrative.")
    assert log.last is used and log.last.query == own.query and len(log.last.passages) == len(own.passages)
    assert bot.retriever.with_context.__func__ is type(bot.retriever).with_context  # the wrapper was removed


def test_the_report_keeps_the_passage_of_a_source_the_question_names(bot):
    """Asked what one outlet says, that outlet's passage is put in (Retriever.with_source): the eval
    scores the passages the answer used."""
    from bot.evaluate.runner import _RetrievalLog

    with _RetrievalLog(bot.retriever) as log:
        own = bot.retriever.retrieve("What did the Financial Times say about China's handling of the Kazakh protests?")
        used = bot.retriever.with_source(own, ["ft-beijing-reluctance"])
    assert log.last is used and used is not own
    assert bot.retriever.with_source.__func__ is type(bot.retriever).with_source
