"""`bot` command line: index, add, ask, serve, eval. Errors become one line on stderr, never a traceback."""

from __future__ import annotations

import json
import sys
from functools import wraps
from pathlib import Path

import click

from .errors import exit_code
from .settings import Settings


def _fail(message: str, code: int = 2):
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def friendly(fn):
    """Turn the project's own error types into a one-line message and a non-zero exit."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except Exception as e:
            code = exit_code(e)
            if code is None:
                raise
            _fail(str(e), code)

    return wrapper


def load_settings(**overrides) -> Settings:
    return Settings.load(**overrides)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Cited answers about the January 2022 unrest in Kazakhstan and what it meant for China."""


# Set by a `bot ask` that answered in this process: nothing is left to do but free memory.
_ANSWERED_HERE = False


def run() -> None:
    """The `bot` console script. A `bot ask` that loaded the model in this process ends without
    the interpreter's teardown (freeing the 1 GB model and the index: 0.4-0.6 s after the
    answer was printed, measured); its output is flushed first and nothing it wrote is pending
    (the prompt-head state is written before the answer). Everything else exits as usual.
    Tests call `main` in process and never take this path."""
    try:
        main()
        code = 0
    except SystemExit as e:
        code = e.code
    if _ANSWERED_HERE and isinstance(code, int):
        import logging
        import os

        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(code)
    sys.exit(code)


@main.command()
@click.option("--rebuild", is_flag=True, help="Drop the index and embed everything again.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@friendly
def index(rebuild: bool, quiet: bool):
    """Index corpus/ into Chroma (skips unchanged articles)."""
    from .ingest import run_index

    report = run_index(load_settings(), rebuild=rebuild, progress=not quiet)
    click.echo(report.summary())


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace the article that has the same id.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@friendly
def add(file: Path, replace: bool, quiet: bool):
    """Add an article (Markdown with front matter: id, title, outlet) to corpus/ and index it."""
    from .corpus import CorpusError, load_article, load_corpus
    from .ingest import run_index

    settings = load_settings()
    article = load_article(file)  # a bad file fails here with one line naming the field
    load_corpus(settings.corpus_dir)  # and a broken corpus before anything is written
    paths = {load_article(p).id: p for p in settings.corpus_dir.glob("*.md") if p.name != "README.md"}
    target = paths.get(article.id, settings.corpus_dir / f"{article.id}.md")
    if (article.id in paths or target.exists()) and not replace:
        raise CorpusError(f"{file}: an article with id {article.id!r} is already in {settings.corpus_dir} "
                          "(use --replace to replace it)")
    if file.resolve() != target.resolve():
        target.write_bytes(file.read_bytes())
    click.echo(f"added {article.id} ({article.outlet}: {article.title}) as {target}")
    click.echo(run_index(settings, progress=not quiet).summary())


def _question_arg(question: str) -> str:
    # Invalid UTF-8 on the command line arrives as surrogate escapes: say so instead of crashing.
    try:
        question.encode("utf-8")
    except UnicodeEncodeError:
        raise click.BadParameter("the question is not valid UTF-8 text") from None
    return question


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of streaming.")
@click.option("--backend", type=click.Choice(["auto", "ollama", "embedded"]), default=None)
@click.option("--model", default=None, help="Ollama model name.")
@click.option("-k", "--top-k", type=int, default=None, help="Passages to retrieve.")
@click.option("--strict/--no-strict", default=None,
              help="Leave out sentences the sources do not support (the default), or show them marked unverified.")
@click.option("--local", is_flag=True,
              help="Answer in this process even when a `bot serve` with the same settings is running.")
@friendly
def ask(question: str, as_json: bool, backend, model, top_k, strict, local: bool):
    """Answer QUESTION from the articles, with citations.

    When `bot serve` is running with the same settings, its warm model answers (the same text,
    without loading a second model); otherwise the model loads in this process."""
    question = _question_arg(question)
    settings = load_settings(llm_backend=backend, ollama_model=model, top_k=top_k, strict=strict)
    if not local and _ask_server(settings, question, as_json):
        return
    from .llm import preload

    # A cold process: the model loads on a thread while the rest is imported and the index
    # opened. llama-cpp-python sends stdout and stderr to /dev/null while it loads a model, so
    # nothing is printed (an answer, a refusal, an error) before that thread is done.
    loading = preload(settings)
    try:
        from .app import Bot
        from .terminal import answer_text

        bot = Bot(settings)
        for stream, text in answer_text(bot, question, as_json):
            if loading is not None:
                loading.join()
            _write(stream, text)
        global _ANSWERED_HERE
        _ANSWERED_HERE = True
    finally:
        if loading is not None:
            loading.join()


def _write(stream: str, text: str) -> None:
    out = click.get_text_stream("stderr" if stream == "err" else "stdout")
    out.write(text)
    out.flush()


def _ask_server(settings: Settings, question: str, as_json: bool) -> bool:
    """True when a running `bot serve` answered (printed through `_write`)."""
    from . import remote

    url = remote.find(settings)
    if url is None:
        return False
    try:
        answered = remote.ask(url, settings, question, as_json, _write)
    except remote.RemoteError as e:
        _fail(str(e), e.code)
    if answered:
        click.echo(f"(answered by the running `bot serve` at {url}; --local answers in this process)", err=True)
    return answered


@main.command()
@click.option("--quiet", is_flag=True)
@friendly
def check(quiet: bool):
    """Verify the model files (sha256) and say which LLM backend `auto` would use."""
    from .llm import ollama_models
    from .model_file import assemble_gguf, embedder_onnx

    settings = load_settings()
    onnx = embedder_onnx()
    gguf = assemble_gguf(settings.model_dir, reverify=True)  # in full, whatever the verified-file record says
    if quiet:
        return
    click.echo(f"embedder: {onnx} (sha256 ok)")
    click.echo(f"embedded LLM: {gguf} (sha256 ok)")
    models = ollama_models(settings)
    click.echo(f"ollama at {settings.ollama_host}: " + ("not reachable" if models is None else ", ".join(models) or "no models"))
    click.echo(f"index: {settings.chroma_mode}")


@main.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None)
@click.option("--auth", default=None, help="user:password for basic auth.")
@click.option("--backend", type=click.Choice(["auto", "ollama", "embedded"]), default=None)
@click.option("--model", default=None, help="Ollama model name.")
@friendly
def serve(host, port, auth, backend, model):
    """Start the chat UI (Gradio) on 127.0.0.1."""
    from .ui import serve as run_ui

    run_ui(load_settings(host=host, port=port, auth=auth, llm_backend=backend, ollama_model=model))


@main.command("eval")
@click.option("--split", type=click.Choice(["dev", "test", "all"]), default="dev", show_default=True,
              help="dev: designed on; test: held back, reported only (the CI gate); all: both, reported apart.")
@click.option("--subset", default=None, help="Categories or item ids, comma-separated.")
@click.option("--backend", type=click.Choice(["auto", "ollama", "embedded"]), default=None)
@click.option("--model", default=None, help="Ollama model name.")
@click.option("-k", "--top-k", type=int, default=None)
@click.option("--gate", is_flag=True, help="Exit non-zero when a metric is outside the split's thresholds.")
@click.option("--write-baseline", is_flag=True, help="Save this run's aggregates as evals/baseline.json (full runs only).")
@click.option("--retrieval-only", is_flag=True, help="Score retrieval alone, without the LLM.")
@click.option("--replay", type=click.Path(dir_okay=False), default=None,
              help="Designing only: replay the model's output recorded in FILE, record what it lacks (--gate and --write-baseline only when FILE is new).")
@friendly
def eval_(split, subset, backend, model, top_k, gate, write_baseline, retrieval_only, replay):
    """Run the gold set through the pipeline and write evals/reports/."""
    from .evaluate import main as run_eval

    settings = load_settings(llm_backend=backend, ollama_model=model, top_k=top_k)
    sys.exit(run_eval(settings, subset=subset, gate=gate, write_baseline=write_baseline, retrieval_only=retrieval_only,
                      split=split, replay=Path(replay) if replay else None))


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None, help="Write the Markdown to a file.")
@click.option("--refresh", is_flag=True, help="Build anew instead of using the cached briefing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of Markdown.")
@click.option("--html", "as_html", is_flag=True,
              help="A standalone HTML page instead of Markdown: markers link to the quoted passages (use with -o).")
@click.option("--check", is_flag=True,
              help="Score it against evals/brief_gold_strict.yaml and the audit labels (evals/brief_labels.jsonl); "
                   "exit 1 when a bound of evals/brief_thresholds.json is missed.")
@click.option("--backend", type=click.Choice(["auto", "ollama", "embedded"]), default=None)
@friendly
def brief(output, refresh, as_json, as_html, check, backend):
    """A one-page, fully cited briefing for newcomers (cached per index version)."""
    from pathlib import Path

    from .app import Bot
    from .brief import briefing

    if as_json and as_html:
        raise click.UsageError("choose one of --json and --html")
    bot = Bot(load_settings(llm_backend=backend))
    result = briefing(bot, refresh=refresh, progress=lambda step: click.echo(f"… {step}", err=True))
    if check:
        from .evaluate import brief_check

        unlabelled = brief_check.UNLABELLED
        score, fails = brief_check.check(result, unlabelled_path=unlabelled)
        click.echo(brief_check.report(score))
        if score.unlabelled:
            click.echo(f"\n{len(score.unlabelled)} line(s) without an audit label: {unlabelled} (label them into evals/brief_labels.jsonl)")
        if fails:
            click.echo("\nBRIEFING GATE FAILED:\n" + "\n".join(f"  {f}" for f in fails))
            sys.exit(1)
        return
    if as_html:
        from .render import briefing_page

        css = (Path(__file__).parent / "assets" / "ui.css").read_text(encoding="utf-8")
        text = briefing_page(result, bot.articles, css)
    else:
        text = json.dumps(result.to_json(), ensure_ascii=False, indent=2) if as_json else result.markdown()
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="End with one JSON line (keys include ttft_ratio, retrieval_ratio, cold_ratio).")
@click.option("--repeats", type=int, default=3, show_default=True)
@click.option("--synthetic", type=int, default=50_000, show_default=True, help="Synthetic chunks for the scale test.")
@click.option("--answers", type=int, default=10, show_default=True, help="Questions for the end-to-end figure (0: skip the LLM).")
@click.option("--cold", type=int, default=5, show_default=True,
              help="Questions asked by a fresh `bot ask --json` process each, alone and via a server (at most 5 and --answers).")
@friendly
def bench(as_json, repeats, synthetic, answers, cold):
    """Benchmark index, retrieval and LLM against same-run baselines; writes bench/ reports."""
    from pathlib import Path

    from .bench import markdown, run

    result = run(load_settings(), repeats=repeats, synthetic=synthetic, answers=answers, out_dir=Path("artifacts/bench"), cold=cold)
    click.echo(markdown(result))
    if as_json:
        click.echo(json.dumps(result))


if __name__ == "__main__":
    main()
