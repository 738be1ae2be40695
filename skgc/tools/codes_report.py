"""``skgc codes``: load, residual error, bias and decoding cost of every gradient code."""

import argparse

import numpy as np

from skgc.coding import CODE_NAMES, DECODINGS, compare_codes, format_reports
from skgc.stragglers import paper_model


def positive_int(text):
    """An argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}")
    return value


def probability(text):
    """An argparse type: a number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        value = np.nan
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a probability in [0, 1]; got {text!r}")
    return value


def add_arguments(parser):
    parser.add_argument("--workers", type=positive_int, default=10,
                        help="number of workers N (10)")
    parser.add_argument("--partitions", type=positive_int, default=None,
                        help="number of partitions K (default N)")
    parser.add_argument("--load", type=positive_int, default=None,
                        help="partitions per worker (default: each code's own)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--probs", type=probability, nargs="+", default=None,
                        help="straggling probabilities: one per worker, or one for all")
    source.add_argument("--paper-model", action="store_true",
                        help="p_j = exp(-mu_j (Z - 1)), mu_j ~ U(0.01, 2), Z = 1.1")
    parser.add_argument("--decoding", choices=DECODINGS, default=None,
                        help="decode every code this way (default: each code's own)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")


def check_arguments(args):
    """Arguments that are each valid but not together; raises ValueError."""
    n_partitions = args.partitions or args.workers
    if args.load is not None and args.load > n_partitions:
        raise ValueError(f"--load {args.load} is more than the {n_partitions} partitions")
    if args.probs is not None:
        if len(args.probs) not in (1, args.workers):
            raise ValueError(f"--probs needs 1 or {args.workers} values, got "
                             f"{len(args.probs)}")
        if min(args.probs) == 1.0:
            raise ValueError("--probs: every worker always straggles (all probabilities "
                             "are 1); no gradient can ever be recovered")


def _probs(args):
    """``--probs`` broadcast to the workers, or the paper's model (the default)."""
    if args.paper_model or args.probs is None:
        return paper_model(args.workers, random_state=args.seed).probs
    probs = np.asarray(args.probs, dtype=float)
    if probs.size == 1:
        return np.full(args.workers, probs[0])
    return probs


def run(args):
    probs = _probs(args)
    reports = compare_codes(args.workers, args.partitions, args.load, probs, CODE_NAMES,
                            args.decoding, args.seed)
    print(f"{args.workers} workers, {args.partitions or args.workers} partitions; "
          f"straggling probabilities {probs.min():.3f} .. {probs.max():.3f}\n")
    print(format_reports(reports))
    return 0

