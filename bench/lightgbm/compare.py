"""Compares radar's scores with LightGBM on the training table radar exports.

    python compare.py EXPORT_DIR [--title TEXT] [--fixed-rounds]
    python compare.py --self-test

For each `<score>.parquet` in EXPORT_DIR (written by `radar train --export`),
LightGBM is trained on the rows with split == "fit" and scored on the rows
with split == "holdout", which radar never trained on. Three models are
measured on the same holdout rows:

- LightGBM as it comes out of training;
- LightGBM + Platt: a sigmoid on LightGBM's raw margin, fitted on the holdout
  rows with fold == false and applied to those with fold == true, and the
  other way round, so every holdout row gets an out-of-fold probability,
  the same way radar calibrates its own `radar_probability`;
- radar: the `radar_probability` column.

Results go to EXPORT_DIR/comparison.md (one markdown table per score) and
EXPORT_DIR/comparison.json, and the markdown is printed.
"""

import argparse
import datetime
import json
import pathlib
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import metrics

KEY_COLUMNS = ("account_id", "deal_id", "cutoff", "split", "fold", "label")
RADAR_COLUMN = "radar_probability"

# Sensible defaults, fixed so that two runs give the same numbers.
LIGHTGBM_PARAMS = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_child_samples": 20,
    "seed": 7,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 2,
    "verbose": -1,
}
MAX_ROUNDS = 300
PATIENCE = 30

MODEL_ROWS = (
    ("constant", "constant (fit base rate)"),
    ("lightgbm", "LightGBM"),
    ("lightgbm_platt", "LightGBM + Platt (two-fold)"),
    ("radar", "radar"),
)


class ExportError(Exception):
    """An export file that does not have the shape `radar train --export` writes."""


def main(argv=None):
    args = parse_args(argv)
    if args.self_test:
        import selftest

        return selftest.run()

    export_dir = pathlib.Path(args.export_dir)
    try:
        results = compare_folder(export_dir, fixed_rounds=args.fixed_rounds)
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    report = write_reports(export_dir, results, args.title)
    print(report)
    return 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export_dir", nargs="?", help="folder written by radar train --export")
    parser.add_argument("--title", default=None, help="heading for the report")
    parser.add_argument(
        "--fixed-rounds",
        action="store_true",
        help=f"train {MAX_ROUNDS} rounds instead of choosing them on the latest fit cut-off",
    )
    parser.add_argument("--self-test", action="store_true", help="check metrics and training")
    args = parser.parse_args(argv)
    if not args.self_test and args.export_dir is None:
        parser.error("EXPORT_DIR is required (or --self-test)")
    return args


def compare_folder(export_dir, fixed_rounds=False):
    """One result per `<score>.parquet` in the folder, in name order."""
    if not export_dir.is_dir():
        raise ExportError(f"export folder {export_dir} not found")

    tables = sorted(export_dir.glob("*.parquet"))
    if not tables:
        raise ExportError(f"no <score>.parquet files in {export_dir}")

    return [compare_score(path, fixed_rounds) for path in tables]


def compare_score(path, fixed_rounds=False):
    """Trains LightGBM on one score's fit rows and measures all models on its holdout."""
    frame = load_export(path)
    fit = frame["split"] == "fit"
    holdout = frame["split"] == "holdout"
    result = {
        "score": path.stem,
        "features": frame["feature_names"],
        "ignored_columns": frame["ignored_columns"],
        "fit": describe_rows(frame, fit),
        "holdout": describe_rows(frame, holdout),
        "radar_report": load_radar_report(path.with_suffix(".json")),
    }

    problem = untrainable_reason(frame, fit, holdout)
    if problem is not None:
        result["skipped"] = problem
        return result

    rounds, chosen_by = choose_rounds(frame, fit, fixed_rounds)
    booster = train(frame["features"][fit], frame["label"][fit], rounds)
    margins = booster.predict(frame["features"][holdout], raw_score=True)

    result["lightgbm"] = {"params": LIGHTGBM_PARAMS, "rounds": rounds, "chosen_by": chosen_by}
    result["models"] = measure_models(frame, holdout, margins)
    return result


def load_export(path):
    """Reads one export table into numpy arrays, checking the columns it needs."""
    table = pq.read_table(path)
    names = table.column_names
    for required in ("split", "fold", "label", RADAR_COLUMN):
        if required not in names:
            raise ExportError(f"{path}: column {required} missing")

    feature_names = [
        name
        for name in names
        if name not in KEY_COLUMNS and name != RADAR_COLUMN and is_numeric(table, name)
    ]
    if not feature_names:
        raise ExportError(f"{path}: no numeric feature columns")

    frame = {
        "split": strings(table, "split"),
        "fold": booleans(table, "fold", path, allow_null=True),
        "fold_missing": np.array(pc.is_null(table.column("fold")).to_pylist(), dtype=bool),
        "label": booleans(table, "label", path, allow_null=False),
        "cutoff": cutoffs(table),
        "radar": floats(table, RADAR_COLUMN),
        "features": np.column_stack([floats(table, name) for name in feature_names]),
        "feature_names": feature_names,
        "ignored_columns": [
            name
            for name in names
            if name not in KEY_COLUMNS and name != RADAR_COLUMN and name not in feature_names
        ],
    }
    check_splits(frame, path)
    return frame


def is_numeric(table, name):
    kind = table.schema.field(name).type
    return pa.types.is_floating(kind) or pa.types.is_integer(kind)


def strings(table, name):
    return np.array(table.column(name).to_pylist(), dtype=object)


def booleans(table, name, path, allow_null):
    column = table.column(name)
    if not allow_null and column.null_count > 0:
        raise ExportError(f"{path}: column {name} has {column.null_count} null values")
    return np.array(pc.fill_null(column, False).to_pylist(), dtype=bool)


def floats(table, name):
    """A numeric column as float64, null becoming NaN (LightGBM's missing value)."""
    column = pc.cast(table.column(name), pa.float64())
    return np.array(pc.fill_null(column, np.nan).to_pylist(), dtype=float)


def cutoffs(table):
    """Cut-off dates as ISO text; a timestamp column is read as its date."""
    if "cutoff" not in table.column_names:
        return np.array(["unknown"] * table.num_rows, dtype=object)
    values = table.column("cutoff").to_pylist()
    return np.array([iso_date(value) for value in values], dtype=object)


def iso_date(value):
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    return str(value)


def check_splits(frame, path):
    unknown = sorted(set(frame["split"]) - {"fit", "holdout"})
    if unknown:
        raise ExportError(f"{path}: column split has values {unknown}, expected fit or holdout")

    holdout = frame["split"] == "holdout"
    unfolded = int((holdout & frame["fold_missing"]).sum())
    if unfolded:
        raise ExportError(f"{path}: {unfolded} holdout rows have no fold")

    radar = frame["radar"][holdout]
    outside = (radar < 0) | (radar > 1)
    if outside.any():
        raise ExportError(f"{path}: {int(outside.sum())} radar_probability values outside [0, 1]")


def describe_rows(frame, mask):
    labels = frame["label"][mask]
    return {
        "rows": int(mask.sum()),
        "positives": int(labels.sum()),
        "base_rate": metrics.base_rate(labels) if labels.size else None,
        "cutoffs": sorted(set(frame["cutoff"][mask])),
    }


def load_radar_report(path):
    if not path.exists():
        return None
    return json.loads(path.read_text())


def untrainable_reason(frame, fit, holdout):
    """A sentence saying why LightGBM cannot be compared here, or None."""
    fit_labels = frame["label"][fit]
    holdout_labels = frame["label"][holdout]
    if fit_labels.size == 0 or holdout_labels.size == 0:
        return f"{fit_labels.size} fit rows and {holdout_labels.size} holdout rows"
    if fit_labels.all() or not fit_labels.any():
        return "the fit rows hold only one label value"
    if holdout_labels.all() or not holdout_labels.any():
        return "the holdout rows hold only one label value"
    return None


def choose_rounds(frame, fit, fixed_rounds):
    """Number of boosting rounds, and how it was chosen.

    Without --fixed-rounds, the fit rows of the latest fit cut-off are held
    back as an inner validation set, LightGBM stops when its log loss there
    has not improved for PATIENCE rounds, and the best round count is kept
    for the final model on all fit rows. The holdout is never looked at.
    """
    if fixed_rounds:
        return MAX_ROUNDS, "fixed"

    fit_cutoffs = sorted(set(frame["cutoff"][fit]))
    if len(fit_cutoffs) < 2:
        return MAX_ROUNDS, "fixed (only one fit cut-off)"

    latest = fit_cutoffs[-1]
    inner_valid = fit & (frame["cutoff"] == latest)
    inner_train = fit & (frame["cutoff"] != latest)
    for part in (inner_train, inner_valid):
        labels = frame["label"][part]
        if labels.all() or not labels.any():
            return MAX_ROUNDS, "fixed (one label value around the latest fit cut-off)"

    rounds = early_stopped_rounds(frame, inner_train, inner_valid)
    return rounds, f"early stopping on fit cut-off {latest}"


def early_stopped_rounds(frame, inner_train, inner_valid):
    import lightgbm as lgb

    train_set = lgb.Dataset(frame["features"][inner_train], frame["label"][inner_train])
    valid_set = lgb.Dataset(
        frame["features"][inner_valid], frame["label"][inner_valid], reference=train_set
    )
    booster = lgb.train(
        {**LIGHTGBM_PARAMS, "metric": "binary_logloss"},
        train_set,
        num_boost_round=MAX_ROUNDS,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(PATIENCE, verbose=False)],
    )
    return max(1, int(booster.best_iteration))


def train(features, labels, rounds):
    import lightgbm as lgb

    train_set = lgb.Dataset(features, labels.astype(float))
    return lgb.train(LIGHTGBM_PARAMS, train_set, num_boost_round=rounds)


def measure_models(frame, holdout, margins):
    """Metrics of the three models on the holdout rows."""
    labels = frame["label"][holdout]
    folds = frame["fold"][holdout]
    radar = frame["radar"][holdout]

    fit_rate = metrics.base_rate(frame["label"][frame["split"] == "fit"])
    models = {
        "constant": metrics.summary(labels, np.full(labels.size, fit_rate)),
        "lightgbm": metrics.summary(labels, sigmoid(margins)),
        "lightgbm_platt": measure_platt(labels, folds, margins),
    }

    models["radar"] = measure_radar(labels, radar)
    return models


def measure_radar(labels, radar):
    """Metrics of radar_probability on the holdout rows radar scored."""
    scored = ~np.isnan(radar)
    if not scored.any():
        return {"skipped": "radar scored no holdout row", "unscored_rows": int(radar.size)}

    summary = metrics.summary(labels[scored], radar[scored])
    summary["unscored_rows"] = int((~scored).sum())
    return summary


def measure_platt(labels, folds, margins):
    if folds.all() or not folds.any():
        return {"skipped": "the holdout rows are all in one fold"}
    for part in (folds, ~folds):
        if labels[part].all() or not labels[part].any():
            return {"skipped": "a holdout fold holds only one label value"}

    probabilities = two_fold_platt(margins, labels, folds)
    return metrics.summary(labels, probabilities)


def two_fold_platt(margins, labels, folds):
    """Out-of-fold Platt probabilities: each fold calibrated on the other."""
    probabilities = np.empty(margins.size, dtype=float)
    for target in (folds, ~folds):
        slope, intercept = platt_fit(margins[~target], labels[~target])
        probabilities[target] = sigmoid(slope * margins[target] + intercept)
    return probabilities


def platt_fit(margins, labels, iterations=100):
    """Slope and intercept of p = sigmoid(slope * margin + intercept).

    Newton's method on the log loss against Platt's smoothed targets
    ((positives + 1) / (positives + 2) and 1 / (negatives + 2)), which keep
    the fit finite when the margins separate the classes.
    """
    labels = np.asarray(labels, dtype=bool)
    positives = labels.sum()
    negatives = labels.size - positives
    targets = np.where(labels, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    design = np.column_stack([margins, np.ones_like(margins)])

    weights = np.array([1.0, np.log((positives + 1) / (negatives + 1))])
    for _ in range(iterations):
        predicted = sigmoid(design @ weights)
        gradient = design.T @ (predicted - targets)
        curvature = design.T @ (design * (predicted * (1 - predicted))[:, None])
        step = np.linalg.solve(curvature + 1e-9 * np.eye(2), gradient)
        weights = weights - step
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(weights[0]), float(weights[1])


def sigmoid(values):
    values = np.asarray(values, dtype=float)
    return 0.5 * (1.0 + np.tanh(0.5 * values))


def write_reports(export_dir, results, title):
    """Writes comparison.md and comparison.json; returns the markdown."""
    report = render_markdown(results, title)
    (export_dir / "comparison.md").write_text(report)
    payload = {"title": title, "scores": results}
    (export_dir / "comparison.json").write_text(json.dumps(payload, indent=2) + "\n")
    return report


def render_markdown(results, title):
    lines = [f"# {title}", ""] if title else []
    for result in results:
        lines.extend(render_score(result))
    return "\n".join(lines)


def render_score(result):
    lines = [f"## {result['score']}", ""]
    lines.append(describe_split("fit", result["fit"]))
    lines.append(describe_split("holdout", result["holdout"]))
    if "skipped" in result:
        return lines + ["", f"Not compared: {result['skipped']}.", ""]

    lightgbm = result["lightgbm"]
    lines.append(
        f"- LightGBM: {lightgbm['rounds']} rounds ({lightgbm['chosen_by']}), "
        f"{len(result['features'])} features"
    )
    if result["ignored_columns"]:
        ignored = ", ".join(result["ignored_columns"])
        lines.append(f"- not numeric, so not used as features: {ignored}")
    lines += ["", "| model | AUC | PR-AUC | Brier | ECE |", "|---|---|---|---|---|"]
    for key, label in MODEL_ROWS:
        lines.append(table_row(model_label(key, label, result), result["models"][key]))
    lines.append("")
    lines.extend(radar_notes(result))
    return lines


def describe_split(name, rows):
    cutoffs = rows["cutoffs"]
    if not cutoffs:
        return f"- {name}: no rows"
    span = cutoffs[0] if len(cutoffs) == 1 else f"{cutoffs[0]} .. {cutoffs[-1]}"
    return (
        f"- {name}: {rows['rows']} rows, {rows['positives']} positive "
        f"(base rate {number(rows['base_rate'])}), {len(cutoffs)} cut-off(s) {span}"
    )


def model_label(key, label, result):
    if key != "radar":
        return label
    report = result["radar_report"] or {}
    details = [report[k] for k in ("learner", "calibration") if isinstance(report.get(k), str)]
    return f"{label} ({', '.join(details)})" if details else label


def table_row(label, summary):
    if "skipped" in summary:
        return f"| {label} | {summary['skipped']} | | | |"
    cells = [number(summary[k]) for k in ("auc", "pr_auc", "brier", "ece")]
    return f"| {label} | " + " | ".join(cells) + " |"


def radar_notes(result):
    notes = []
    radar = result["models"]["radar"]
    unscored = radar["unscored_rows"]
    if unscored and "skipped" not in radar:
        notes.append(
            f"radar left {unscored} holdout rows without a probability; "
            "its row is measured on the others."
        )
    report = result["radar_report"]
    if report:
        keys = [k for k in ("auc", "ece", "naive_bayes_auc") if k in report]
        reported = ", ".join(f"{k} {number(report[k])}" for k in keys)
        notes.append(f"radar's own report: {reported}.")
    return notes + ([""] if notes else [])


def number(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    return f"{value:.3f}"


if __name__ == "__main__":
    sys.exit(main())
