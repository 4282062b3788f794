"""Self-test of the LightGBM comparison: `python compare.py --self-test`.

Checks the metric functions against values worked out by hand, checks that
the Platt fit recovers a known sigmoid, then writes a synthetic export in the
format of `radar train --export` (a score LightGBM can learn and a score it
cannot) and runs the whole comparison on it twice. Prints one line per check
and returns 1 when any check fails.
"""

import datetime
import json
import pathlib
import tempfile

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import compare
import metrics

SEED = 11
ACCOUNTS = 800
CUTOFFS = ("2011-01-01", "2011-02-01", "2011-03-01", "2011-04-01", "2011-05-01")


class Checks:
    """Collects named checks and counts the failures."""

    def __init__(self):
        self.failures = 0

    def close(self, name, actual, expected, tolerance=1e-9):
        ok = actual is not None and abs(actual - expected) <= tolerance
        self.record(ok, f"{name}: {actual} (expected {expected} +- {tolerance})")

    def equal(self, name, actual, expected):
        self.record(actual == expected, f"{name}: {actual!r} (expected {expected!r})")

    def true(self, name, condition, detail=""):
        self.record(bool(condition), f"{name} {detail}".rstrip())

    def record(self, ok, text):
        print(("ok    " if ok else "FAIL  ") + text)
        if not ok:
            self.failures += 1


def run():
    checks = Checks()
    check_hand_metrics(checks)
    check_platt(checks)
    with tempfile.TemporaryDirectory() as folder:
        check_synthetic_export(checks, pathlib.Path(folder))
    print(f"{checks.failures} failed check(s)" if checks.failures else "all checks passed")
    return 1 if checks.failures else 0


def check_hand_metrics(checks):
    """Six rows with a three-way tie at 0.4 (two positives, one negative).

    AUC: 9 positive/negative pairs; 0.9 beats all 3 negatives, each 0.4
    positive beats 0.1, ties 0.4 and loses to 0.8: (3 + 1.5 + 1.5) / 9.
    AP: thresholds 0.9 (precision 1, recall 1/3), 0.8 (no recall gained),
    0.4 (precision 3/5, recall 1): 1/3 * 1 + 2/3 * 3/5 = 11/15.
    Brier: (0.01 + 0.64 + 0.36 + 0.36 + 0.16 + 0.01) / 6 = 1.54 / 6.
    ECE: bins 9, 8, 4, 1 with gaps 0.1, 0.8, |0.4 - 2/3|, 0.1:
    (0.1 + 0.8 + 3 * 4/15 + 0.1) / 6 = 0.3.
    """
    labels = np.array([1, 0, 1, 1, 0, 0], dtype=bool)
    scores = np.array([0.9, 0.8, 0.4, 0.4, 0.4, 0.1])
    checks.close("auc with ties", metrics.auc(labels, scores), 6 / 9)
    checks.close("average precision with ties", metrics.average_precision(labels, scores), 11 / 15)
    checks.close("brier", metrics.brier(labels, scores), 1.54 / 6)
    checks.close("ece", metrics.expected_calibration_error(labels, scores), 0.3)
    checks.close("base rate", metrics.base_rate(labels), 0.5)

    ranks = metrics.average_ranks([3.0, 1.0, 3.0, 2.0]).tolist()
    checks.equal("average ranks", ranks, [3.5, 1.0, 3.5, 2.0])
    checks.equal("auc of one class", metrics.auc([True, True], [0.2, 0.3]), None)
    checks.close("auc of a perfect ranking", metrics.auc([0, 0, 1], [0.1, 0.2, 0.3]), 1.0)
    checks.close("auc of a reversed ranking", metrics.auc([1, 0, 0], [0.1, 0.2, 0.3]), 0.0)
    last_bin = metrics.expected_calibration_error([True, False], [1.0, 0.95])
    checks.close("ece puts 1.0 in the last bin", last_bin, 0.475)
    check_auc_against_scipy(checks)


def check_auc_against_scipy(checks):
    """AUC on heavily tied scores against scipy's Mann-Whitney U / (n1 n0)."""
    from scipy.stats import mannwhitneyu

    rng = np.random.default_rng(SEED)
    labels = rng.random(2_000) < 0.3
    scores = np.round(rng.random(labels.size) * 0.5 + 0.3 * labels, 1)
    u_statistic = mannwhitneyu(scores[labels], scores[~labels]).statistic
    expected = u_statistic / (labels.sum() * (~labels).sum())
    checks.close("auc on tied scores matches scipy", metrics.auc(labels, scores), expected)


def check_platt(checks):
    """Labels drawn from sigmoid(2 m - 1): the fit must find slope 2, intercept -1."""
    rng = np.random.default_rng(SEED)
    margins = rng.normal(0.0, 2.0, 40_000)
    labels = rng.random(margins.size) < compare.sigmoid(2.0 * margins - 1.0)
    slope, intercept = compare.platt_fit(margins, labels)
    checks.close("platt slope", slope, 2.0, tolerance=0.1)
    checks.close("platt intercept", intercept, -1.0, tolerance=0.1)


def check_synthetic_export(checks, folder):
    oracle_auc = write_learnable_score(folder / "propensity.parquet")
    write_one_label_score(folder / "health.parquet")
    (folder / "propensity.json").write_text(
        json.dumps({"score": "propensity", "learner": "trees", "calibration": "platt",
                    "auc": 0.5, "ece": 0.1, "naive_bayes_auc": 0.5})
    )

    first = compare.compare_folder(folder)
    second = compare.compare_folder(folder)
    checks.equal("scores compared, in name order", [r["score"] for r in first],
                 ["health", "propensity"])
    checks.true("same numbers on a second run", json.dumps(first) == json.dumps(second))

    health, propensity = first
    checks.equal("one-label score skipped", health.get("skipped"),
                 "the fit rows hold only one label value")
    checks.equal("timestamp cut-offs read as dates", health["fit"]["cutoffs"], ["2011-01-01"])
    check_learnable_result(checks, propensity, oracle_auc, folder)
    check_against_lightgbm_metrics(checks, folder / "propensity.parquet")

    report = compare.write_reports(folder, first, "synthetic")
    checks.true("markdown has the LightGBM row", "| LightGBM | " in report)
    checks.true("markdown names radar's learner", "| radar (trees, platt) | " in report)
    saved = json.loads((folder / "comparison.json").read_text())
    checks.equal("comparison.json holds both scores", len(saved["scores"]), 2)
    check_missing_column(checks, folder)


def check_learnable_result(checks, result, oracle_auc, folder):
    models = result["models"]
    checks.equal("fit rows", result["fit"]["rows"], ACCOUNTS * (len(CUTOFFS) - 1))
    checks.equal("holdout rows", result["holdout"]["rows"], ACCOUNTS)
    checks.equal("holdout cut-off", result["holdout"]["cutoffs"], [CUTOFFS[-1]])
    checks.equal("feature columns", result["features"], ["f1", "f2", "f3", "f4"])
    checks.equal("text columns left out", result["ignored_columns"], ["segment"])
    checks.true("rounds chosen on the latest fit cut-off",
                result["lightgbm"]["chosen_by"] == f"early stopping on fit cut-off {CUTOFFS[-2]}"
                and 1 <= result["lightgbm"]["rounds"] <= compare.MAX_ROUNDS,
                f"({result['lightgbm']['rounds']} rounds)")

    lightgbm_auc = models["lightgbm"]["auc"]
    checks.true("lightgbm beats chance", lightgbm_auc > 0.70,
                f"(auc {lightgbm_auc:.3f}, oracle {oracle_auc:.3f})")
    checks.true("lightgbm within 0.06 of the oracle", oracle_auc - lightgbm_auc < 0.06)
    checks.close("constant row has auc 0.5", models["constant"]["auc"], 0.5)
    checks.close("constant row has pr-auc at the base rate", models["constant"]["pr_auc"],
                 result["holdout"]["base_rate"])
    checks.true("platt keeps the ranking close",
                abs(models["lightgbm_platt"]["auc"] - lightgbm_auc) < 0.02)
    checks.true("platt calibrates within 0.06 ece", models["lightgbm_platt"]["ece"] < 0.06,
                f"(ece {models['lightgbm_platt']['ece']:.3f})")

    table = pq.read_table(folder / "propensity.parquet").to_pydict()
    holdout = [i for i, s in enumerate(table["split"]) if s == "holdout"]
    labels = np.array([table["label"][i] for i in holdout])
    radar = np.array([table["radar_probability"][i] for i in holdout])
    checks.close("radar auc from its column", models["radar"]["auc"], metrics.auc(labels, radar))
    checks.close("radar ece from its column", models["radar"]["ece"],
                 metrics.expected_calibration_error(labels, radar))


def check_against_lightgbm_metrics(checks, path):
    """Our AUC and PR-AUC of a LightGBM model against LightGBM's own metrics."""
    import lightgbm as lgb

    frame = compare.load_export(path)
    fit = frame["split"] == "fit"
    holdout = frame["split"] == "holdout"
    train_set = lgb.Dataset(frame["features"][fit], frame["label"][fit])
    holdout_set = lgb.Dataset(
        frame["features"][holdout], frame["label"][holdout], reference=train_set
    )
    params = {**compare.LIGHTGBM_PARAMS, "metric": ["auc", "average_precision"]}
    history = {}
    booster = lgb.train(params, train_set, num_boost_round=40, valid_sets=[holdout_set],
                        valid_names=["holdout"], callbacks=[lgb.record_evaluation(history)])

    theirs = {name: values[-1] for name, values in history["holdout"].items()}
    probabilities = booster.predict(frame["features"][holdout])
    labels = frame["label"][holdout]
    checks.close("auc matches lightgbm's", metrics.auc(labels, probabilities),
                 theirs["auc"], tolerance=1e-9)
    checks.close("pr-auc matches lightgbm's", metrics.average_precision(labels, probabilities),
                 theirs["average_precision"], tolerance=1e-9)


def check_missing_column(checks, folder):
    broken = folder / "broken"
    broken.mkdir()
    pq.write_table(pa.table({"split": ["fit"], "label": [True], "fold": [False]}),
                   broken / "propensity.parquet")
    try:
        compare.compare_folder(broken)
        checks.true("missing radar_probability is refused", False)
    except compare.ExportError as error:
        checks.true("missing radar_probability is refused", "radar_probability" in str(error),
                    f"({error})")

    pq.write_table(pa.table({"split": ["holdout"], "label": [True], "fold": pa.array([None],
                   pa.bool_()), "f1": [1.0], "radar_probability": [0.5]}),
                   broken / "propensity.parquet")
    try:
        compare.compare_folder(broken)
        checks.true("holdout row without a fold is refused", False)
    except compare.ExportError as error:
        checks.true("holdout row without a fold is refused", "1 holdout rows have no fold"
                    in str(error), f"({error})")


def write_learnable_score(path):
    """Accounts x cut-offs whose label follows 1.5 f1 - f2^2 + 0.5; returns the oracle AUC.

    f3 is pure noise with a fifth of its values missing, f4 a nuisance
    integer column. The last cut-off is the holdout, split into two folds by
    account; radar_probability there is the true probability with noise.
    """
    rng = np.random.default_rng(SEED)
    rows = ACCOUNTS * len(CUTOFFS)
    f1 = rng.normal(size=rows)
    f2 = rng.normal(size=rows)
    f3 = np.where(rng.random(rows) < 0.2, np.nan, rng.normal(size=rows))
    truth = compare.sigmoid(1.5 * f1 - f2 ** 2 + 0.5)
    labels = rng.random(rows) < truth

    cutoff_index = np.repeat(np.arange(len(CUTOFFS)), ACCOUNTS)
    holdout = cutoff_index == len(CUTOFFS) - 1
    account = np.tile(np.arange(ACCOUNTS), len(CUTOFFS))
    noisy = compare.sigmoid(np.log(truth / (1 - truth)) + rng.normal(0, 0.5, rows))

    table = pa.table({
        "account_id": [f"A{a:04d}" for a in account],
        "cutoff": pa.array([day(CUTOFFS[i]) for i in cutoff_index], pa.date32()),
        "split": ["holdout" if h else "fit" for h in holdout],
        "fold": pa.array([bool(a % 2) if h else None for a, h in zip(account, holdout)]),
        "label": labels,
        "f1": f1,
        "f2": f2,
        "f3": pa.array(f3, from_pandas=True),
        "f4": rng.integers(0, 5, rows),
        "segment": ["smb" if a % 3 else "enterprise" for a in account],
        "radar_probability": pa.array(np.where(holdout, noisy, np.nan), from_pandas=True),
    })
    pq.write_table(table, path)
    return metrics.auc(labels[holdout], truth[holdout])


def write_one_label_score(path):
    table = pa.table({
        "account_id": ["A1", "A2", "A3", "A4"],
        "cutoff": pa.array([midnight("2011-01-01")] * 2 + [midnight("2011-02-01")] * 2,
                           pa.timestamp("ms")),
        "split": ["fit", "fit", "holdout", "holdout"],
        "fold": [None, None, False, True],
        "label": [False, False, True, False],
        "f1": [1.0, None, 2.0, 3.0],
        "radar_probability": [None, None, 0.7, 0.2],
    })
    pq.write_table(table, path)


def day(text):
    return datetime.date.fromisoformat(text)


def midnight(text):
    return datetime.datetime.fromisoformat(text)
