"""Train the example sentiment classifier and log it to MLflow.

The model is a scikit-learn pipeline (TF-IDF + logistic regression) fitted on
``data/reviews.csv``. It is logged to whatever tracking server the environment
points at (``MLFLOW_TRACKING_URI``); it is *not* registered, because registering
and promoting versions is promobot's job.

Run it from the repository root either way::

    python examples/sentiment_classifier/train.py --c 4.0
    python -m examples.sentiment_classifier.train --c 0.3 --max-features 300 --ngram-max 1

If ``MLFLOW_RUN_ID`` is set (as ``mlflow run`` and some CI set-ups do), the
parameters, metrics and model go into that existing run instead of a new one.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import numpy as np
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

DATA_PATH = Path(__file__).resolve().parent / "data" / "reviews.csv"
DEFAULT_EXPERIMENT = "sentiment-classifier"
ARTIFACT_NAME = "model"
RANDOM_STATE = 42
TEST_SIZE = 0.25


@dataclass(frozen=True)
class TrainResult:
    """What one training run produced."""

    run_id: str
    model_uri: str
    metrics: dict[str, float] = field(default_factory=dict)


def load_reviews(path: Path = DATA_PATH) -> tuple[list[str], list[int]]:
    """Read the labelled reviews (``text,label``; 1 = positive, 0 = negative)."""
    texts: list[str] = []
    labels: list[int] = []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            texts.append(row["text"])
            labels.append(int(row["label"]))
    return texts, labels


def build_pipeline(*, c: float, max_features: int | None, ngram_max: int) -> Pipeline:
    return Pipeline(
        [
            (
                "tfidf",
                TfidfVectorizer(
                    ngram_range=(1, ngram_max), max_features=max_features, sublinear_tf=True
                ),
            ),
            ("clf", LogisticRegression(C=c, max_iter=1000)),
        ]
    )


@contextlib.contextmanager
def _open_run(experiment: str, run_name: str | None, say: Callable[[str], None]) -> Iterator[str]:
    """Yield the id of the run to log into, starting or resuming it as needed.

    * A run the caller already started (``with mlflow.start_run(): train()``) is used
      as is and left open.
    * ``MLFLOW_RUN_ID`` set: that run is resumed. ``mlflow.start_run()`` picks the
      variable up by itself, but it refuses when the active experiment differs from
      the run's, so the run's own experiment is made active first and ``experiment``
      is ignored.
    * Otherwise a new run is started in ``experiment`` (created if missing).
    """
    active = mlflow.active_run()
    if active is not None:
        say(f"Logging into the active run {active.info.run_id}")
        yield active.info.run_id
        return

    resume_id = os.environ.get("MLFLOW_RUN_ID")
    if resume_id:
        existing = MlflowClient().get_run(resume_id)
        mlflow.set_experiment(experiment_id=existing.info.experiment_id)
        say(f"Resuming run {resume_id} from MLFLOW_RUN_ID")
    else:
        mlflow.set_experiment(experiment)

    with mlflow.start_run(run_name=run_name) as run:
        yield run.info.run_id


def train(
    *,
    c: float = 1.0,
    max_features: int | None = 5000,
    ngram_max: int = 2,
    run_name: str | None = None,
    experiment: str = DEFAULT_EXPERIMENT,
    progress: Callable[[str], None] | None = print,
) -> TrainResult:
    """Fit the classifier, evaluate it on a held-out split and log everything to MLflow.

    Uses the current tracking URI (``mlflow.get_tracking_uri()``) and never registers
    the model. ``progress`` is called with a short message at each step; pass
    ``None`` to train silently.
    """

    def say(message: str) -> None:
        if progress is not None:
            progress(message)

    say(f"Loading reviews from {DATA_PATH.name}")
    texts, labels = load_reviews()
    x_train, x_test, y_train, y_test = train_test_split(
        texts, labels, test_size=TEST_SIZE, random_state=RANDOM_STATE, stratify=labels
    )
    say(f"  {len(x_train)} for training, {len(x_test)} held out for evaluation")

    pipeline = build_pipeline(c=c, max_features=max_features, ngram_max=ngram_max)

    with _open_run(experiment, run_name, say) as run_id:
        mlflow.log_params(
            {
                "c": c,
                "max_features": max_features,
                "ngram_max": ngram_max,
                "n_train": len(x_train),
                "n_test": len(x_test),
            }
        )

        say(f"Fitting TF-IDF (1-{ngram_max} grams) + logistic regression (C={c})")
        pipeline.fit(x_train, y_train)

        say("Evaluating on the held-out reviews")
        predicted = pipeline.predict(x_test)
        metrics = {
            "accuracy": float(accuracy_score(y_test, predicted)),
            "precision": float(precision_score(y_test, predicted, zero_division=0)),
            "recall": float(recall_score(y_test, predicted, zero_division=0)),
            "f1": float(f1_score(y_test, predicted, zero_division=0)),
        }
        mlflow.log_metrics(metrics)
        say("  " + "  ".join(f"{name}={value:.3f}" for name, value in metrics.items()))

        say("Logging the model to MLflow")
        # A 1-D string array gives a tensor signature, Tensor('str', (-1,)): pyfunc then
        # hands the pipeline a 1-D array of texts (what TfidfVectorizer wants) and the
        # REST scoring server accepts {"inputs": ["some text", ...]}. A plain list would
        # give a column signature, and pyfunc would pass a DataFrame instead.
        sample = np.array(x_test[:5], dtype=str)
        signature = infer_signature(sample, pipeline.predict(sample))
        model_info = mlflow.sklearn.log_model(
            pipeline,
            name=ARTIFACT_NAME,
            signature=signature,
            input_example=sample[:2],
        )

    say(f"Done: run {run_id}, model {model_info.model_uri}")
    return TrainResult(run_id=run_id, model_uri=model_info.model_uri, metrics=metrics)


def _optional_int(value: str) -> int | None:
    return None if value.lower() in {"none", "0", "all"} else int(value)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Train the example sentiment classifier and log it to MLflow "
        "(tracking server from MLFLOW_TRACKING_URI)."
    )
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument(
        "--max-features",
        type=_optional_int,
        default=5000,
        help="vocabulary size cap ('none' for no cap; default 5000)",
    )
    parser.add_argument("--ngram-max", type=int, default=2, help="longest n-gram (default 2)")
    parser.add_argument("--run-name", default=None, help="MLflow run name")
    parser.add_argument(
        "--experiment",
        default=DEFAULT_EXPERIMENT,
        help=f"MLflow experiment (default {DEFAULT_EXPERIMENT!r}; ignored with MLFLOW_RUN_ID)",
    )
    args = parser.parse_args(argv)

    print(f"Tracking URI: {mlflow.get_tracking_uri()}")
    result = train(
        c=args.c,
        max_features=args.max_features,
        ngram_max=args.ngram_max,
        run_name=args.run_name,
        experiment=args.experiment,
    )
    print()
    print(f"run_id:    {result.run_id}")
    print(f"model_uri: {result.model_uri}")
    for name, value in result.metrics.items():
        print(f"{name + ':':<10} {value:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
