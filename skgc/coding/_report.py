"""What each code costs and delivers: load, residual error, bias, decoding cost."""

import time
from dataclasses import dataclass

import numpy as np

from ._registry import CODE_NAMES, make_code
from ._validation import PROXIES

__all__ = ["CodeReport", "code_report", "compare_codes", "format_reports"]


@dataclass
class CodeReport:
    """One row of the comparison of codes.

    Attributes
    ----------
    name, decoding : str
    load_mean, load_max, total_load : float
        Non-zero coefficients per worker (mean, max) and in total.
    error_independent, error_coherent : float
        Expected residual error under the two proxies.
    se_independent, se_coherent : float
        Their Monte-Carlo standard errors (0 when exact).
    bias, bias_se : float
        ``max_k |E[beta_k] - 1|`` and its standard error.
    method : str
        "closed form", "enumeration" (all ``2**N`` alive sets) or "monte carlo".
    decode_cost : str
        How one decoding's cost grows.
    decode_us : float
        Measured microseconds per decoding on fresh alive patterns.
    """

    name: str
    decoding: str
    load_mean: float
    load_max: float
    total_load: float
    error_independent: float
    se_independent: float
    error_coherent: float
    se_coherent: float
    bias: float
    bias_se: float
    method: str
    decode_cost: str
    decode_us: float


def _errors(code, p, n_draws, seed):
    """(errors, standard errors, bias, bias se, method) for the two proxies."""
    if code.closed_form:
        errors = [code.residual_error(proxy, p) for proxy in PROXIES]
        bias = float(np.abs(code.expected_weights(p) - 1.0).max())
        return errors, [0.0, 0.0], bias, 0.0, "closed form"
    stats = code.alive_statistics(p, n_draws, seed)
    (ind, se_ind), (coh, se_coh) = stats.error("independent"), stats.error("coherent")
    bias, bias_se = stats.bias()
    return [ind, coh], [se_ind, se_coh], bias, bias_se, (
        "monte carlo" if stats.monte_carlo else "enumeration")


def _decode_microseconds(code, p, n_decodes, seed):
    alive = np.random.default_rng(seed).random((n_decodes, code.n_workers)) >= p
    code.clear_cache()
    start = time.perf_counter()
    for mask in alive:
        code.decode(mask)
    return 1e6 * (time.perf_counter() - start) / n_decodes


def code_report(code, p=None, n_draws=20000, random_state=0, n_decodes=200):
    """Load, residual errors, bias and decoding cost of one code.

    Parameters
    ----------
    code : GradientCode
    p : array-like of shape (n_workers,), default=None
        Straggling probabilities; defaults to the code's.
    n_draws : int, default=20000
        Monte-Carlo draws, used only when there is no closed form and
        ``N > 12`` (otherwise all alive sets are enumerated).
    random_state : int, default=0
        Seed of the draws.
    n_decodes : int, default=200
        Decodings timed (the cache, if any, is cleared first).

    Returns
    -------
    CodeReport
    """
    p = code.resolve_probs(p)
    errors, ses, bias, bias_se, method = _errors(code, p, n_draws, random_state)
    loads = code.loads
    return CodeReport(
        name=code.name, decoding=code.decoding, load_mean=float(loads.mean()),
        load_max=float(loads.max()), total_load=float(loads.sum()),
        error_independent=errors[0], se_independent=ses[0], error_coherent=errors[1],
        se_coherent=ses[1], bias=bias, bias_se=bias_se, method=method,
        decode_cost=code.decoding_cost,
        decode_us=_decode_microseconds(code, p, n_decodes, random_state),
    )


def compare_codes(n_workers, n_partitions=None, load=None, straggler_probs=None,
                  names=CODE_NAMES, decoding=None, random_state=0, n_draws=20000):
    """:func:`code_report` for several codes built with the same parameters.

    Parameters
    ----------
    n_workers, n_partitions, load, straggler_probs, decoding
        Passed to :func:`make_code` (``decoding`` None: each code's own).
    names : sequence of str, default=CODE_NAMES
    random_state : int, default=0
        Seeds the random constructions and the Monte-Carlo draws.
    n_draws : int, default=20000

    Returns
    -------
    list of CodeReport
    """
    return [
        code_report(make_code(name, n_workers, n_partitions, load, straggler_probs,
                              random_state, decoding=decoding),
                    n_draws=n_draws, random_state=random_state)
        for name in names
    ]


def _pm(value, se):
    return f"{value:.4g}" + (f" ± {se:.2g}" if se > 0 else "")


def format_reports(reports):
    """A markdown table of :class:`CodeReport` rows.

    Parameters
    ----------
    reports : sequence of CodeReport

    Returns
    -------
    table : str
    """
    lines = [
        "| code | decoding | load mean | load max | error (independent) | error (coherent) "
        "| bias | method | decode (µs) | decoding cost |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in reports:
        lines.append(
            f"| {r.name} | {r.decoding} | {r.load_mean:.2f} | {r.load_max:.0f} | "
            f"{_pm(r.error_independent, r.se_independent)} | "
            f"{_pm(r.error_coherent, r.se_coherent)} | {_pm(r.bias, r.bias_se)} | "
            f"{r.method} | {r.decode_us:.1f} | {r.decode_cost} |"
        )
    return "\n".join(lines)
