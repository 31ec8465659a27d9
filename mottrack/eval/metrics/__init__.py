"""MOTChallenge metrics that equal TrackEval's: CLEAR, Identity and HOTA."""
from .clear import ClearMetrics, clear_metrics
from .evaluate import (SUMMARY_KEYS, SequenceMetrics, combine_sequences, evaluate_dataset,
                       evaluate_files, evaluate_sequence)
from .hota import ALPHAS, HotaMetrics, hota_metrics
from .identity import IdentityMetrics, identity_metrics
from .preprocess import BENCHMARKS, PreparedSequence, preprocess_sequence

__all__ = [
    "ALPHAS", "BENCHMARKS", "SUMMARY_KEYS",
    "ClearMetrics", "IdentityMetrics", "HotaMetrics", "SequenceMetrics", "PreparedSequence",
    "clear_metrics", "identity_metrics", "hota_metrics", "preprocess_sequence",
    "evaluate_sequence", "combine_sequences", "evaluate_files", "evaluate_dataset",
]
