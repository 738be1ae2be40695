"""argparse types of the command line: each refuses a bad value with one clear line."""

import argparse

import numpy as np

__all__ = ["positive_int", "positive_float", "probability"]


def _number(text, kind, accept, what):
    try:
        value = kind(text)
    except ValueError:
        value = np.nan
    if not accept(value):
        raise argparse.ArgumentTypeError(f"must be {what}; got {text!r}")
    return value


def positive_int(text):
    """An integer >= 1."""
    return _number(text, int, lambda v: v >= 1, "a positive integer")


def positive_float(text):
    """A number > 0."""
    return _number(text, float, lambda v: v > 0, "a positive number")


def probability(text):
    """A number in [0, 1]."""
    return _number(text, float, lambda v: 0.0 <= v <= 1.0, "a probability in [0, 1]")
