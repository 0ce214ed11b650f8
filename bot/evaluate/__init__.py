"""`bot eval`: run the gold set through the same Bot the CLI and UI use, score it, report, gate.

Per item: retrieval hit-rate@k and MRR over article ids (llama-index's metric classes), quote
hit (a retrieved passage overlaps a gold quote), fact recall, ALCE-style citation precision and
recall with an independent support check (never the pipeline's own `supported` flag), refusal
in both directions, `must_not_contain` violations and latency. Aggregates go per category and
overall into evals/reports/latest.{json,md,png}; they are compared with evals/baseline.json
and, with `gate=True`, checked against evals/thresholds.json.

The stages live in four modules: `data` (gold splits, selection, sentence labels), `metrics`
(scoring, aggregates, bootstrap intervals, gate), `runner` (asking the Bot, entry points) and
`report` (Markdown, JSON and chart). This package re-exports their public names.
"""

from .data import *  # noqa: F401,F403
from .data import BASELINE_PATH, GOLD_PATH, LABELS_PATH, REPORT_DIR, SPLITS, THRESHOLDS_PATH  # noqa: F401
from .metrics import *  # noqa: F401,F403
from .report import *  # noqa: F401,F403
from .runner import *  # noqa: F401,F403
from .runner import finish, main, rescore, run_item  # noqa: F401
from .metrics import _name_in, _norm, _tokens  # noqa: F401  (the support check's parts, tested alone)
