"""skgc: straggler-tolerant gradient-coded training of linear models for scikit-learn."""

from ._classifier import CodedGradientClassifier
from ._regressor import CodedGradientRegressor

__version__ = "0.1.0"

__all__ = ["CodedGradientRegressor", "CodedGradientClassifier", "__version__"]
