"""``skgc codes``: load, residual error, bias and decoding cost of every gradient code."""

import textwrap

import numpy as np

from skgc.coding import CODE_NAMES, DECODINGS, compare_codes

from ._arguments import positive_int, probability
from ._text import ROUNDING, number, text_table

DESCRIPTION = """\
Build every gradient code for the same workers and straggling probabilities and print,
side by side, what each costs (partitions per worker, decoding time) and what it
delivers (expected error of the decoded gradient, bias). Without --probs the
probabilities come from Song & Choi's model (p_j = exp(-mu_j (Z - 1)), mu_j ~ U(0.01, 2),
Z = 1.1, drawn with --seed)."""

LEGEND = """\
load: partitions whose gradient a worker computes in each iteration (its work).
error: expected squared error of the decoded gradient, E||g_hat - g||^2, in units of one
  partition gradient's squared norm; the true error lies between two models of the
  partition gradients:
  independent: the partition gradients are unrelated (near the optimum, where only their
    differences remain);
  coherent: they are all equal (early in training, on shuffled data).
bias: max over partitions of |E[weight the decoder gives the partition] - 1|; 0 means
  unbiased on average.
computed: closed form, enumeration (all 2^N sets of answering workers) or monte carlo
  (+- its standard error).
decode: measured master time to combine one iteration's answers; cost: how it grows."""

#: Why a code's mean load may differ from ``--load``.
LOAD_REASONS = {
    "song_choi": "chooses its own loads, proportional to each worker's reliability "
                 "(1 - p) / p (Song & Choi)",
    "frc": "puts the workers in N // load groups that share the partitions, so a worker "
           "holds K / (number of groups) partitions, rounded up or down",
    "erasurehead": "uses the same groups as frc",
    "bgc": "draws a random allocation with this load on average",
}


def add_arguments(parser):
    parser.description = DESCRIPTION
    parser.add_argument("--workers", type=positive_int, default=10,
                        help="number of workers N (10)")
    parser.add_argument("--partitions", type=positive_int, default=None,
                        help="number of partitions K (default N)")
    parser.add_argument("--load", type=positive_int, default=None,
                        help="partitions per worker (default: each code's own; song_choi "
                             "always chooses its own)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--probs", type=probability, nargs="+", default=None,
                        help="straggling probabilities: one per worker, or one for all "
                             "(default: Song & Choi's model)")
    source.add_argument("--paper-model", action="store_true",
                        help="Song & Choi's model (the default): p_j = exp(-mu_j (Z - 1)), "
                             "mu_j ~ U(0.01, 2), Z = 1.1")
    parser.add_argument("--decoding", choices=DECODINGS, default=None,
                        help="decode every code this way (default: each code's own)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the model's draw and of random codes (0)")


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


def straggler_probs(args):
    """(probabilities, how they were chosen): ``--probs`` broadcast to the workers, or the
    paper's model (the default)."""
    if args.paper_model or args.probs is None:
        from skgc.stragglers import paper_model

        return (paper_model(args.workers, random_state=args.seed).probs,
                f"Song & Choi's model, seed {args.seed}")
    probs = np.asarray(args.probs, dtype=float)
    if probs.size == 1:
        return np.full(args.workers, probs[0]), "--probs"
    return probs, "--probs"


def _with_se(value, se):
    if abs(value) < ROUNDING or not se:
        return number(value, ".4g")
    return f"{number(value, '.4g')} +- {se:.2g}"


def rows(reports):
    """One table row per :class:`~skgc.coding.CodeReport`."""
    return [[r.name, r.decoding, f"{r.load_mean:.2f}", f"{r.load_max:.0f}",
             _with_se(r.error_independent, r.se_independent),
             _with_se(r.error_coherent, r.se_coherent), _with_se(r.bias, r.bias_se),
             r.method, f"{r.decode_us:.1f}", r.decode_cost] for r in reports]


def load_notes(reports, load):
    """A line for each code whose mean load is not the ``--load`` asked for."""
    if load is None:
        return []
    return [textwrap.fill(f"{r.name} has mean load {r.load_mean:.2f}, not {load}: it "
                          + LOAD_REASONS.get(r.name, "builds its own allocation") + ".",
                          width=88, subsequent_indent="  ")
            for r in reports if not np.isclose(r.load_mean, load)]


def run(args):
    probs, source = straggler_probs(args)
    reports = compare_codes(args.workers, args.partitions, args.load, probs, CODE_NAMES,
                            args.decoding, args.seed)
    n_partitions = args.partitions or args.workers
    print(f"{args.workers} workers, {n_partitions} partitions; straggling probabilities "
          f"{probs.min():.3f} .. {probs.max():.3f} ({source}); load "
          + ("each code's own" if args.load is None else f"{args.load} asked") + ".\n")
    print(text_table(["code", "decoding", "load", "max load", "error (independent)",
                      "error (coherent)", "bias", "computed", "decode (us)", "cost"],
                     rows(reports), "llrrrrrlrl"))
    notes = load_notes(reports, args.load)
    print("\n" + LEGEND + ("\n\n" + "\n".join(notes) if notes else ""))
    return 0
