from __future__ import annotations

from typing import Any

import pytest

FULL_SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def internal_doc() -> dict[str, Any]:
    """A complete, valid metadata document for a model trained in-house."""
    return {
        "model_family": "transformer",
        "framework": "pytorch",
        "parameter_count": 1_200_000,
        "training_data": ["dataset-sea-ad-2024"],
        "evaluation_dataset": "dataset-sea-ad-holdout",
        "evaluation_metrics": {"accuracy": 0.91, "macro_f1": 0.87},
        "training_config": {"learning_rate": 0.0003, "epochs": 20},
    }


@pytest.fixture
def external_doc() -> dict[str, Any]:
    """A complete, valid metadata document for a model taken from Hugging Face."""
    return {
        "model_family": "transformer",
        "framework": "pytorch",
        "parameter_count": 110_000_000,
        "training_data": ["https://huggingface.co/datasets/bookcorpus"],
        "evaluation_dataset": "dataset-glue-dev",
        "evaluation_metrics": {"accuracy": 0.84},
        "is_external": True,
        "external_source_url": "https://huggingface.co/google-bert/bert-base-uncased",
        "external_source_version": FULL_SHA,
    }
