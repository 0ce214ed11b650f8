"""The `bot` command end to end, as a user runs it: real embedder, real Chroma, real embedded LLM."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BOT = str(Path(sys.executable).with_name("bot"))


def run(*args: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([BOT, *args], capture_output=True, timeout=timeout, env={**os.environ, "BOT_LLM_BACKEND": "embedded", **(env or {})})


def ask_json(question: str) -> dict:
    p = run("ask", "--json", question)
    assert p.returncode == 0, p.stderr.decode()
    return json.loads(p.stdout)


@pytest.mark.llm
def test_trigger_question_is_answered_with_a_supporting_citation(bot):
    out = ask_json("What triggered the protests in Kazakhstan?")
    assert not out["refused"]
    assert any(w in out["answer"].lower() for w in ("liquefied petroleum gas", "lpg", "fuel", "gas price"))
    assert out["backend"] == "embedded" and "qwen2.5" in out["model"]
    assert {"retrieve", "first_token", "total"} <= set(out["timings"])
    quotes = [c["quote"] for c in out["citations"]]
    assert any("liquefied petroleum gas price hike" in q or "fuel prices" in q for q in quotes), quotes
    for c in out["citations"]:
        assert bot.articles[c["article_id"]].text[c["start"] : c["end"]] == c["quote"]
        assert {"n", "title", "outlet", "author", "date", "url"} <= set(c)
    assert all(f"[{n}]" in out["answer"] for s in out["sentences"] for n in s["citations"])
    assert any(s["supported"] for s in out["sentences"])



@pytest.mark.llm
@pytest.mark.full  # the gold set's yes/no items take the same answer-lead path in the CI gate
def test_yes_no_question_gets_what_the_articles_say_not_a_verdict():
    # Unled, the model answered "Yes, China is a member …" here and the answer was refused.
    out = ask_json("Does Kazakhstan trade more with China or with Russia?")
    assert not out["refused"], out["answer"]
    first = out["sentences"][0]
    assert first["supported"], out["answer"]
    said = first.get("said", out["answer"])  # the model's words, which a quote of its sources may stand for
    assert said.startswith("According to the excerpts,") and not said.startswith("According to the excerpts, According")
    assert "21 billion" in out["answer"].replace("$ ", "$") and "10 billion" in out["answer"]


@pytest.mark.llm
def test_a_one_fact_answer_gets_a_second_fact_on_the_question():
    # Alone, the model answered "A Chinese academic argued …" without a name; asked for one
    # more fact, it names him, from the FT's sentence.
    out = ask_json("Which Chinese academic argued that Beijing should play a more active security role in its neighbourhood?")
    assert "Shen Yi" in out["answer"] and "In addition" not in out["answer"], out["answer"]
    assert len(out["sentences"]) == 2 and all(s["supported"] for s in out["sentences"])
    assert len({c["start"] for c in out["citations"]}) >= 2


@pytest.mark.llm
def test_out_of_corpus_question_is_refused_with_no_citations():
    out = ask_json("Who won the 2022 FIFA World Cup?")
    assert out["refused"] and out["citations"] == [] and out["sentences"] == []
    assert out["answer"].count(".") == 1  # one clear sentence


@pytest.mark.llm
@pytest.mark.full  # more cold `bot ask` runs; the CI gate asks both kinds in-process
@pytest.mark.parametrize("question", ["Who is Karim Massimov?", "How many troops did Putin send to Kazakhstan?"])
def test_corpus_questions_are_not_refused(question):
    out = ask_json(question)
    assert not out["refused"], out["answer"]
    assert out["citations"]


@pytest.mark.llm
def test_streaming_answer_lists_sources():
    p = run("ask", "Where did the first demonstrations begin?")
    text = p.stdout.decode()
    assert p.returncode == 0, p.stderr.decode()
    assert "Zhanaozen" in text and "Sources:" in text and "[1]" in text


@pytest.mark.parametrize("args,needle", [(["ask", "   "], "please type a question"), (["ask", "x" * 50_000], "limited to 2,000"),
                                         (["serve", "--port", "99999"], "port")])  # gradio's bind raised OverflowError
def test_bad_input_gets_one_line_and_nonzero_exit(args, needle):
    p = run(*args)
    err = p.stderr.decode()
    assert p.returncode == 2 and needle in err and "Traceback" not in err and err.count("\n") == 1


def test_invalid_utf8_question_is_rejected_cleanly():
    p = subprocess.run([BOT, "ask", b"caf\xe9 \xff?"], capture_output=True, timeout=120)
    assert p.returncode != 0 and b"Traceback" not in p.stderr and b"UTF-8" in p.stderr


def test_unavailable_backend_fails_with_a_clear_message():
    p = run("ask", "--backend", "ollama", "What triggered the protests?", env={"OLLAMA_HOST": "http://127.0.0.1:9"})
    err = p.stderr.decode()
    assert p.returncode == 3 and "Ollama is not reachable at http://127.0.0.1:9" in err and "Traceback" not in err


def test_missing_index_says_how_to_fix(tmp_path):
    p = run("ask", "What triggered the protests?", env={"BOT_INDEX_DIR": str(tmp_path)})
    err = p.stderr.decode()
    assert p.returncode == 3 and "bot index" in err and "Traceback" not in err


@pytest.mark.full  # `bot bench` asks its questions cold and warm several times: minutes
@pytest.mark.llm
def test_bench_json_last_line_carries_the_ratios():
    """`bot bench --json` runs every stage (small sizes here) and ends with one JSON line; no timing asserted."""
    p = run("bench", "--json", "--repeats", "1", "--synthetic", "2000", "--answers", "1", timeout=900)
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    last = json.loads(p.stdout.decode().strip().splitlines()[-1])
    assert last["retrieval_ratio"] > 0 and last["ttft_ratio"] > 0
    assert last["retrieval"]["50k"]["chunks"] == 2000 + last["retrieval"]["corpus"]["chunks"]
    assert last["index"]["index_noop_s"] < last["index"]["index_build_s"]
    assert last["cold_ratio"] > 0 and last["served_ratio"] > 0  # one question cold, through a server, warm
    assert last["cold"]["identical"] == last["cold"]["questions"] == 1
