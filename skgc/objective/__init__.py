"""The objective: point-wise losses, penalties and the partitioned data term."""

from ._datafit import Datafit, PartitionedData
from ._losses import CLASSIFICATION_LOSSES, LOSSES, REGRESSION_LOSSES, Loss, get_loss
from ._penalty import Penalty

__all__ = [
    "Loss", "LOSSES", "REGRESSION_LOSSES", "CLASSIFICATION_LOSSES", "get_loss",
    "Penalty", "Datafit", "PartitionedData",
]
