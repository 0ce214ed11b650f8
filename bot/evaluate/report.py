"""Reports of a run: latest.md (tables, intervals, failures, labelled and unlabelled sentences),
latest.json, latest.png and unlabelled.jsonl."""

from __future__ import annotations

import json
from pathlib import Path



from .data import label_key
from .metrics import HIGHER_IS_BETTER

# --- reports ---------------------------------------------------------------------------------

_TABLE_COLS = [("n", "n"), ("hit_rate", "hit@k"), ("mrr", "MRR"), ("quote_hit", "quote hit"),
               ("fact_recall", "fact recall"), ("facts_all", "all facts"), ("citation_precision", "cite P"),
               ("citation_recall", "cite R"), ("refusal_accuracy", "refusal acc"), ("false_refusals", "false ref"),
               ("missed_refusals", "missed ref"), ("pass_rate", "pass"), ("latency_total_median", "median s")]


def _fmt(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


def category_table(categories: dict) -> str:
    head = "| category | " + " | ".join(label for _, label in _TABLE_COLS) + " |"
    rule = "|---|" + "---:|" * len(_TABLE_COLS)
    rows = [f"| {c} | " + " | ".join(_fmt(a.get(k)) for k, _ in _TABLE_COLS) + " |" for c, a in categories.items()]
    return "\n".join([head, rule, *rows])


def _failure_lines(results: list[dict]) -> list[str]:
    lines = []
    for r in results:
        item, m, raw = r["item"], r["metrics"], r["raw"]
        if m.get("passed", True) and not raw["error"]:
            continue
        why = []
        if raw["error"]:
            why.append(f"error: {raw['error']}")
        elif m.get("false_refusal"):
            why.append(f"false refusal ({raw['refusal_reason']})")
        elif m.get("missed_refusal"):
            why.append("missed refusal")
        if m.get("missing_facts") and not m.get("false_refusal"):
            why.append("missing facts: " + ", ".join(f"`{f}`" for f in m["missing_facts"]))
        if m.get("must_not_contain"):
            why.append("must not contain: " + ", ".join(f"`{s}`" for s in m["must_not_contain"]))
        lines.append(f"- **{item['id']}** ({'; '.join(why)})  \n  Q: {item['question']}  \n  A: {raw['answer'] or '–'}")
        if raw.get("standalone_question"):
            lines.append(f"  (rewritten: {raw['standalone_question']})")
        for s in raw.get("dropped_sentences", []):
            lines.append(f"  - dropped by verifier (score {s['score']}, missing {s['missing']}): {s['text']}")
        if m.get("hit_rate") == 0:
            got = ", ".join(p["article_id"] for p in (raw["retrieval"] or {}).get("passages", []))
            lines.append(f"  - retrieval miss: wanted {item['gold_articles']}, got {got}")
    return lines


def _unsupported_lines(results: list[dict], limit: int = 40) -> list[str]:
    lines = []
    for r in results:
        for s in r["raw"]["sentences"]:
            if not s.get("independent_support"):
                flag = "verifier said supported" if s["verifier_supported"] else "verifier agreed"
                lines.append(f"- {r['item']['id']}: {s['text']} {s['citations']} ({flag})")
    return lines[:limit] + ([f"- … {len(lines) - limit} more in latest.json"] if len(lines) > limit else [])


def report_md(report: dict, results: list[dict]) -> str:
    o, deltas = report["overall"], report.get("baseline_deltas", {})
    out = [f"# Evaluation report ({report['created']})", "",
           f"{o['n']} items ({report['mode']}, subset: {report['subset'] or 'all'}), k = {report['k']}, "
           f"backend {report.get('backend') or '–'} {report.get('model') or ''}, wall time {report['wall_seconds']:.0f} s.", ""]
    if report.get("gate"):
        g = report["gate"]
        out += [f"**Gate: {'PASSED' if not g['failures'] else 'FAILED'}**" + "".join(f"\n- {f}" for f in g["failures"]), ""]
    ci = o.get("ci", {})
    out += ["## Overall", "", "| metric | value | 95 % CI | baseline | Δ |", "|---|---:|---:|---:|---:|"]
    for key in HIGHER_IS_BETTER:
        d = deltas.get(key)
        mark = " ⚠" if d and d["worse"] else ""
        delta = f"{d['delta']:+.3f}{mark}" if d else "–"
        out.append(f"| {key} | {_fmt(o.get(key))} | {_fmt_ci(ci.get(key))} | {_fmt(d['base']) if d else '–'} | {delta} |")
    if report.get("splits"):
        out += ["", "## Per split (bootstrap 95 % intervals)", "", split_table(report["splits"])]
    out += ["", "## Per category", "", category_table(report["categories"]), "",
            "![per-category chart](latest.png)", "", "## Failures", ""]
    out += _failure_lines(results) or ["none"]
    out += ["", "## Shown sentences labelled false (evals/labels.jsonl)", ""]
    out += [f"- {r['item']['id']}: {t}" for r in results for t in r["metrics"].get("false_sentences") or []] or ["none"]
    out += ["", "## Shown sentences without a label (add them to evals/labels.jsonl; reports/unlabelled.jsonl lists them)", ""]
    out += [f"- {r['item']['id']}: {t}" for r in results for t in r["metrics"].get("unlabelled_sentences") or []] or ["none"]
    out += ["", "## Sentences the independent check did not find supported by their citations", ""]
    out += _unsupported_lines(results) or ["none"]
    return "\n".join(out) + "\n"


def _fmt_ci(interval) -> str:
    return f"{_fmt(interval[0])}–{_fmt(interval[1])}" if interval else "–"


_SPLIT_COLS = ["n", "fact_recall", "fact_recall_model", "citation_precision", "citation_recall", "pass_rate",
               "refusal_accuracy", "false_refusals", "missed_refusals", "false_shown", "unlabelled_shown"]


def split_table(splits: dict) -> str:
    head = "| split | " + " | ".join(_SPLIT_COLS) + " |"
    rule = "|---|" + "---:|" * len(_SPLIT_COLS)
    rows = []
    for name, a in splits.items():
        cells = [_fmt(a.get(k)) + (f" ({_fmt_ci(a['ci'][k])})" if k in a.get("ci", {}) else "") for k in _SPLIT_COLS]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join([head, rule, *rows])


def chart(categories: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(categories)
    series = [("fact_recall", "fact recall"), ("citation_precision", "citation precision"), ("refusal_accuracy", "refusal accuracy")]
    fig, ax = plt.subplots(figsize=(max(9, 1.2 * len(names) + 2), 4.5))
    width = 0.8 / len(series)
    for i, (key, label) in enumerate(series):
        values = [categories[c].get(key) for c in names]
        ax.bar([x + (i - 1) * width for x in range(len(names))], [float("nan") if v is None else v for v in values], width, label=label)
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share")
    ax.set_title("Answer quality per category")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _item_json(r: dict) -> dict:
    raw = {k: v for k, v in r["raw"].items() if not k.startswith("_")}
    return {"id": r["item"]["id"], "category": r["item"]["category"], "expect": r["item"]["expect"],
            "question": r["item"]["question"], **raw, "metrics": r["metrics"]}


def write_reports(report: dict, results: list[dict], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {**report, "items": [_item_json(r) for r in results]}
    (out_dir / "latest.json").write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    (out_dir / "latest.md").write_text(report_md(report, results), encoding="utf-8")
    # Ready to label: one line per unlabelled shown sentence, "label" to be set to "true" or "false".
    unlabelled = {label_key(t): r["item"]["id"] for r in results for t in r["metrics"].get("unlabelled_sentences") or []}
    (out_dir / "unlabelled.jsonl").write_text("".join(
        json.dumps({"sentence": t, "label": None, "item": i}, ensure_ascii=False) + "\n" for t, i in unlabelled.items()), encoding="utf-8")
    chart(report["categories"], out_dir / "latest.png")


def _print_deltas(deltas: dict, title: str) -> None:
    if not deltas:
        return
    print(f"\n{title}")
    for key, d in deltas.items():
        if d["delta"] != 0:
            print(f"  {key:28s} {_fmt(d['base']):>8s} -> {_fmt(d['now']):>8s}  ({d['delta']:+.3f}{'  worse' if d['worse'] else ''})")
