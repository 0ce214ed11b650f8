"""One typed settings object for every stage (the private-gpt pattern).

Values come, lowest to highest precedence, from the defaults below, an optional YAML
file (`bot.yaml` in the working directory, or the path in `BOT_SETTINGS`), and
environment variables (`BOT_<FIELD>` plus the conventional `OLLAMA_HOST`,
`CHROMA_HOST`, `CHROMA_PORT`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

ROOT = Path(__file__).resolve().parents[1]

# Offline always: nothing may reach a hub or analytics endpoint at run time.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}
for _k, _v in OFFLINE_ENV.items():
    os.environ.setdefault(_k, _v)


class SettingsError(ValueError):
    """A settings file or variable that cannot be used; the message says which."""


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kz-bot"


class Settings(BaseModel):
    model_config = {"extra": "forbid", "validate_assignment": True}

    # corpus -> index
    corpus_dir: Path = ROOT / "corpus"
    index_dir: Path = ROOT / ".index"  # embedded Chroma folder + llama-index docstore
    collection: str = "kz_articles"
    chroma_host: str | None = None  # set to use a Chroma server instead of the folder
    chroma_port: int = Field(8000, ge=1, le=65535)
    chunk_size: int = 160  # MiniLM word-pieces; the embedder truncates at 256
    chunk_overlap: int = 32

    # retrieve
    top_k: int = Field(5, ge=1, le=20)
    candidates: int = Field(12, ge=1, le=100)  # per retriever, before fusion
    relevance_floor: float = 0.20  # best dense cosine below this: "not covered"

    # conflicts: a contested topic counts for a question whose cosine to the topic's name
    # reaches this (the 7 conflict gold questions: 0.46-0.94; off-topic ones that merely
    # share a word such as "cause" or "roles": 0.04-0.33)
    conflict_floor: float = 0.40

    # answer
    llm_backend: Literal["auto", "ollama", "embedded"] = "auto"
    ollama_host: str = "http://127.0.0.1:11434"
    ollama_model: str = "qwen2.5:1.5b-instruct"
    model_dir: Path = Field(default_factory=lambda: _cache_home() / "models")
    n_ctx: int = 4096
    # None: every core this process may run on, to read the prompt and to generate. llama-cpp-
    # python's own default generates with half of them, which here took 1.3x as long per answer
    # (generation is half an answer's time on a slow CPU; answers are identical, greedy decoding:
    # 32 of 32 dev items, measured 2026-12-05). Two processes generating at once on two cores
    # thrash (ggml's threads spin while they wait: 32-55 s per answer instead of 7, measured), so
    # one process answers (`bot ask` goes through a running `bot serve`, `./test` is serial);
    # a number sets both counts, e.g. 1 on a machine shared with other work.
    n_threads: int | None = None
    max_tokens: int = Field(220, ge=16, le=2048)
    temperature: float = 0.0
    # An answer of one verified sentence to an open question ("why", "how", "what did X say")
    # is continued for one more fact (evals/DECISIONS.md has the measured effect).
    add_fact: bool = True
    request_timeout: float = 120.0  # seconds, for the Ollama backend
    history_turns: int = 3  # recent user/assistant pairs kept for follow-ups

    # cite / verify
    # Combined similarity an answer sentence needs to its span: 0.60 keeps 67 of 72 sentences
    # hand-labelled supported and rejects 14 of 21 unsupported ones (evals/DECISIONS.md).
    support_floor: float = 0.60
    # Unsupported sentences are left out of the answer (and listed apart) rather than shown
    # marked: on the gold set citation precision rose 0.848 -> 0.910, fact recall fell 0.744 -> 0.733
    # (evals/DECISIONS.md).
    strict: bool = True
    # What the reader sees of a verified sentence: "quotes" shows the article sentences it cites,
    # verbatim with their outlet (the model chooses what to say, the articles say it); "model"
    # shows the model's own words. Of 107 model sentences the verifier passed on dev, 12 were
    # false (a figure given to the wrong owner, a hedge dropped, a truncated claim); their cited
    # sentences are true by construction. Measured in evals/DECISIONS.md (2026-12-03).
    answer_style: Literal["quotes", "model"] = "quotes"

    # ui
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)
    auth: str | None = None  # "user:password" enables basic auth
    concurrency: int = 1  # one generation at a time fits the embedded model on 2 cores

    prompts_dir: Path = ROOT / "prompts"

    @field_validator("ollama_host")
    @classmethod
    def _scheme(cls, v: str) -> str:
        return v if "://" in v else f"http://{v}"

    @property
    def chroma_mode(self) -> str:
        return f"server {self.chroma_host}:{self.chroma_port}" if self.chroma_host else f"embedded {self.index_dir}"

    @classmethod
    def load(cls, path: Path | None = None, **overrides) -> "Settings":
        values: dict = {}
        path = path or (Path(os.environ["BOT_SETTINGS"]) if os.environ.get("BOT_SETTINGS") else Path("bot.yaml"))
        if path.exists():
            try:
                values.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
            except yaml.YAMLError as e:
                raise SettingsError(f"settings file {path} is not valid YAML: {e}") from None
        for name in cls.model_fields:
            env = os.environ.get(f"BOT_{name.upper()}")
            if env is not None and env != "":
                values[name] = env
        if os.environ.get("OLLAMA_HOST"):
            values["ollama_host"] = os.environ["OLLAMA_HOST"]
        if os.environ.get("CHROMA_HOST"):
            values["chroma_host"] = os.environ["CHROMA_HOST"]
        if os.environ.get("CHROMA_PORT"):
            values["chroma_port"] = os.environ["CHROMA_PORT"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)
        except ValidationError as e:
            bad = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
            raise SettingsError(f"invalid settings ({bad})") from None

    def prompt(self, name: str) -> str:
        """A prompt file, its `{subject}` filled in from the corpus profile."""
        return (self.prompts_dir / f"{name}.txt").read_text(encoding="utf-8").replace("{subject}", self.subject())

    def profile(self) -> dict:
        """The corpus profile (`corpus/profile.yaml`): what the corpus is about and its own names
        (see bot/lexicon.py); an empty dict when the corpus has none."""
        path = self.corpus_dir / "profile.yaml"
        try:
            profile = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        except (OSError, yaml.YAMLError) as e:
            raise SettingsError(f"corpus profile {path} cannot be read: {e}") from None
        if profile is not None and not isinstance(profile, dict):
            raise SettingsError(f"corpus profile {path} must be a mapping of fields (subject, spellings, leaders)")
        return profile or {}

    def glossary_terms(self) -> list[dict]:
        """The corpus's glossary (`corpus/glossary.yaml`: `terms`), [] when it has none."""
        path = self.corpus_dir / "glossary.yaml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        except (OSError, yaml.YAMLError) as e:
            raise SettingsError(f"corpus glossary {path} cannot be read: {e}") from None
        return list((data or {}).get("terms") or [])

    def briefing_plan(self) -> dict | None:
        """The corpus's briefing plan (`corpus/briefing.yaml`: `title`, `sections`), or None when
        it has none (bot/brief.py then uses prompts/brief.yaml's generic `default_plan`)."""
        path = self.corpus_dir / "briefing.yaml"
        try:
            plan = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
        except (OSError, yaml.YAMLError) as e:
            raise SettingsError(f"briefing plan {path} cannot be read: {e}") from None
        if plan is not None and not (isinstance(plan, dict) and isinstance(plan.get("sections"), list)
                                     and all(isinstance(x, dict) and x.get("title") and x.get("queries") for x in plan["sections"])):
            raise SettingsError(f"briefing plan {path} must have `sections`, each with a `title` and `queries`")
        for section in (plan or {}).get("sections", []):
            # an unquoted "topic: detail" is read by YAML as a mapping, not a topic
            bad = next((q for q in section["queries"] if not isinstance(q, str)), None) \
                if isinstance(section["queries"], list) else section["queries"]
            if bad is not None:
                raise SettingsError(f"briefing plan {path}: section {section['title']!r} has a query that is not "
                                    f"a line of text: {bad!r} (quote a query that holds a colon)")
        return plan

    @property
    def contested_path(self) -> Path:
        """Where the articles disagree (`corpus/contested.yaml`; a corpus may have none)."""
        return self.corpus_dir / "contested.yaml"

    def subject(self) -> str:
        """What the corpus is about (`subject: …` in the profile), so that no prompt names this
        corpus's story: a corpus without one is "the articles provided"."""
        subject = self.profile().get("subject")
        return str(subject).strip() if subject else "the articles provided"
