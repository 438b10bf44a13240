"""`hotline bench tagging`: the tagger on the test part of the evaluation set, as JSON.

Reports kind and topic accuracy, per-kind F1 and its macro mean, the share the tagger
applies on its own (confidence at or above the threshold) and that share's accuracy,
accuracy through the seeded ASR noise channel at 10% and 20%, emergency recall (clean
and noisy), and single-threaded requests per second (wall clock and CPU time). The
development part's k-fold figures show how the threshold was chosen: in each of five
folds a model trained on the packaged requests and the other four folds tags the fold;
the threshold is the lowest confidence at which the other folds' auto-applied kind
accuracy reaches the target.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from case_store.tagging import Tagger, TagResult
from case_store.tagging.lexicon import load_lexicon
from case_store.tagging.linear import train
from case_store.tagging.model import dev_rows, train_rows
from case_store.tagging.training import examples
from testkit.bench.asr_noise import add_noise

TEST_FILE = Path(__file__).resolve().parents[2] / "tests" / "tagging" / "test.tsv"
NOISE_RATES = (0.1, 0.2)
FOLDS = 5
TARGET_AUTO_KIND = 0.98
Row = tuple[str, str, str]


def read_rows(path: Path) -> list[Row]:
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return [(k, t, x) for k, t, x in (line.split("\t") for line in lines if line.strip())]


def _f1(rows: Sequence[Row], results: Sequence[TagResult], kind: str) -> float:
    tp = sum(r[0] == kind and x.kind == kind for r, x in zip(rows, results, strict=True))
    predicted = sum(x.kind == kind for x in results)
    actual = sum(r[0] == kind for r in rows)
    return 2 * tp / (predicted + actual) if predicted + actual else 0.0


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def scores(rows: Sequence[Row], results: Sequence[TagResult]) -> dict[str, Any]:
    """Accuracy, per-kind F1, auto-applied coverage and accuracy, emergency recall."""
    pairs = list(zip(rows, results, strict=True))
    auto = [(r, x) for r, x in pairs if not x.needs_confirmation]
    kinds = sorted({r[0] for r in rows})
    f1 = {k: round(_f1(rows, results, k), 4) for k in kinds}
    emergencies = [x for r, x in pairs if r[0] == "emergency"]
    return {
        "requests": len(rows),
        "kind_accuracy": _share(sum(r[0] == x.kind for r, x in pairs), len(pairs)),
        "topic_accuracy": _share(sum(r[1] == x.topic for r, x in pairs), len(pairs)),
        "kind_f1": f1,
        "kind_macro_f1": round(sum(f1.values()) / len(f1), 4),
        "auto_coverage": _share(len(auto), len(pairs)),
        "auto_kind_accuracy": _share(sum(r[0] == x.kind for r, x in auto), len(auto)),
        "auto_topic_accuracy": _share(sum(r[1] == x.topic for r, x in auto), len(auto)),
        "emergency_recall": _share(sum(x.kind == "emergency" for x in emergencies),
                                   len(emergencies)),
        "false_emergencies": sum(x.kind == "emergency" for r, x in pairs
                                 if r[0] != "emergency"),
    }


def noisy_scores(tagger: Tagger, rows: Sequence[Row], rate: float,
                 seed: int = 18) -> dict[str, Any]:
    noisy = [(k, t, add_noise(x, rate, seed)) for k, t, x in rows]
    got = scores(noisy, [tagger.tag(x) for _, _, x in noisy])
    keep = ("kind_accuracy", "topic_accuracy", "auto_coverage", "auto_kind_accuracy",
            "emergency_recall", "false_emergencies")
    return {"rate": rate, **{k: got[k] for k in keep}}


def throughput(tag: Callable[[str], TagResult], texts: Sequence[str],
               seconds: float = 2.0) -> dict[str, float]:
    """Requests per second on one thread, warm: per wall-clock second, and per second of
    this process's CPU time (the figure that does not drop when other work shares the
    cores)."""
    for text in texts:
        tag(text)
    done = 0
    wall, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - wall < seconds:
        for text in texts:
            tag(text)
        done += len(texts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"requests_per_s": round(done / wall, 1),
            "requests_per_cpu_s": round(done / cpu, 1) if cpu > 0 else 0.0}


def choose_threshold(confident: Sequence[tuple[float, bool]],
                     target: float = TARGET_AUTO_KIND) -> float:
    """The lowest confidence whose auto-applied share (all at or above it) is right at
    least ``target`` of the time; 1.01 (nothing auto-applied) if none is."""
    ranked = sorted(confident, key=lambda c: -c[0])
    best, right = 1.01, 0
    for n, (conf, ok) in enumerate(ranked, start=1):
        right += ok
        last = n == len(ranked) or ranked[n][0] < conf  # ties go in together
        if last and right / n >= target:
            best = conf
    return best


def dev_kfold(folds: int = FOLDS, seed: int = 18) -> dict[str, Any]:
    """Out-of-fold tags of the development part, the threshold chosen on all of them,
    and per fold the coverage and accuracy of a threshold chosen on the other folds."""
    rows = dev_rows()
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)  # noqa: S311 - fixed folds, not crypto
    parts = [order[i::folds] for i in range(folds)]
    lexicon = load_lexicon()
    oof: dict[int, TagResult] = {}
    for part in parts:
        held = set(part)
        learn = train_rows() + [r for i, r in enumerate(rows) if i not in held]
        tagger = Tagger(lexicon=lexicon, model=train(examples(lexicon, learn)))
        oof.update({i: tagger.tag(rows[i][2]) for i in part})
    conf = {i: (oof[i].confidence, oof[i].kind == rows[i][0]) for i in oof}
    per_fold = []
    for part in parts:
        held = set(part)
        threshold = choose_threshold([c for i, c in conf.items() if i not in held])
        auto = [i for i in part if conf[i][0] >= threshold]
        per_fold.append({"threshold": threshold, "coverage": _share(len(auto), len(part)),
                         "auto_kind_accuracy": _share(sum(conf[i][1] for i in auto),
                                                      len(auto))})
    ordered = [rows[i] for i in sorted(oof)]
    overall = scores(ordered, [oof[i] for i in sorted(oof)])
    return {"folds": folds, "kind_accuracy": overall["kind_accuracy"],
            "topic_accuracy": overall["topic_accuracy"],
            "kind_macro_f1": overall["kind_macro_f1"],
            "threshold": choose_threshold(list(conf.values())), "per_fold": per_fold}


def run_tagging_bench(test_file: Path = TEST_FILE, kfold: bool = True) -> dict[str, Any]:
    from case_store.tagging import default_tagger

    tagger = default_tagger()
    rows = read_rows(test_file)
    report: dict[str, Any] = {"test_file": str(test_file),
                              "threshold": tagger.confirm_below,
                              **scores(rows, [tagger.tag(x) for _, _, x in rows])}
    report["noise"] = [noisy_scores(tagger, rows, rate) for rate in NOISE_RATES]
    report.update(throughput(tagger.tag, [x for _, _, x in rows]))
    if kfold:
        report["dev_kfold"] = dev_kfold()
    return report
