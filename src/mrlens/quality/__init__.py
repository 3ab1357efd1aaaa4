"""Does MRL cost quality? Similarity and retrieval at every truncation size, and the training cost.

``prepare_task`` turns a configured task into texts and labels, ``evaluate`` scores one model's
embeddings of them at every size and strategy, ``cost_table`` tabulates the training cost.
"""

from mrlens.quality.cost import cost_table
from mrlens.quality.evaluate import QualitySettings, evaluate, measure_quality
from mrlens.quality.tasks import prepare_task

__all__ = ["QualitySettings", "cost_table", "evaluate", "measure_quality", "prepare_task"]
