"""The exercise checkers (``probrnn.exercises``) and the catalog.

* The catalog lists exactly the exercises of the book's chapters, with their titles.
* Every code exercise has a checker, and every checker's exercise is in the catalog.
* The book's own solution passes each checker: where the solution cell defines the function
  the checker expects, that very function is taken from the chapter (so checker and book cannot
  drift apart); otherwise a reference written here from the solution cell.
* Typical wrong attempts (off by one step, unnormalised, wrong axis or shape, NaN, returning the
  wrong quantity) fail with the specific message a student needs.

The checkers that train networks (ex-gen-3, ex-gen-4, ex-rnnfwd-2) are marked ``slow`` (about
10-20 s each on the 2-core development machine); they run in CI.
"""

from __future__ import annotations

import ast
from math import comb

import numpy as np
import pytest

from probrnn import HMM
from probrnn.course.sources import chapters, exercises, find_root, solutions
from probrnn.exercises import CATALOG, CHECKERS, CheckResult, catalog_table, check
from probrnn.exercises.catalog import BY_LABEL, KINDS

ROOT = find_root(__file__)


def _book_exercises():
    return {e.label: (path.stem, e.title) for path in chapters(ROOT) for e in exercises(path)}


def _solution_code(label: str) -> str:
    for path in chapters(ROOT):
        for s in solutions(path):
            if s.target == label:
                return s.code
    raise KeyError(label)


def book_function(label: str, name: str):
    """The function ``name`` as defined in the solution cell of ``label`` in the chapter (only
    its imports and function definitions are run)."""
    tree = ast.parse(_solution_code(label))
    keep = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.Import, ast.ImportFrom))]
    assert any(isinstance(n, ast.FunctionDef) and n.name == name for n in keep), (
        f"the solution of {label} no longer defines {name}(); update its checker and catalog entry")
    namespace = {"np": np, "HMM": HMM}
    exec(compile(ast.Module(keep, []), f"<solution of {label}>", "exec"), namespace)
    return namespace[name]


# --------------------------------------------------------------------------- the catalog
def test_catalog_lists_every_exercise_of_the_book():
    book = _book_exercises()
    listed = {e.label: (e.chapter, e.title) for e in CATALOG}
    missing = sorted(set(book) - set(listed))
    stale = sorted(set(listed) - set(book))
    assert not missing, f"exercises in the book but not in probrnn/exercises/catalog.py: {missing}"
    assert not stale, f"catalog entries with no exercise in the book: {stale}"
    for label, (chapter, title) in book.items():
        assert listed[label] == (chapter, title), f"{label}: book says {(chapter, title)}"


def test_catalog_entries_are_well_formed():
    for e in CATALOG:
        assert e.kind in KINDS and e.difficulty in (1, 2, 3) and 5 <= e.minutes <= 240, e
        assert e.label_line.startswith("*") and e.label_line.endswith("*")
    table = catalog_table()
    assert list(table.label) == [e.label for e in CATALOG]


def test_every_code_exercise_has_a_checker():
    code = {e.label for e in CATALOG if e.kind == "code"}
    assert code <= set(CHECKERS), f"code exercises without a checker: {sorted(code - set(CHECKERS))}"
    for label in CHECKERS:
        assert BY_LABEL[label].attempt, f"{label} has a checker but its catalog entry no 'attempt'"


def test_check_refuses_unknown_and_pen_and_paper_labels():
    with pytest.raises(ValueError, match="no exercise labelled 'ex-nope'"):
        check("ex-nope", print)
    with pytest.raises(ValueError, match="pen and paper exercise with no checker"):
        check("ex-hmm-3", print)


# --------------------------------------------------------------------------- the references
BOOK_FUNCTIONS = [("ex-hmm-1", "two_state_filter"), ("ex-hmm-2", "log_forward"),
                  ("ex-hmm-4", "filter_accuracy"), ("ex-rnnfwd-4", "shifted_start"),
                  ("ex-pf-2", "systematic"), ("ex-pf-4", "optimal_proposal_filter"),
                  ("ex-smooth-2", "smooth_one"), ("ex-smooth-3", "fixed_lag"),
                  ("ex-cont-1", "scalar_steady_gain"), ("ex-cont-2", "kalman_missing"),
                  ("ex-cont-3", "my_grid_filter")]


@pytest.mark.parametrize("label,name", BOOK_FUNCTIONS)
def test_the_books_solution_passes(label, name):
    result = check(label, book_function(label, name))
    assert isinstance(result, CheckResult)
    assert result, str(result)
    assert result.passed and "passed all" in str(result)


def accuracy_difference_sd(r, N):
    return np.sqrt(r / N)


def count_particle_states(m, M):
    return m ** M, comb(M + m - 1, m - 1)


@pytest.mark.parametrize("label,attempt", [("ex-rnnfwd-3", accuracy_difference_sd),
                                           ("ex-pf-3", count_particle_states)])
def test_reference_answers_pass(label, attempt):
    result = check(label, attempt)
    assert result, str(result)


def lstm_theorem5(seed):
    from probrnn import RNNGraphicalModel, SequenceRNN
    from probrnn.graphical import theorem5_table

    lstm = SequenceRNN(4, 6, "lstm", num_layers=2, seed=seed)
    return theorem5_table(RNNGraphicalModel(lstm, horizon=3), lstm, max_length=3,
                          n_samples=20_000, rng=0)


def first_symbol_model(train, n_symbols, seed):
    from probrnn import fit_sequence_rnn

    with_start = np.concatenate([np.full((len(train), 1), n_symbols), train], axis=1)
    net = fit_sequence_rnn(with_start, n_symbols=n_symbols + 1, hidden_size=16, seed=seed)
    p = net.predict_next(np.array([n_symbols]))[0, :n_symbols]
    return p / p.sum()


# A start the chain cannot reproduce later (pi_1 far outside [A_01, A_11]): one tanh unit must
# compromise between the first step and the rest (chapter 3, "the first step").
DESIGNED = HMM([0.999, 0.001], [[0.4, 0.6], [0.3, 0.7]], [[0.45, 0.35, 0.2], [0.2, 0.35, 0.45]])


@pytest.mark.slow
@pytest.mark.parametrize("label,attempt", [("ex-gen-3", lstm_theorem5),
                                           ("ex-gen-4", first_symbol_model),
                                           ("ex-rnnfwd-2", DESIGNED)])
def test_reference_attempts_that_train_pass(label, attempt):
    result = check(label, attempt)
    assert result, str(result)


# --------------------------------------------------------------------------- wrong attempts
def _state0(hmm, x):
    return 1 - hmm.filter(x)[:, 1]


def _both_states(hmm, x):
    return hmm.filter(x)


def _prediction_not_update(hmm, x):
    """p before the update with x_t (the prediction from x_1..t-1): one step late."""
    f = hmm.filter(x)[:, 1]
    return np.concatenate([[hmm.startprob[1]], f[:-1]])


def _unnormalised_alpha(hmm, x):
    a = hmm.startprob * hmm.emissionprob[:, x[0]]
    out = [a[1] / a.sum()]
    for s in x[1:]:
        a = (a @ hmm.transmat) * hmm.emissionprob[:, s]   # never rescaled: underflows
        out.append(a[1] / a.sum())
    return np.array(out)


def _per_step_loglik(hmm, obs):
    """log p(x_1..t) for every t, (n, T): one value per step instead of per sequence."""
    first = np.log(hmm.startprob @ hmm.emissionprob)[obs[:, 0]]
    nxt = np.take_along_axis(hmm.predict_next(obs)[:, :-1], obs[:, 1:, None], -1)[..., 0]
    return np.cumsum(np.concatenate([first[:, None], np.log(nxt)], axis=1), axis=1)


def _likelihood_not_log(hmm, obs):
    return np.exp(hmm.log_likelihood(obs))


def _last_step_missing(hmm, obs):
    if obs.shape[1] == 1:
        return hmm.log_likelihood(obs)
    return hmm.log_likelihood(obs[:, :-1])


def _accuracy_percent(m, K, concentration, seed=0):
    model = HMM.random(m, K, rng=seed, concentration=concentration)
    s, o = model.sample(2000, 8, rng=seed + 1)
    return 100 * float((model.filter(o).argmax(-1) == s).mean())


def _accuracy_against_obs(m, K, concentration, seed=0):
    model = HMM.random(m, K, rng=seed, concentration=concentration)
    s, o = model.sample(2000, 8, rng=seed + 1)
    return float((model.filter(o).argmax(-1) == o).mean())


def _exact_filter(hmm, obs):
    return hmm.filter(obs)


def _with_h0(hmm, obs):
    from probrnn.exercises.rnn_forward import shifted_start_reference

    h = shifted_start_reference(hmm, obs)
    h0 = np.broadcast_to(hmm.startprob, (obs.shape[0], 1, hmm.m))
    return np.concatenate([h0, h], axis=1)


def _unnormalised_shifted(hmm, obs):
    from probrnn.exercises.rnn_forward import shifted_start_reference

    return 3.0 * shifted_start_reference(hmm, obs)


def _time_first(hmm, obs):
    from probrnn.exercises.rnn_forward import shifted_start_reference

    return shifted_start_reference(hmm, obs).transpose(1, 0, 2)


def _variance(r, N):
    return r / N


def _per_step_sd(r, N):
    return np.sqrt(r)


def _counts(weights, v):
    from probrnn.particle_filter.resampling import systematic_resample

    return np.bincount(systematic_resample(np.asarray(weights)[None], np.array([v]))[0],
                       minlength=len(weights))


def _grid_from_one(weights, v):
    c = np.cumsum(weights) / np.sum(weights)
    M = len(weights)
    return np.array([min(int(np.sum((i + v) / M >= c[:-1])), M - 1) for i in range(1, M + 1)])


def _unnormalised_weights(weights, v):
    c = np.cumsum(weights)
    M = len(weights)
    return np.array([int(np.sum((i + v) / M >= c[:-1])) for i in range(M)])


def _bad_histograms(m, M):
    return m ** M, comb(M + m, m)


def _bootstrap_instead(hmm, obs, M, rng):
    from probrnn.particle_filter import particle_filter

    return particle_filter(hmm, obs, M, rng=rng).filtered


def _nan_filter(hmm, obs, M, rng):
    return np.full(obs.shape + (hmm.m,), np.nan)


def _no_parent_resampling(hmm, obs, M, rng):
    """The locally optimal move, but the parents are never resampled by their weights."""
    rng = np.random.default_rng(rng)
    A, B, pi = hmm.transmat, hmm.emissionprob, hmm.startprob
    n, T = obs.shape
    out, parts = np.empty((n, T, hmm.m)), None
    for t in range(T):
        prior = np.broadcast_to(pi, (n, M, hmm.m)) if t == 0 else A[parts]
        post = prior * B[:, obs[:, t]].T[:, None, :]
        post = post / post.sum(-1, keepdims=True)
        parts = (rng.random((n, M, 1)) >= np.cumsum(post, -1)[..., :-1]).sum(-1)
        out[:, t] = np.stack([(parts == s).mean(1) for s in range(hmm.m)], 1)
    return out


def _filter_not_smoother(hmm, x):
    return hmm.filter(x)


def _unnormalised_smoother(hmm, x):
    return hmm.smooth(x) * 2.0


def _lag_one_short(hmm, obs, lag):
    from probrnn.exercises.smoothing import fixed_lag_reference

    return fixed_lag_reference(hmm, obs, max(lag - 1, 0))


def _recurrent_weight(f, c, q, r):
    """(1 - K c) f instead of K."""
    from probrnn.continuous import LinearGaussianSSM, steady_state_gain

    K = steady_state_gain(LinearGaussianSSM([[f]], [[c]], [[q]], [[r]], [0.0], [[1.0]]))[0]
    return (1 - K[0, 0] * c) * f


def _nan_update(F, C, Q, R, mean0, cov0, y):
    """The update run on a missing (NaN) observation."""
    means, covs, m, P = [], [], mean0, cov0
    for t in range(len(y)):
        if t:
            m, P = F @ means[-1], F @ covs[-1] @ F.T + Q
        S = C @ P @ C.T + R
        K = P @ C.T @ np.linalg.inv(S)
        means.append(m + K @ (y[t] - C @ m))
        covs.append(P - K @ S @ K.T)
    return np.array(means), np.array(covs)


def _unnormalised_grid(model, y, grid):
    """Masses scaled by 2: not normalised."""
    from probrnn.continuous import grid_filter

    return 2 * grid_filter(model, y, grid).weights


WRONG = [
    ("ex-smooth-2", _filter_not_smoother, "you return the filter"),
    ("ex-smooth-2", _unnormalised_smoother, "do not sum to 1"),
    ("ex-smooth-3", _lag_one_short, "off-by-one"),
    ("ex-hmm-1", _state0, "you return P(H_t = 0"),
    ("ex-hmm-1", _both_states, "shape (T,)"),
    ("ex-hmm-1", _prediction_not_update, "one step late"),
    ("ex-hmm-1", _unnormalised_alpha, "NaN or infinite"),
    ("ex-hmm-2", _per_step_loglik, "one value per step"),
    ("ex-hmm-2", _likelihood_not_log, "return its logarithm"),
    ("ex-hmm-2", _last_step_missing, "the last step is missing"),
    ("ex-hmm-4", _accuracy_percent, "a percentage"),
    ("ex-hmm-4", _accuracy_against_obs, "expected an accuracy of about"),
    ("ex-rnnfwd-4", _exact_filter, "is the exact filter"),
    ("ex-rnnfwd-4", _with_h0, "h_0 included"),
    ("ex-rnnfwd-4", _unnormalised_shifted, "not normalised"),
    ("ex-rnnfwd-4", _time_first, "axes are in another order"),
    ("ex-rnnfwd-3", _variance, "that is the variance"),
    ("ex-rnnfwd-3", _per_step_sd, "divide by sqrt(N)"),
    ("ex-pf-2", _counts, "how many copies each particle gets"),
    ("ex-pf-2", _grid_from_one, "should start at v / M"),
    ("ex-pf-2", _unnormalised_weights, "normalise the weights"),
    ("ex-pf-3", _bad_histograms, "wrong: histograms"),
    ("ex-pf-4", _bootstrap_instead, "closer to the forward algorithm"),
    ("ex-pf-4", _nan_filter, "NaN"),
    ("ex-pf-4", _no_parent_resampling, "resample the parents"),
    ("ex-cont-1", _recurrent_weight, "the recurrent weight"),
    ("ex-cont-2", _nan_update, "NaN"),
    ("ex-cont-3", _unnormalised_grid, "not normalised"),
]


@pytest.mark.parametrize("label,attempt,message", WRONG,
                         ids=[f"{label}-{fn.__name__.strip('_')}" for label, fn, _ in WRONG])
def test_wrong_attempt_gets_a_helpful_message(label, attempt, message):
    result = check(label, attempt)
    assert not result and not result.passed
    text = str(result)
    assert message in text, text
    assert "FAIL" in text and "failed" in result.summary()
    assert "&#10007;" in result._repr_html_()


def test_an_exception_in_the_attempt_is_reported_not_raised():
    def broken(hmm, x):
        raise IndexError("index 3 is out of bounds")

    result = check("ex-hmm-1", broken)
    assert not result
    assert "your function raised IndexError: index 3 is out of bounds" in str(result)


def test_none_and_a_wrong_type_are_explained():
    assert "returned None" in str(check("ex-rnnfwd-4", lambda hmm, obs: None))
    assert "(one number), got str" in str(check("ex-rnnfwd-3", lambda d, n: "0.1 or so"))


@pytest.mark.slow
def test_a_design_that_does_not_separate_the_sizes_fails_with_a_hint():
    easy = HMM([0.5, 0.5], [[0.9, 0.1], [0.2, 0.8]], [[0.7, 0.2, 0.1], [0.1, 0.2, 0.7]])
    text = str(check("ex-rnnfwd-2", easy))
    assert "one unit" in text and "Put pi_1 outside that interval" in text
    assert "2 states and 3 symbols" in str(check("ex-rnnfwd-2", HMM.random(3, 3, rng=0)))


def test_every_label_line_names_what_to_check():
    """The label's `check("ex-...", name)` names the function or object the checker takes (a
    label once read `check("ex-rnnfwd-2", )`)."""
    import re

    from probrnn.exercises.catalog import CATALOG

    for entry in CATALOG:
        if entry.attempt:
            m = re.search(r'check\("([\w-]+)", ([A-Za-z_]\w*)\)', entry.label_line)
            assert m and m.group(1) == entry.label, entry.label_line
