"""Does MRL cost quality? Similarity and retrieval at every truncation size.

``prepare_task`` turns a configured task into texts and labels, ``evaluate`` scores one model's
embeddings of them at every size and strategy (the training cost is :mod:`mrlens.train.cost`).
"""

from mrlens.quality.evaluate import QualitySettings, evaluate, measure_quality
from mrlens.quality.tasks import prepare_task

__all__ = ["QualitySettings", "evaluate", "measure_quality", "prepare_task"]
