"""Parameter documentation shared by the two estimators."""

SGD_PARAMETERS = """
    penalty : {"l2", "l1", "elasticnet"} or None, default="l2"
        ``alpha * (l1_ratio * ||w||_1 + (1 - l1_ratio) / 2 * ||w||^2)``, applied by a
        proximal step (soft-thresholding, then the l2 shrink ``1 / (1 + eta * l2)``), which
        is stable for any step size.
    alpha : float, default=0.0001
        Regularisation strength.
    l1_ratio : float or None, default=0.15
        Elastic-net mixing, used when ``penalty="elasticnet"``; may be None for the other
        penalties.
    fit_intercept : bool, default=True
    max_iter : int, default=1000
        Maximum number of iterations (Newton, L-BFGS or gradient-descent steps; one
        iteration reads every partition at least once, like one SGD epoch).
    tol : float or None, default=1e-6
        The accuracy asked for. With ``solver="newton"``: stop once the Newton decrement
        (the decrease the curvature model predicts, equal to ``f - f*`` for a quadratic
        objective and an over-estimate under decoding noise) is at most ``tol`` times the
        objective, i.e. at an estimated relative gap of ``tol``; under stragglers it must
        stay below for several iterations in a row. With "lbfgs": the relative decrease
        per iteration at which L-BFGS stops is ``tol``. With "gd": stop when the
        objective has not improved by ``tol`` for ``n_iter_no_change`` iterations, as
        SGD does. None runs ``max_iter`` iterations. A relative accuracy, hence a smaller
        default than SGD's 1e-3.
    shuffle : bool, default=True
        Shuffle the samples before cutting them into partitions. False keeps contiguous
        blocks of the data as given (non-iid partitions if the data are sorted). Skipped,
        with its copy of the data, when which samples a partition holds cannot change the
        fit: when every worker answers every round (simulated backend without
        stragglers), and when the solver asks for every partition at every iterate
        (Newton and L-BFGS steps: topped up under stragglers). Gradient descent, which
        decodes from whoever answered, shuffles.
    verbose : int, default=0
    epsilon : float, default=0.1
        Width of the epsilon-insensitive losses and of the Huber loss's quadratic zone.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffle, the allocation, the straggler draws and the validation split.
    learning_rate : {"auto", "constant", "optimal", "invscaling", "adaptive"}, default="auto"
        Used by ``solver="gd"`` (any other value than "auto" selects it when
        ``solver="auto"``). "auto" needs no tuning: ``1 / (L (1 + eps))`` with ``L`` the smoothness of the
        objective and ``eps`` the decoded gradient's relative variance; under stragglers
        with an inexact code, iterates are averaged (linearly weighted) once progress
        stalls, which removes the noise floor a constant step leaves. Non-smooth losses use
        ``1 / (L (1 + eps) + lambda t)`` (``lambda`` the l2 curvature) with averaging. The other schedules are SGD's
        formulas with ``t`` counting iterations.
    eta0 : float, default=0.01
        Initial step of "constant", "invscaling" and "adaptive".
    power_t : float
        Exponent of "invscaling". Negative values are deprecated, as in SGD (a
        ``FutureWarning``).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the samples and stop when the validation score
        has not improved by ``tol`` for ``n_iter_no_change`` iterations.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    warm_start : bool, default=False
        Start from the previous fit's coefficients.
    average : bool or int, default=False
        Return the uniform average of the iterates from iteration ``average`` on (SGD counts
        samples, not iterations: see the user guide's "Differences from SGD").""".strip("\n")

CODING_PARAMETERS = """
    n_workers : int, default=8
        Number of workers.
    n_partitions : int or None, default=None
        Number of data partitions (default: ``n_workers``, or the number of samples
        if there are fewer).
    load : int, array-like of shape (n_workers,) or None, default=None
        Partitions stored and processed by each worker; None: the code's default
        (2 for "optimal").
    code : str or skgc.coding.GradientCode, default="optimal"
        The gradient code, by name (``skgc.coding.CODE_NAMES``) or as an object.
    stragglers : None, float, array-like of shape (n_workers,) or StragglerModel, \
default=None
        Who straggles: None, nobody; a float, that probability for every worker; an array,
        one probability per worker; or a model from ``skgc.stragglers``.
    backend : {"simulated", "threading", "loky", "dask"} or Backend, default="simulated"
        Where the workers run: "simulated", in this process with a virtual clock;
        "threading" or "loky", real threads or processes on this machine that sleep the
        straggler model's delays, with a real deadline; "dask", the current
        ``distributed.Client``. A ``skgc.backends`` object, such as
        ``DaskBackend(client=client)``, sets options.
    deadline : float, "auto", "optimal" or None, default=None
        Seconds the master waits for the workers in an iteration; None or "auto": the
        straggler model's default (for delay models, from the fast workers' times), with
        which the code's straggling probabilities ``P(T_j > deadline)`` are computed. On
        real workers under a Bernoulli model (``stragglers`` None, a probability or one
        per worker), whose times are not seconds, the default is measured in every
        round instead: the master stops waiting 3 times the time at which half the
        workers answered, plus 0.5 s (:class:`skgc.deadline.MeasuredDeadline`).
        "optimal" (delay models): the deadline of least expected time to accuracy, see
        :func:`skgc.deadline.choose_deadline`.
    variance_reduction : bool, default=True
        Decode from every worker's latest message, not only this round's answers. The
        master keeps each worker's last delivered message ``h_j``; once the messages heard
        decode every partition exactly, it estimates ``sum_j a_j h_j`` with weights that
        decode exactly (``a^T C = 1``) and put the least weight on old messages (SAG's
        aggregate). It decodes plainly until the plain estimate is mostly noise, then
        switches. The estimate's error vanishes as the iterates converge, so the constant
        "auto" step converges to the exact optimum under stragglers, without averaging.
        With Newton steps the stored messages are moved along the partitions' curvature
        (a control variate, exact for the squared loss). Applies to codes with a fixed
        decoder (optimal, song_choi, sgc, ignore_unbiased, ...); the others are decoded
        plainly.
    estimate_stragglers : bool or "auto", default="auto"
        Learn each worker's straggling probability from who answers (fitted
        ``straggler_probs_``) and re-optimise the "optimal" code's coefficients when the
        estimates drift by more than 0.05. "auto": on real backends when ``stragglers``
        is None.
    gradient_aware : bool, default=False
        Every 50 iterations, measure the Gram matrix ``M`` of the partition gradients (one
        pass over the master's copy of the data) and use the "optimal" code's coefficients
        that minimise the true residual error ``sum_j p_j (1 - p_j) c_j^T M c_j``.
    solver : {"auto", "newton", "lbfgs", "gd"}, default="auto"
        The optimiser on the master. "newton": the workers also return their partitions'
        Hessian sums (the Gram matrix for the squared loss, gathered once); the master
        takes Newton steps (proximal Newton with coordinate descent for l1 and
        elastic-net), with a line search without stragglers and steps damped to the
        workers' mean answer rate with them; it converges in a few passes whatever the
        conditioning of ``X``. Non-smooth losses (hinge, perceptron, epsilon-insensitive)
        are smoothed, ever more finely, down to ``tol``. "lbfgs": L-BFGS on exact values
        and gradients (no curvature from the workers), for wide data; under stragglers
        the workers send their partitions' sums uncoded, and the partitions whose holders
        all straggled are asked for again until every one has been delivered at the
        iterate. "gd": the paper's coded (proximal) gradient descent with
        ``learning_rate``'s schedule. "auto": "newton" below ``max_newton_features``
        features and "lbfgs" beyond; "gd" for ``partial_fit``, averaging, an explicit
        ``learning_rate`` and the perceptron (whose objective is minimised by zero
        coefficients: its own steps, as SGD's, stop at a separator instead). The choice
        is the fitted ``solver_``.
    max_newton_features : int, default=1000
        "auto" uses Newton steps when ``n_features`` is below this: the master then
        solves ``n_features x n_features`` systems and the workers send matrices of that
        size.""".strip("\n")

FITTED_ATTRIBUTES = """
    n_iter_ : int
        Iterations run by the last fit.
    t_ : int
        ``n_iter_ * n_samples + 1``, as in SGD.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Defined only when X has string feature names.
    history_ : dict of ndarray
        One entry per iteration: "objective" (the master's estimate of the objective, NaN
        when no worker answered), "n_alive" (workers that answered in time; 0 also in the
        iterations that need no round, once the master holds the exact quadratic model
        of the squared loss, with or without stragglers: "time" then does not advance),
        "time" (cumulative seconds; virtual in simulation, wall-clock on real backends), "step",
        "fallback" (an exact code could not decode the workers that answered and fell back
        to least squares) and "alive" (who answered: a boolean array of shape
        (n_iter, n_workers), ``history_["alive"][t, j]`` True when worker ``j`` answered in
        iteration ``t``).
    code_ : skgc.coding.GradientCode
        The code used.
    stragglers_ : skgc.stragglers.StragglerModel
        The straggler model used.
    straggler_probs_ : ndarray of shape (n_workers,)
        The straggling probabilities the code ended with (learned ones with
        ``estimate_stragglers``).
    deadline_ : float
        The deadline the master used (seconds; virtual in simulation).
    solver_ : str
        The solver the fit used ("newton", "lbfgs" or "gd"; see ``solver``).""".strip("\n")
