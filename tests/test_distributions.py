"""pybigml.distributions against torch.distributions.

Every distribution is built from the same float64 parameters in both libraries; values,
gradients of log_prob/entropy with respect to the parameters and closed-form KLs are compared
at float64 precision. Sampling is checked statistically (sample means within a few standard
errors of the true mean), since pybigml's generator draws different numbers than torch's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import pybigml
import pybigml.distributions as D
from pybigml.testing.strategies import broadcastable_shape_pairs

# Closed forms built from the same float64 ops: only rounding differs. lgamma/digamma and the
# Cholesky-based MVN terms chain a few dozen roundings, hence 1e-9 rather than 1e-12.
RTOL, ATOL = 1e-9, 1e-10
N_SAMPLES = 20000


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _spd(rng: np.random.Generator, batch: tuple, n: int) -> np.ndarray:
    a = rng.normal(size=batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _case_params(name: str) -> tuple[str, dict, np.ndarray]:
    """(class name, float64 parameters as numpy, a batch of values in the support)."""
    rng = _rng(abs(hash(name)) % 2**32)
    pos = lambda *s: rng.uniform(0.5, 3.0, size=s)  # noqa: E731
    if name == "Normal":
        return "Normal", {"loc": rng.normal(size=3), "scale": pos(3)}, rng.normal(size=(4, 3))
    if name == "Laplace":
        return "Laplace", {"loc": rng.normal(size=3), "scale": pos(3)}, rng.normal(size=(4, 3))
    if name == "LogNormal":  # small scales: the sample variance of a wider one hardly settles
        params = {"loc": rng.normal(size=3), "scale": rng.uniform(0.2, 0.6, 3)}
        return "LogNormal", params, pos(4, 3)
    if name == "Cauchy":
        return "Cauchy", {"loc": rng.normal(size=3), "scale": pos(3)}, rng.normal(size=(4, 3))
    if name == "HalfNormal":
        return "HalfNormal", {"scale": pos(3)}, pos(4, 3)
    if name == "Geometric":
        params = {"probs": rng.uniform(0.2, 0.9, 3)}
        return "Geometric", params, rng.integers(0, 5, (4, 3)).astype(np.float64)
    if name == "Exponential":
        return "Exponential", {"rate": pos(3)}, pos(4, 3)
    if name == "Uniform":
        low = rng.normal(size=3)
        return "Uniform", {"low": low, "high": low + pos(3)}, low + rng.uniform(0, 0.5, (4, 3))
    if name == "Gamma":
        return "Gamma", {"concentration": pos(3), "rate": pos(3)}, pos(4, 3)
    if name == "Beta":
        params = {"concentration1": pos(3), "concentration0": pos(3)}
        return "Beta", params, rng.uniform(0.05, 0.95, (4, 3))
    if name == "Dirichlet":
        return "Dirichlet", {"concentration": pos(2, 4)}, rng.dirichlet(np.ones(4), (3, 2))
    if name == "Poisson":
        return "Poisson", {"rate": pos(3)}, rng.integers(0, 6, (4, 3)).astype(np.float64)
    if name == "Bernoulli-probs":
        return "Bernoulli", {"probs": rng.uniform(0.1, 0.9, 3)}, rng.integers(0, 2, (4, 3)) * 1.0
    if name == "Bernoulli-logits":
        return "Bernoulli", {"logits": rng.normal(size=3)}, rng.integers(0, 2, (4, 3)) * 1.0
    if name == "Binomial-probs":
        params = {"total_count": np.full(3, 7.0), "probs": rng.uniform(0.1, 0.9, 3)}
        return "Binomial", params, rng.integers(0, 8, (4, 3)) * 1.0
    if name == "Binomial-logits":
        params = {"total_count": np.full(3, 5.0), "logits": rng.normal(size=3)}
        return "Binomial", params, rng.integers(0, 6, (4, 3)) * 1.0
    if name == "Categorical-probs":
        return "Categorical", {"probs": pos(2, 4)}, rng.integers(0, 4, (5, 2))
    if name == "Categorical-logits":
        return "Categorical", {"logits": rng.normal(size=(2, 4))}, rng.integers(0, 4, (5, 2))
    if name == "OneHotCategorical":
        values = np.eye(4)[rng.integers(0, 4, (5, 2))]
        return "OneHotCategorical", {"logits": rng.normal(size=(2, 4))}, values
    if name == "Multinomial":
        values = rng.multinomial(6, [0.2, 0.3, 0.5], size=(4, 2)).astype(np.float64)
        return "Multinomial", {"total_count": 6, "probs": pos(2, 3)}, values
    if name == "RelaxedBernoulli":
        params = {"temperature": np.array(0.7), "logits": rng.normal(size=3)}
        return "RelaxedBernoulli", params, rng.uniform(0.05, 0.95, (4, 3))
    if name == "RelaxedOneHotCategorical":
        params = {"temperature": np.array(1.3), "probs": pos(2, 4)}
        return "RelaxedOneHotCategorical", params, rng.dirichlet(np.ones(4), (3, 2))
    if name.startswith("MultivariateNormal"):
        kind = name.split("-")[1]
        cov = _spd(rng, (2,), 3)
        matrix = {
            "covariance_matrix": cov,
            "precision_matrix": np.linalg.inv(cov),
            "scale_tril": np.linalg.cholesky(cov),
        }[kind]
        params = {"loc": rng.normal(size=(2, 3)), kind: matrix}
        return "MultivariateNormal", params, rng.normal(size=(4, 2, 3))
    raise KeyError(name)


CASES = [
    "Normal",
    "Laplace",
    "LogNormal",
    "Exponential",
    "Uniform",
    "Gamma",
    "Beta",
    "Dirichlet",
    "Poisson",
    "Cauchy",
    "HalfNormal",
    "Geometric",
    "Bernoulli-probs",
    "Bernoulli-logits",
    "Binomial-probs",
    "Binomial-logits",
    "Categorical-probs",
    "Categorical-logits",
    "OneHotCategorical",
    "Multinomial",
    "MultivariateNormal-covariance_matrix",
    "MultivariateNormal-precision_matrix",
    "MultivariateNormal-scale_tril",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
]
# Relaxed distributions have no closed-form mean or variance to compare samples with, and
# Cauchy has neither (its sample quantiles are checked instead).
MOMENT_CASES = [name for name in CASES if not name.startswith("Relaxed") and name != "Cauchy"]
# Parameters that are counts, not differentiable.
_INTEGER_PARAMS = {"total_count"}


def _build(name: str, requires_grad: bool = True):
    """The same distribution in both libraries, with leaf parameters to differentiate."""
    cls, params, values = _case_params(name)
    p_params, t_params = {}, {}
    for key, value in params.items():
        if isinstance(value, int):
            p_params[key] = t_params[key] = value
            continue
        grad = requires_grad and key not in _INTEGER_PARAMS
        p_params[key] = pybigml.tensor(value, dtype=pybigml.float64, requires_grad=grad)
        t_params[key] = torch.tensor(value, dtype=torch.float64, requires_grad=grad)
    p_dist = getattr(D, cls)(**p_params)
    t_dist = getattr(torch.distributions, cls)(**t_params)
    dtype = np.int64 if cls == "Categorical" else np.float64
    p_value = pybigml.tensor(values.astype(dtype))
    t_value = torch.tensor(values.astype(dtype))
    return p_dist, t_dist, p_value, t_value, p_params, t_params


def _close(actual, expected, rtol: float = RTOL, atol: float = ATOL) -> None:
    actual = actual.detach().numpy() if isinstance(actual, pybigml.Tensor) else actual
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else expected
    assert np.shape(actual) == np.shape(expected)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)


def _torch_has(t_dist, attr: str) -> bool:
    try:
        getattr(t_dist, attr)() if attr in ("entropy",) else getattr(t_dist, attr)
    except NotImplementedError:
        return False
    return True


@pytest.mark.parametrize("name", CASES)
def test_values_match_torch(name: str) -> None:
    p_dist, t_dist, p_value, t_value, _, _ = _build(name)
    assert tuple(p_dist.batch_shape) == tuple(t_dist.batch_shape)
    assert tuple(p_dist.event_shape) == tuple(t_dist.event_shape)
    assert p_dist.has_rsample == t_dist.has_rsample
    _close(p_dist.log_prob(p_value), t_dist.log_prob(t_value))
    for attr in ("mean", "variance", "stddev", "mode"):
        if _torch_has(t_dist, attr):
            _close(getattr(p_dist, attr), getattr(t_dist, attr))
    if _torch_has(t_dist, "entropy"):
        # torch's Multinomial entropy takes lgamma(n + 1) of an int64 n, which it computes in
        # float32 (7e-8 off); pybigml keeps it in the parameters' float64.
        rtol = 1e-7 if name == "Multinomial" else RTOL
        _close(p_dist.entropy(), t_dist.entropy(), rtol=rtol)


@pytest.mark.parametrize(
    "name",
    ["Normal", "Laplace", "LogNormal", "Exponential", "Uniform", "Gamma", "Cauchy", "HalfNormal"],
)
def test_cdf_icdf_match_torch(name: str) -> None:
    p_dist, t_dist, p_value, t_value, _, _ = _build(name)
    _close(p_dist.cdf(p_value), t_dist.cdf(t_value))
    if name == "Gamma":  # no icdf in either library
        return
    q = np.linspace(0.05, 0.95, 12).reshape(4, 3)
    _close(p_dist.icdf(pybigml.tensor(q)), t_dist.icdf(torch.tensor(q)), rtol=1e-8)


@pytest.mark.parametrize("name", CASES)
def test_gradients_match_torch(name: str) -> None:
    """d/dparams of sum(log_prob) + sum(entropy) (+ cdf where defined)."""
    p_dist, t_dist, p_value, t_value, p_params, t_params = _build(name)
    p_out, t_out = p_dist.log_prob(p_value).sum(), t_dist.log_prob(t_value).sum()
    if _torch_has(t_dist, "entropy"):
        p_out, t_out = p_out + p_dist.entropy().sum(), t_out + t_dist.entropy().sum()
    if name in ("Normal", "Laplace", "Exponential", "Uniform", "Cauchy", "HalfNormal"):
        p_out, t_out = p_out + p_dist.cdf(p_value).sum(), t_out + t_dist.cdf(t_value).sum()
    p_out.backward()
    t_out.backward()
    for key, t_param in t_params.items():
        if isinstance(t_param, torch.Tensor) and t_param.requires_grad:
            # MVN gradients go through Cholesky/inverse backward formulas: a few more roundings.
            _close(p_params[key].grad, t_param.grad, rtol=1e-7, atol=1e-9)


def test_gamma_cdf_gradients() -> None:
    """d cdf / d rate as torch; d cdf / d concentration (torch has none) by central differences."""
    _, params, values = _case_params("Gamma")
    a, rate = params["concentration"], params["rate"]
    p_a = pybigml.tensor(a, requires_grad=True)
    p_rate = pybigml.tensor(rate, requires_grad=True)
    t_rate = torch.tensor(rate, requires_grad=True)
    D.Gamma(p_a, p_rate).cdf(pybigml.tensor(values)).sum().backward()
    torch.distributions.Gamma(torch.tensor(a), t_rate).cdf(torch.tensor(values)).sum().backward()
    _close(p_rate.grad, t_rate.grad)

    def total_cdf(conc: np.ndarray) -> float:
        return (
            D.Gamma(pybigml.tensor(conc), pybigml.tensor(rate))
            .cdf(pybigml.tensor(values))
            .sum()
            .item()
        )

    h = 1e-5  # central differences: error O(h^2) ~ 1e-10 against rounding 1e-16 / h ~ 1e-11
    numeric = [(total_cdf(a + h * e) - total_cdf(a - h * e)) / (2 * h) for e in np.eye(len(a))]
    _close(p_a.grad, np.array(numeric), rtol=1e-6, atol=1e-8)


def _moments(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean = samples.mean(0)
    var = samples.var(0)
    m4 = ((samples - mean) ** 4).mean(0)
    return mean, var, m4


@pytest.mark.parametrize("name", MOMENT_CASES)
def test_sample_statistics(name: str) -> None:
    """Mean and variance of 20k samples lie within 5 standard errors of the true values
    (a false failure has probability below 1e-5 per entry)."""
    pybigml.manual_seed(0)
    p_dist, t_dist, _, _, _, _ = _build(name, requires_grad=False)
    samples = p_dist.sample((N_SAMPLES,))
    assert tuple(samples.shape) == (N_SAMPLES,) + tuple(t_dist.batch_shape + t_dist.event_shape)
    assert samples.dtype == (pybigml.int64 if name.startswith("Categorical") else pybigml.float64)
    assert bool(p_dist.support.check(samples).all())
    x = samples.numpy().astype(np.float64)
    if name.startswith("Categorical"):  # compare category frequencies with the probabilities
        x = np.eye(t_dist.param_shape[-1])[x.astype(np.int64)]
        true_mean = t_dist.probs.numpy()
        true_var = true_mean * (1 - true_mean)
    else:
        true_mean, true_var = t_dist.mean.detach().numpy(), t_dist.variance.detach().numpy()
    mean, var, m4 = _moments(x)
    mean_bound = 5 * np.sqrt(true_var / N_SAMPLES)
    assert np.all(np.abs(mean - true_mean) <= mean_bound + 1e-12)
    if name.startswith("Categorical"):
        # The sample variance of 0/1 indicators is p^(1 - p^), off by (1 - 2p)(p^ - p) - (p^ - p)^2:
        # the mean's bound carries over exactly. (The delta-method error below vanishes at
        # p = 1/2, where the quadratic term dominates, and failed for such draws.)
        var_bound = np.abs(1 - 2 * true_mean) * mean_bound + mean_bound**2
    else:
        var_bound = 5 * np.sqrt((m4 - var**2) / N_SAMPLES)
    assert np.all(np.abs(var - true_var) <= var_bound + 1e-12)


def test_mvn_sample_covariance() -> None:
    pybigml.manual_seed(1)
    p_dist = _build("MultivariateNormal-scale_tril", requires_grad=False)[0]
    x = p_dist.sample((N_SAMPLES,)).numpy()
    centred = x - x.mean(0)
    cov = np.einsum("sbi,sbj->bij", centred, centred) / N_SAMPLES
    expected = p_dist.covariance_matrix.numpy()
    # entries of a sample covariance have standard error sqrt((s_ii s_jj + s_ij^2) / n)
    diag = np.diagonal(expected, axis1=-2, axis2=-1)
    se = np.sqrt((diag[..., :, None] * diag[..., None, :] + expected**2) / N_SAMPLES)
    assert np.all(np.abs(cov - expected) <= 5 * se)


def test_manual_seed_reproduces_samples() -> None:
    dists = [D.Normal(0.0, 1.0), D.Gamma(2.0, 1.0), D.Categorical(logits=pybigml.zeros(5))]
    for dist in dists:
        pybigml.manual_seed(123)
        first = dist.sample((10,))
        pybigml.manual_seed(123)
        assert bool((dist.sample((10,)) == first).all())


# ----------------------------------------------------------------------------- reparameterisation
def test_normal_rsample_gradients() -> None:
    """rsample = loc + scale * eps: d/dloc = 1, d/dscale = eps = (x - loc) / scale."""
    loc = pybigml.tensor([0.5, -1.0], dtype=pybigml.float64, requires_grad=True)
    scale = pybigml.tensor([2.0, 0.5], dtype=pybigml.float64, requires_grad=True)
    x = D.Normal(loc, scale).rsample((7,))
    x.sum().backward()
    _close(loc.grad, np.full(2, 7.0))
    _close(scale.grad, ((x.detach() - loc.detach()) / scale.detach()).sum(0))


@pytest.mark.parametrize(
    "make",
    [
        lambda a, b: D.Laplace(a, b),
        lambda a, b: D.Uniform(a, a + b),
        lambda a, b: D.LogNormal(a, b),
        lambda a, b: D.Independent(D.Normal(a, b), 1),
    ],
)
def test_rsample_is_differentiable_in_loc(make) -> None:
    loc = pybigml.tensor([0.5, -1.0], dtype=pybigml.float64, requires_grad=True)
    scale = pybigml.tensor([2.0, 0.5], dtype=pybigml.float64, requires_grad=True)
    x = make(loc, scale).rsample((5,))
    x.sum().backward()
    assert loc.grad is not None and scale.grad is not None
    if not isinstance(make(loc, scale), D.LogNormal):
        _close(loc.grad, np.full(2, 5.0))


def test_mvn_rsample_gradient() -> None:
    """x = loc + L eps: d sum(x) / d loc = n, d sum(x) / d L_ij = sum over samples of eps_j."""
    loc = pybigml.tensor([0.5, -1.0], dtype=pybigml.float64, requires_grad=True)
    tril = pybigml.tensor([[2.0, 0.0], [0.3, 0.5]], dtype=pybigml.float64, requires_grad=True)
    x = D.MultivariateNormal(loc, scale_tril=tril).rsample((6,))
    x.sum().backward()
    eps = np.linalg.solve(tril.detach().numpy(), (x.detach().numpy() - [0.5, -1.0]).T).T
    _close(loc.grad, np.full(2, 6.0))
    _close(tril.grad, np.tile(eps.sum(0), (2, 1)))


def test_gamma_rsample_gradient_matches_torch_formula() -> None:
    """The implicit-reparameterisation derivative dx/dalpha at the same draws as torch's
    (torch approximates it to ~1e-3 relative; ours sums the series exactly)."""
    from pybigml.ops.special import _standard_gamma_grad

    torch.manual_seed(0)
    for alpha in (0.1, 0.7, 2.5, 40.0):
        a = torch.full((500,), alpha, dtype=torch.float64)
        x = torch._standard_gamma(a)
        expected = torch._standard_gamma_grad(a, x).numpy()
        np.testing.assert_allclose(_standard_gamma_grad(a.numpy(), x.numpy()), expected, rtol=3e-3)


@pytest.mark.parametrize("alpha", [0.5, 3.0])
def test_gamma_rsample_gradient_is_unbiased(alpha: float) -> None:
    """E[dx/dalpha] = d E[x] / dalpha = 1 / rate; E[dx/drate] = -alpha / rate^2."""
    pybigml.manual_seed(3)
    a = pybigml.tensor(alpha, dtype=pybigml.float64, requires_grad=True)
    rate = pybigml.tensor(2.0, dtype=pybigml.float64, requires_grad=True)
    x = D.Gamma(a, rate).rsample((N_SAMPLES,))
    (x.mean()).backward()
    # dx/dalpha of one draw has variance below 1/rate^2 * (1 + alpha) here; 5 standard errors
    assert abs(a.grad.item() - 0.5) < 5 * math.sqrt((1 + alpha) / 4 / N_SAMPLES)
    assert abs(rate.grad.item() + alpha / 4) < 5 * math.sqrt(alpha / 16 / N_SAMPLES)


def test_beta_and_dirichlet_rsample_have_gradients() -> None:
    c = pybigml.tensor([1.5, 2.0, 0.7], dtype=pybigml.float64, requires_grad=True)
    D.Dirichlet(c).rsample((4,))[..., 0].sum().backward()
    assert c.grad is not None and np.all(np.isfinite(c.grad.numpy()))
    c1 = pybigml.tensor(2.0, dtype=pybigml.float64, requires_grad=True)
    D.Beta(c1, 3.0).rsample((4,)).sum().backward()
    assert np.isfinite(c1.grad.item())


# ----------------------------------------------------------------------------- shapes
@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
@pytest.mark.parametrize("name", CASES)
def test_sample_and_expand_shapes(name: str, sample_shape: tuple) -> None:
    p_dist, t_dist, _, _, _, _ = _build(name, requires_grad=False)
    assert tuple(p_dist.sample(sample_shape).shape) == tuple(t_dist.sample(sample_shape).shape)
    batch = (4,) + tuple(t_dist.batch_shape)
    p_big, t_big = p_dist.expand(batch), t_dist.expand(batch)
    assert type(p_big) is type(p_dist)
    assert tuple(p_big.batch_shape) == tuple(t_big.batch_shape)
    assert tuple(p_big.event_shape) == tuple(t_big.event_shape)
    assert tuple(p_big.sample(sample_shape).shape) == tuple(t_big.sample(sample_shape).shape)


def test_expand_keeps_log_prob() -> None:
    p_dist, t_dist, p_value, t_value, _, _ = _build("Normal")
    _close(p_dist.expand((2, 4, 3)).log_prob(p_value), t_dist.expand((2, 4, 3)).log_prob(t_value))


def test_independent_matches_torch() -> None:
    loc, scale = np.linspace(-1, 1, 6).reshape(2, 3), np.linspace(0.5, 2, 6).reshape(2, 3)
    p = D.Independent(D.Normal(pybigml.tensor(loc), pybigml.tensor(scale)), 1)
    t = torch.distributions.Independent(
        torch.distributions.Normal(torch.tensor(loc), torch.tensor(scale)), 1
    )
    assert tuple(p.batch_shape) == (2,) and tuple(p.event_shape) == (3,)
    value = np.linspace(-2, 2, 12).reshape(2, 2, 3)
    _close(p.log_prob(pybigml.tensor(value)), t.log_prob(torch.tensor(value)))
    _close(p.entropy(), t.entropy())
    assert repr(p.support) == repr(t.support)
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims <= len"):
        D.Independent(D.Normal(0.0, 1.0), 1)


def test_enumerate_support_matches_torch() -> None:
    for name in ("Bernoulli-probs", "Categorical-logits", "Binomial-probs", "OneHotCategorical"):
        p_dist, t_dist, _, _, _, _ = _build(name, requires_grad=False)
        for expand in (True, False):
            _close(
                p_dist.enumerate_support(expand).numpy().astype(np.float64),
                t_dist.enumerate_support(expand).numpy().astype(np.float64),
            )


def test_python_number_parameters_use_default_dtype() -> None:
    d = D.Normal(0.0, 1.0)
    assert d.loc.dtype == pybigml.float32 and tuple(d.batch_shape) == ()
    assert d.sample().dtype == pybigml.float32
    assert tuple(D.Beta(2.0, 3.0).sample((3,)).shape) == (3,)


# ----------------------------------------------------------------------------- validation
def _both_raise(make, exc=ValueError) -> tuple[str, str]:
    with pytest.raises(exc) as p_info:
        make(pybigml, D)
    with pytest.raises(exc) as t_info:
        make(torch, torch.distributions)
    return str(p_info.value), str(t_info.value)


@pytest.mark.parametrize(
    "make",
    [
        lambda lib, d: d.Normal(lib.tensor([0.0]), lib.tensor([-1.0])),
        lambda lib, d: d.Exponential(lib.tensor([0.0])),
        lambda lib, d: d.Gamma(lib.tensor([1.0]), lib.tensor([-2.0])),
        lambda lib, d: d.Bernoulli(probs=lib.tensor([1.5])),
        lambda lib, d: d.Categorical(probs=lib.tensor([0.5, -0.1])),
        lambda lib, d: d.Dirichlet(lib.tensor([1.0, 0.0])),
        lambda lib, d: d.Poisson(lib.tensor([-1.0])),
        lambda lib, d: d.Laplace(lib.tensor([0.0]), lib.tensor([0.0])),
        lambda lib, d: d.Binomial(lib.tensor([2.5]), lib.tensor([0.5])),
        lambda lib, d: d.MultivariateNormal(lib.zeros(2), scale_tril=-lib.eye(2)),
        lambda lib, d: d.MultivariateNormal(lib.zeros(2), lib.tensor([[1.0, 2.0], [2.0, 1.0]])),
    ],
)
def test_invalid_parameters_raise_torch_message(make) -> None:
    p_msg, t_msg = _both_raise(make)
    first = lambda msg: msg.split(" of distribution")[0]  # noqa: E731
    assert first(p_msg) == first(t_msg)
    assert "to satisfy the constraint" in p_msg
    assert (
        p_msg.split("to satisfy the constraint ")[1].split(",")[0]
        == (t_msg.split("to satisfy the constraint ")[1].split(",")[0])
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda lib, d: d.Bernoulli(),
        lambda lib, d: d.Bernoulli(probs=lib.tensor(0.3), logits=lib.tensor(0.1)),
        lambda lib, d: d.Categorical(probs=lib.tensor(0.3)),
        lambda lib, d: d.Uniform(lib.tensor(1.0), lib.tensor(0.0)),
        lambda lib, d: d.MultivariateNormal(lib.tensor(0.0), lib.eye(1)),
        lambda lib, d: d.MultivariateNormal(lib.zeros(2)),
        lambda lib, d: d.MultivariateNormal(lib.zeros(2), lib.ones(2)),
        lambda lib, d: d.Normal(lib.zeros(2), lib.ones(2)).log_prob(lib.zeros(3)),
        lambda lib, d: d.Normal(lib.zeros(2), lib.ones(2)).log_prob(0.0),
        lambda lib, d: d.Exponential(lib.ones(2)).log_prob(-lib.ones(2)),
        lambda lib, d: d.Categorical(logits=lib.zeros(3)).log_prob(lib.tensor(3)),
        lambda lib, d: d.Dirichlet(lib.ones(3)).log_prob(lib.ones(2)),
        lambda lib, d: d.Normal("a", 1.0),
    ],
)
def test_errors_match_torch(make) -> None:
    p_msg, t_msg = _both_raise(make)
    normalise = lambda msg: msg.replace("pybigml.", "torch.").split("\n")[0]  # noqa: E731
    if "within the support" in t_msg:
        assert p_msg.split(" of the distribution")[0] == t_msg.split(" of the distribution")[0]
    else:
        assert normalise(p_msg) == normalise(t_msg)


def test_validation_can_be_switched_off() -> None:
    d = D.Normal(pybigml.tensor(0.0), pybigml.tensor(-1.0), validate_args=False)
    assert math.isnan(d.log_prob(pybigml.tensor(0.0)).item())
    D.Distribution.set_default_validate_args(False)
    try:
        D.Exponential(pybigml.tensor(-1.0)).log_prob(pybigml.tensor(-2.0))
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Exponential(pybigml.tensor(-1.0))


def test_constraints_match_torch() -> None:
    value = np.array([[-1.0, 0.0, 0.5, 1.0, 2.0, np.nan]])
    pc, tc = D.constraints, torch.distributions.constraints
    for name in ("real", "positive", "nonnegative", "unit_interval", "boolean", "real_vector"):
        p_check = getattr(pc, name).check(pybigml.tensor(value)).numpy()
        np.testing.assert_array_equal(p_check, getattr(tc, name).check(torch.tensor(value)))
        assert repr(getattr(pc, name)) == repr(getattr(tc, name))
    simplex = np.array([[0.2, 0.8], [0.5, 0.6], [-0.1, 1.1]])
    np.testing.assert_array_equal(
        pc.simplex.check(pybigml.tensor(simplex)).numpy(), tc.simplex.check(torch.tensor(simplex))
    )
    mats = np.stack([np.eye(2), np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[1.0, 1.0], [0, 1]])])
    for name in ("lower_cholesky", "positive_definite", "symmetric"):
        p_check = getattr(pc, name).check(pybigml.tensor(mats)).numpy()
        np.testing.assert_array_equal(p_check, getattr(tc, name).check(torch.tensor(mats)))
    assert pc.is_dependent(D.Binomial.support) and not pc.is_dependent(pc.real)
    assert repr(pc.interval(0.0, 1.0)) == repr(tc.interval(0.0, 1.0))


# ----------------------------------------------------------------------------- KL divergence
KL_PAIRS = [
    "Normal",
    "Laplace",
    "LogNormal",
    "Exponential",
    "Gamma",
    "Beta",
    "Dirichlet",
    "Poisson",
    "Cauchy",
    "HalfNormal",
    "Geometric",
    "Bernoulli-logits",
    "Binomial-probs",
    "Categorical-probs",
    "OneHotCategorical",
    "MultivariateNormal-scale_tril",
    "MultivariateNormal-covariance_matrix",
]


def _shifted(name: str):
    """A second distribution of the same family (parameters moved, still valid)."""
    cls, params, _ = _case_params(name)
    moved = {}
    for key, value in params.items():
        if key in _INTEGER_PARAMS or isinstance(value, int):
            moved[key] = value
        elif key in ("covariance_matrix",):
            moved[key] = value + np.eye(value.shape[-1])
        elif key == "scale_tril":
            moved[key] = value * 1.3
        elif key == "probs" and cls in ("Bernoulli", "Binomial", "Geometric"):
            moved[key] = 1 - value
        else:
            moved[key] = value * 1.2 + (0.3 if key in ("loc", "logits") else 0.0)
    return cls, moved


@pytest.mark.parametrize("name", KL_PAIRS)
def test_kl_divergence_matches_torch(name: str) -> None:
    p_dist, t_dist, _, _, p_params, t_params = _build(name)
    cls, moved = _shifted(name)
    q_p = getattr(D, cls)(
        **{k: pybigml.tensor(v) if isinstance(v, np.ndarray) else v for k, v in moved.items()}
    )
    q_t = getattr(torch.distributions, cls)(
        **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in moved.items()}
    )
    p_kl, t_kl = D.kl_divergence(p_dist, q_p), torch.distributions.kl_divergence(t_dist, q_t)
    _close(p_kl, t_kl)
    _close(D.kl_divergence(q_p, p_dist), torch.distributions.kl_divergence(q_t, t_dist))
    p_kl.sum().backward()
    t_kl.sum().backward()
    for key, t_param in t_params.items():
        if isinstance(t_param, torch.Tensor) and t_param.requires_grad:
            _close(p_params[key].grad, t_param.grad, rtol=1e-7, atol=1e-9)


def test_kl_uniform_and_independent() -> None:
    p = D.Uniform(pybigml.tensor([0.0, 0.0]), pybigml.tensor([1.0, 1.0]))
    q = D.Uniform(pybigml.tensor([-1.0, 0.5]), pybigml.tensor([2.0, 3.0]))
    tp = torch.distributions.Uniform(torch.tensor([0.0, 0.0]), torch.tensor([1.0, 1.0]))
    tq = torch.distributions.Uniform(torch.tensor([-1.0, 0.5]), torch.tensor([2.0, 3.0]))
    _close(D.kl_divergence(p, q), torch.distributions.kl_divergence(tp, tq), rtol=1e-6)
    ip, iq = D.Independent(p, 1), D.Independent(D.Uniform(-2.0, pybigml.tensor([2.0, 3.0])), 1)
    tip = torch.distributions.Independent(tp, 1)
    tiq = torch.distributions.Independent(
        torch.distributions.Uniform(-2.0, torch.tensor([2.0, 3.0])), 1
    )
    _close(D.kl_divergence(ip, iq), torch.distributions.kl_divergence(tip, tiq), rtol=1e-6)


def test_kl_zero_probabilities_and_dispatch() -> None:
    p = D.Bernoulli(probs=pybigml.tensor([0.0, 1.0, 0.5]))
    q = D.Bernoulli(probs=pybigml.tensor([0.5, 0.0, 0.0]))
    tp = torch.distributions.Bernoulli(probs=torch.tensor([0.0, 1.0, 0.5]))
    tq = torch.distributions.Bernoulli(probs=torch.tensor([0.5, 0.0, 0.0]))
    _close(D.kl_divergence(p, q), torch.distributions.kl_divergence(tp, tq), rtol=1e-6)
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Gamma(1.0, 1.0))
    with pytest.raises(TypeError):
        D.register_kl(int, D.Normal)

    class MyNormal(D.Normal):
        pass

    @D.register_kl(MyNormal, D.Normal)
    def _kl_mine(p, q):
        return p.loc * 0 + 42.0

    assert D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(0.0, 1.0)).item() == 42.0
    assert D.kl_divergence(D.Normal(0.0, 1.0), MyNormal(0.0, 1.0)).item() == 0.0


@pytest.mark.parametrize("name", ["RelaxedBernoulli", "RelaxedOneHotCategorical"])
def test_relaxed_rsample_in_support_and_differentiable(name: str) -> None:
    pybigml.manual_seed(5)
    p_dist, _, _, _, p_params, _ = _build(name)
    x = p_dist.rsample((50,))
    assert bool(p_dist.support.check(x.detach()).all())
    (x * x).sum().backward()
    assert all(v.grad is not None for v in p_params.values())


@pytest.mark.parametrize("name", ["Normal", "Gamma", "Beta", "Categorical-logits", "Dirichlet"])
def test_float32_matches_torch(name: str) -> None:
    """The same computations in float32: within a few float32 ulps of torch's results."""
    cls, params, values = _case_params(name)
    p_params = {k: pybigml.tensor(v, dtype=pybigml.float32) for k, v in params.items()}
    t_params = {k: torch.tensor(v, dtype=torch.float32) for k, v in params.items()}
    p_dist, t_dist = getattr(D, cls)(**p_params), getattr(torch.distributions, cls)(**t_params)
    dtype = np.int64 if cls == "Categorical" else np.float32
    p_lp = p_dist.log_prob(pybigml.tensor(values.astype(dtype)))
    assert p_lp.dtype == pybigml.float32 and p_dist.sample((2,)).dtype == (
        pybigml.int64 if cls == "Categorical" else pybigml.float32
    )
    _close(p_lp, t_dist.log_prob(torch.tensor(values.astype(dtype))), rtol=1e-5, atol=1e-5)
    _close(p_dist.entropy(), t_dist.entropy(), rtol=1e-5, atol=1e-5)


@given(shapes=broadcastable_shape_pairs(min_side=1), data=st.data())
def test_normal_and_gamma_broadcast_like_torch(shapes, data) -> None:
    """Parameters of broadcastable shapes and values of a third shape: the batch shape,
    log_prob values and parameter gradients as in torch."""
    loc_shape, scale_shape = shapes
    rng = _rng(data.draw(st.integers(0, 2**16)))
    loc, scale = rng.normal(size=loc_shape), rng.uniform(0.5, 2.0, scale_shape)
    batch = np.broadcast_shapes(loc_shape, scale_shape)
    value = rng.uniform(0.1, 3.0, (2,) + batch)
    for cls in ("Normal", "Gamma"):
        p_loc, p_scale = (pybigml.tensor(a, requires_grad=True) for a in (loc, scale))
        t_loc, t_scale = (torch.tensor(a, requires_grad=True) for a in (loc, scale))
        p_args = (p_loc.abs() + 0.5, p_scale) if cls == "Gamma" else (p_loc, p_scale)
        t_args = (t_loc.abs() + 0.5, t_scale) if cls == "Gamma" else (t_loc, t_scale)
        p_dist, t_dist = getattr(D, cls)(*p_args), getattr(torch.distributions, cls)(*t_args)
        assert tuple(p_dist.batch_shape) == tuple(t_dist.batch_shape)
        p_lp, t_lp = p_dist.log_prob(pybigml.tensor(value)), t_dist.log_prob(torch.tensor(value))
        _close(p_lp, t_lp)
        p_lp.sum().backward()
        t_lp.sum().backward()
        _close(p_loc.grad, t_loc.grad)
        _close(p_scale.grad, t_scale.grad)


def test_transformed_distribution_matches_torch() -> None:
    """An affine map acting on vectors makes the base's last batch dim an event dim."""
    loc, scale = np.linspace(-1, 1, 6).reshape(2, 3), np.linspace(0.5, 2, 6).reshape(2, 3)
    shift, factor = np.array([0.5, -1.0, 2.0]), np.array([2.0, -0.5, 1.5])
    p = D.TransformedDistribution(
        D.Normal(pybigml.tensor(loc), pybigml.tensor(scale)),
        [
            D.AffineTransform(pybigml.tensor(shift), pybigml.tensor(factor), event_dim=1),
            D.SigmoidTransform(),
        ],
    )
    tt = torch.distributions.transforms
    t = torch.distributions.TransformedDistribution(
        torch.distributions.Normal(torch.tensor(loc), torch.tensor(scale)),
        [
            tt.AffineTransform(torch.tensor(shift), torch.tensor(factor), event_dim=1),
            tt.SigmoidTransform(),
        ],
    )
    assert tuple(p.batch_shape) == tuple(t.batch_shape) == (2,)
    assert tuple(p.event_shape) == tuple(t.event_shape) == (3,)
    value = np.random.default_rng(0).uniform(0.05, 0.95, (4, 2, 3))
    _close(p.log_prob(pybigml.tensor(value)), t.log_prob(torch.tensor(value)))
    assert tuple(p.sample((5,)).shape) == (5, 2, 3)


def test_cauchy_sample_quantiles() -> None:
    """The fractions of samples below loc and loc + scale: 1/2 and 3/4, within 5 binomial
    standard errors."""
    pybigml.manual_seed(2)
    x = D.Cauchy(pybigml.tensor([1.0, -2.0]), pybigml.tensor([0.5, 3.0])).sample((N_SAMPLES,))
    x = x.numpy()
    for level, point in ((0.5, np.array([1.0, -2.0])), (0.75, np.array([1.5, 1.0]))):
        fraction = (x < point).mean(0)
        assert np.all(np.abs(fraction - level) < 5 * math.sqrt(level * (1 - level) / N_SAMPLES))


def _gmm(lib, dists, event: bool):
    """A batch of 2 mixtures of 3 components (scalar, or 2-vectors with ``event``)."""
    rng = _rng(11)
    logits = lib.tensor(rng.normal(size=(2, 3)), requires_grad=True)
    shape = (2, 3, 2) if event else (2, 3)
    loc = lib.tensor(rng.normal(size=shape) * 3, requires_grad=True)
    scale = lib.tensor(rng.uniform(0.5, 1.5, shape), requires_grad=True)
    comp = dists.Normal(loc, scale)
    if event:
        comp = dists.Independent(comp, 1)
    return dists.MixtureSameFamily(dists.Categorical(logits=logits), comp), (logits, loc, scale)


@pytest.mark.parametrize("event", [False, True])
def test_mixture_same_family_matches_torch(event: bool) -> None:
    p_mix, p_leaves = _gmm(pybigml, D, event)
    t_mix, t_leaves = _gmm(torch, torch.distributions, event)
    assert tuple(p_mix.batch_shape) == tuple(t_mix.batch_shape)
    assert tuple(p_mix.event_shape) == tuple(t_mix.event_shape)
    value = _rng(12).normal(size=(5, 2, 2) if event else (5, 2)) * 3
    p_lp, t_lp = p_mix.log_prob(pybigml.tensor(value)), t_mix.log_prob(torch.tensor(value))
    _close(p_lp, t_lp)
    _close(p_mix.mean, t_mix.mean)
    _close(p_mix.variance, t_mix.variance)
    p_lp.sum().backward()
    t_lp.sum().backward()
    for p_leaf, t_leaf in zip(p_leaves, t_leaves):
        _close(p_leaf.grad, t_leaf.grad)
    if not event:
        _close(p_mix.cdf(pybigml.tensor(value)), t_mix.cdf(torch.tensor(value)))
    pybigml.manual_seed(4)
    x = p_mix.sample((N_SAMPLES,)).numpy()
    assert x.shape == (N_SAMPLES,) + tuple(t_mix.batch_shape + t_mix.event_shape)
    true_mean, true_var = t_mix.mean.detach().numpy(), t_mix.variance.detach().numpy()
    assert np.all(np.abs(x.mean(0) - true_mean) <= 5 * np.sqrt(true_var / N_SAMPLES))
    assert tuple(p_mix.expand((4, 2)).sample((3,)).shape) == tuple(
        t_mix.expand((4, 2)).sample((3,)).shape
    )


def test_one_hot_straight_through_gradient() -> None:
    """rsample is the one-hot sample; d sum(w * rsample) / d probs = w (straight through)."""
    probs = pybigml.tensor([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], requires_grad=True)
    w = pybigml.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    x = D.OneHotCategoricalStraightThrough(probs=probs).rsample()
    assert bool(((x == 0) | (x == 1)).all()) and bool((x.sum(-1) == 1).all())
    (w * x).sum().backward()
    # probs are normalised inside (p / sum p): the gradient is projected accordingly.
    expected = (w - (w * probs.detach()).sum(-1, keepdim=True)).numpy()
    _close(probs.grad, expected, rtol=1e-6, atol=1e-6)
