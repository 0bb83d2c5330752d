"""Classify reviews with whatever version of the model is in Production.

This is how deployment code sees the model: it asks the registry for
``models:/sentiment-classifier/Production`` and never names a version, so a
promobot ``/promote`` or ``/rollback`` changes what it serves without a redeploy.
It loads through ``promobot.serving.load_model``, which first checks the receipt
promobot signed on the version (docs/contract.md, "Receipts and keys")::

    python examples/sentiment_classifier/predict.py "Loved it" "Broke after a day"
    python -m examples.sentiment_classifier.predict          # built-in examples
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

import numpy as np
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from promobot.serving import UnapprovedModel, load_model

MODEL_NAME = "sentiment-classifier"
MODEL_STAGE = "Production"
MODEL_URI = "models:/sentiment-classifier/Production"
# "warn" while a registry adopts receipts: a version promobot did not sign is logged
# (logger promobot.serving) and served anyway. Once every version in Production carries
# a receipt and PROMOBOT_TRUSTED_KEYS holds promobot's public key, make it "raise":
# then a version moved behind promobot's back, or whose files changed, is never served.
LOAD_MODE = "warn"

LABELS = {1: "positive", 0: "negative"}

EXAMPLES = [
    "I loved it, wonderful from start to finish.",
    "Terrible, broke after a day.",
    "Not bad at all, would buy again.",
    "The cast is great, but the plot is a confusing mess.",
]


def predict(
    texts: list[str], model_uri: str = MODEL_URI, *, trusted_keys: str | None = None
) -> list[int]:
    """Return 1 (positive) or 0 (negative) for each text, using the model at ``model_uri``.
    ``trusted_keys``: promobot's public key(s), else ``PROMOBOT_TRUSTED_KEYS``.

    Raises ``UnapprovedModel`` when the URI names nothing MLflow has (e.g. no version of
    the model is in Production yet) or, in mode "raise", when the receipt does not hold;
    ``MlflowException`` when MLflow fails to load it.
    """
    if not texts:
        return []
    model = load_model(model_uri, mode=LOAD_MODE, trusted_keys=trusted_keys)
    # The model's signature is a 1-D string tensor, so it takes a numpy array of texts.
    return [int(label) for label in model.predict(np.array(texts, dtype=str))]


def serving_version(model_uri: str = MODEL_URI) -> str | None:
    """The registry version behind a ``models:/<name>/<stage>`` or ``models:/<name>@<alias>``
    URI, if it can be found."""
    prefix = "models:/"
    if not model_uri.startswith(prefix):
        return None
    named, _, alias = model_uri.removeprefix(prefix).partition("@")
    if alias and "/" not in named:  # a registry without stages: `models:/<name>@production`
        try:
            return str(MlflowClient().get_model_version_by_alias(named, alias).version)
        except MlflowException:
            return None
    name, _, stage = model_uri.removeprefix(prefix).partition("/")
    if not name or not stage:
        return None
    if stage.isdigit():  # models:/<name>/<version>
        return stage
    try:
        with warnings.catch_warnings():
            # Stages are deprecated in MLflow 3 but still what promobot moves.
            warnings.simplefilter("ignore", FutureWarning)
            versions = MlflowClient().get_latest_versions(name, stages=[stage])
    except MlflowException:
        return None
    return versions[0].version if versions else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=f"Classify reviews with {MODEL_URI} (tracking server from MLFLOW_TRACKING_URI)."
    )
    parser.add_argument("texts", nargs="*", help="reviews to classify (default: a few examples)")
    parser.add_argument("--model-uri", default=MODEL_URI, help=f"default {MODEL_URI}")
    args = parser.parse_args(argv)
    texts = args.texts or EXAMPLES

    try:
        labels = predict(texts, args.model_uri)
    except (MlflowException, UnapprovedModel) as exc:
        print(f"Cannot load {args.model_uri}: {exc}", file=sys.stderr)
        print(
            "Is a version in Production yet? Train one (train.py), register it and "
            "promote it, e.g. with promobot's /promote.",
            file=sys.stderr,
        )
        return 1

    version = serving_version(args.model_uri)
    if version is not None:
        print(f"Served by {args.model_uri} (version {version})")
    for text, label in zip(texts, labels, strict=True):
        print(f"{LABELS[label]:<8}  {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
