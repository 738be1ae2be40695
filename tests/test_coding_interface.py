"""The GradientCode contract, held for every registered code, and the name registry."""

import itertools

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skgc import CodedGradientRegressor
from skgc.coding import (
    CODE_NAMES,
    DECODINGS,
    GradientCode,
    make_code,
    register_code,
    unregister_code,
)
from skgc.plan import make_plan

N = 6
P = np.array([0.05, 0.1, 0.2, 0.3, 0.4, 0.5])
ALL_ALIVE_SETS = np.array(list(itertools.product((False, True), repeat=N)))
N_DRAWS = 20000
#: Codes unbiased for any straggling probabilities (E[beta] = 1).
UNBIASED = ("optimal", "song_choi", "full", "ignore_unbiased")


def _code(name, p=P, **kwargs):
    return make_code(name, N, n_partitions=9, straggler_probs=p, random_state=0, **kwargs)


def _monte_carlo_mean(values_of, p, seed=0):
    """Mean and standard error of ``values_of(alive)`` over seeded alive sets."""
    alive = np.random.default_rng(seed).random((N_DRAWS, p.size)) >= p
    values = np.array([values_of(a) for a in alive])
    return values.mean(axis=0), values.std(axis=0, ddof=1) / np.sqrt(N_DRAWS)


def check_decodable_and_falls_back(code):
    """``decodable`` promises exact recovery; exact codes fall back exactly elsewhere."""
    n_decodable = 0
    for alive in np.array(list(itertools.product((False, True), repeat=code.n_workers))):
        decodable, falls_back = code.decodable(alive), code.falls_back(alive)
        assert isinstance(decodable, bool) and isinstance(falls_back, bool)
        if decodable:
            n_decodable += 1
            np.testing.assert_allclose(code.partition_weights(alive), 1.0, rtol=0, atol=1e-10)
        assert falls_back == (code.exact and not decodable)
    if code.exact:
        assert code.decodable(np.ones(code.n_workers, dtype=bool))
    return n_decodable


@pytest.mark.parametrize("name", CODE_NAMES)
def test_every_code_declares_what_it_is(name):
    code = _code(name)
    assert isinstance(code, GradientCode) and code.name == name
    for flag in ("waits_for_all", "adaptive_decoder", "closed_form", "exact", "reoptimizable"):
        assert isinstance(getattr(code, flag), bool), flag
    assert code.decoding in DECODINGS and isinstance(code.decoding_cost, str)
    assert code.closed_form or code.adaptive_decoder  # fixed decoders have closed forms


@pytest.mark.parametrize("name", CODE_NAMES)
def test_decodable_and_falls_back_agree_with_exact_recovery(name):
    n_decodable = check_decodable_and_falls_back(_code(name))
    # the promises of the exact constructions (load 2: any one straggler is tolerated)
    expected = {"full": 1, "cyclic": 1 + N, "frc": 3 ** 3, "erasurehead": 3 ** 3}
    assert n_decodable == expected.get(name, 0)


@pytest.mark.parametrize("name", CODE_NAMES)
def test_fixed_decoders_weigh_each_worker_by_its_own_answer(name):
    code = _code(name)
    weights = code.decode_many(ALL_ALIVE_SETS)
    np.testing.assert_array_equal(weights, [code.decode(a) for a in ALL_ALIVE_SETS])
    if code.adaptive_decoder:
        return
    answered = code.decode(np.ones(N, dtype=bool))
    silent = code.decode(np.zeros(N, dtype=bool))
    np.testing.assert_array_equal(weights, np.where(ALL_ALIVE_SETS, answered, silent))


@pytest.mark.parametrize("name", CODE_NAMES)
def test_expected_weights_match_monte_carlo(name):
    code = _code(name)
    mean, se = _monte_carlo_mean(code.partition_weights, P)
    assert np.all(np.abs(code.expected_weights() - mean) <= 4 * se + 1e-12)
    mean, se = _monte_carlo_mean(code.decode, P, seed=1)
    assert np.all(np.abs(code.expected_decode_weights() - mean) <= 4 * se + 1e-12)
    if name in UNBIASED:
        np.testing.assert_allclose(code.expected_weights(), 1.0, rtol=1e-12)


@pytest.mark.parametrize("name", CODE_NAMES)
def test_residual_error_matches_monte_carlo(name):
    code = _code(name)
    errors, se = _monte_carlo_mean(lambda a: ((code.partition_weights(a) - 1) ** 2).sum(), P,
                                   seed=2)
    assert abs(code.residual_error() - errors) <= 4 * se + 1e-12


def test_homogeneous_replication_codes_are_unbiased():
    p = np.full(N, 0.3)
    for name in ("sgc", "graph", "bgc"):
        code = _code(name, p, decoding="fixed")
        np.testing.assert_allclose(code.expected_weights(), 1.0, rtol=1e-12)


def _master_reoptimizes(code, new_p):
    """What a fit's master does when asked to follow ``new_p``: (switched?, its code)."""
    X = np.random.default_rng(0).normal(size=(30, 2))
    plan = make_plan(X, X[:, 0], n_workers=N, n_partitions=9, code=code, stragglers=P)
    with plan.run(estimate_stragglers=True) as master:
        return master.reoptimize(straggler_probs=new_p), master.code


@pytest.mark.parametrize("name", CODE_NAMES)
def test_reoptimized_keeps_the_allocation(name):
    code = _code(name)
    new_p = P[::-1].copy()
    switched, followed = _master_reoptimizes(code, new_p)
    assert switched == code.reoptimizable
    if not code.reoptimizable:
        with pytest.raises(NotImplementedError, match="reoptimizable"):
            code.reoptimized(straggler_probs=new_p)
        assert followed is code
        return
    moved = code.reoptimized(straggler_probs=new_p)
    np.testing.assert_array_equal(moved.allocation, code.allocation)
    np.testing.assert_array_equal(moved.straggler_probs, new_p)
    assert not np.allclose(moved.coefficients, code.coefficients)
    np.testing.assert_allclose(moved.expected_weights(), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(followed.coefficients, moved.coefficients)


# -- a code registered by a test ----------------------------------------------------------


class FirstReplyCode(GradientCode):
    """Everyone holds everything and sends ``g / N``; the first reply, times ``N``, is ``g``."""

    adaptive_decoder = True
    exact = True

    def __init__(self, n_workers, n_partitions, straggler_probs=None):
        holds = np.ones((n_workers, n_partitions), dtype=bool)
        super().__init__(holds, holds / n_workers, straggler_probs, name="first_reply")

    def decode(self, alive):
        weights = np.zeros(self.n_workers)
        answered = np.flatnonzero(alive)
        if answered.size:
            weights[answered[0]] = self.n_workers
        return weights

    def decodable(self, alive):
        return bool(np.any(alive))


@pytest.fixture
def first_reply():
    register_code("first_reply", lambda n_workers, n_partitions, load, p, random_state:
                  FirstReplyCode(n_workers, n_partitions, p))
    yield "first_reply"
    unregister_code("first_reply")


def test_a_registered_code_is_built_by_name(first_reply):
    assert first_reply in CODE_NAMES and CODE_NAMES[-1] == first_reply
    code = make_code(first_reply, N, 4, straggler_probs=P)
    assert isinstance(code, FirstReplyCode) and code.n_partitions == 4
    assert check_decodable_and_falls_back(code) == 2 ** N - 1
    # nobody alive is the only loss: E||beta - 1||^2 = K prod(p)
    assert code.residual_error() == pytest.approx(4 * np.prod(P), rel=1e-12)
    np.testing.assert_allclose(code.expected_weights(), 1 - np.prod(P), rtol=1e-12)
    assert make_code(first_reply, N, 4, decoding="lstsq").decoding == "lstsq"
    with pytest.raises(ValueError, match="optimal"):
        make_code(first_reply, N, allocation="cyclic")


def test_a_registered_code_fits_by_name_and_as_an_object(first_reply):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.01 * rng.normal(size=120)
    params = dict(n_workers=N, n_partitions=4, stragglers=P, max_iter=200, random_state=0)
    by_name = CodedGradientRegressor(code=first_reply, **params).fit(X, y)
    code = make_code(first_reply, N, 4, straggler_probs=P)
    by_object = CodedGradientRegressor(code=code, **params).fit(X, y)
    assert by_name.code_.name == first_reply and by_name.score(X, y) > 0.999
    np.testing.assert_allclose(by_object.coef_, by_name.coef_, rtol=1e-12)


def test_an_unregistered_name_is_refused(first_reply):
    unregister_code(first_reply)
    assert first_reply not in CODE_NAMES
    with pytest.raises(ValueError, match="code name must be one of"):
        make_code(first_reply, N)
    with pytest.raises(InvalidParameterError, match="'code' parameter"):
        CodedGradientRegressor(code=first_reply).fit(np.ones((8, 2)), np.ones(8))
    register_code(first_reply, lambda *args: None)  # for the fixture to unregister
    with pytest.raises(TypeError, match="not a GradientCode"):
        make_code(first_reply, N)


def test_register_code_refuses_bad_registrations(first_reply):
    def build(*args):
        return None

    with pytest.raises(ValueError, match="already registered"):
        register_code(first_reply, build)
    with pytest.raises(ValueError, match="already registered"):
        register_code("optimal", build)
    with pytest.raises(ValueError, match="non-empty string"):
        register_code("", build)
    with pytest.raises(ValueError, match="callable"):
        register_code("other", "not a function")
    with pytest.raises(ValueError, match="options"):
        register_code("other", build, options=("proxy",))
    with pytest.raises(ValueError, match="no code named"):
        unregister_code("other")
    assert "other" not in CODE_NAMES


def test_register_code_as_a_decorator():
    @register_code("shrunk_first_reply")
    def build(n_workers, n_partitions, load, p, random_state):
        code = FirstReplyCode(n_workers, n_partitions, p)
        return GradientCode(code.allocation, code.coefficients / 2, p, name="shrunk")

    try:
        assert callable(build)
        code = make_code("shrunk_first_reply", 3, straggler_probs=[0.1, 0.2, 0.3])
        np.testing.assert_allclose(code.coefficients, 1 / 6)
    finally:
        unregister_code("shrunk_first_reply")


def test_a_code_of_the_wrong_shape_is_refused():
    register_code("wrong_shape", lambda n_workers, n_partitions, load, p, random_state:
                  FirstReplyCode(n_workers + 1, n_partitions))
    try:
        with pytest.raises(ValueError, match="n_workers=4"):
            make_code("wrong_shape", 3)
    finally:
        unregister_code("wrong_shape")


def test_code_names_are_an_ordered_live_set():
    assert CODE_NAMES[0] == "optimal" and list(CODE_NAMES)[-1] == CODE_NAMES[-1]
    assert len(set(CODE_NAMES)) == len(CODE_NAMES) == 11
    assert set() - CODE_NAMES == set()  # what scikit-learn's StrOptions computes
    assert CODE_NAMES & {"cyclic", "nope"} == {"cyclic"}
    assert 3 not in CODE_NAMES and "nope" not in CODE_NAMES
    assert repr(CODE_NAMES) == repr(tuple(CODE_NAMES))


def test_a_code_says_whether_it_expects_stragglers():
    """Some worker may miss a round only when the master does not wait for all and some
    probability is positive."""
    p = np.linspace(0.1, 0.5, 6)
    assert make_code("optimal", 6, straggler_probs=p).expects_stragglers
    assert not make_code("optimal", 6, straggler_probs=np.zeros(6)).expects_stragglers
    assert not make_code("optimal", 6).expects_stragglers  # nobody straggles
    assert not make_code("full", 6, straggler_probs=p).expects_stragglers  # waits for all
