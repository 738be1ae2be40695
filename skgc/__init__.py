"""skgc: straggler-tolerant gradient-coded training of linear models for scikit-learn.

The estimators are imported on first use, so that worker processes, which import only
``skgc.backends`` and ``skgc.objective``, start without scikit-learn.
"""

__version__ = "0.1.0"

__all__ = ["CodedGradientRegressor", "CodedGradientClassifier", "__version__"]

_ESTIMATORS = {"CodedGradientRegressor": "._regressor",
               "CodedGradientClassifier": "._classifier"}


def __getattr__(name):
    if name in _ESTIMATORS:
        from importlib import import_module

        return getattr(import_module(_ESTIMATORS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
