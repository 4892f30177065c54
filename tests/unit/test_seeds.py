"""One seed fixes one run, per session (issue 19, item 6): builds, training runs and bounds draw only from
generators they own, so another session's thread drawing from (or reseeding) torch's global generator
changes nothing, and no module of the app touches a global random state."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch
from seeding import assert_identical, global_rng_hammered, in_threads, weights

import explorer
from explorer import models
from explorer.maths import bounds
from explorer.models.prior import PriorConfig
from explorer.training import sweep
from explorer.training.train import TrainConfig, Trainer

ROOT = Path(explorer.__file__).resolve().parent

# a small config of every kind a checkpoint may hold; a new kind without one fails the tests below
SMALL = {
    "ae": dict(x_dim=16, z_dim=2, hidden=(8,), image_shape=(4, 4)),
    "vae": dict(x_dim=16, z_dim=2, hidden=(8,), image_shape=(4, 4)),
    "vqvae": dict(x_dim=16, image_shape=(4, 4), arch="mlp", hidden=(8,), codebook_size=8, code_dim=2, n_codes=2,
                  kmeans_init=True, dead_code_reset_steps=3),
    "gumbel": dict(x_dim=16, groups=3, categories=4, hidden=(8,), image_shape=(4, 4)),
    "convvae": dict(x_dim=64, image_shape=(8, 8), code_dim=2, hidden=(4,)),
    "hvae": dict(x_dim=16, groups=(3, 2, 2), hidden=12, blocks=1, image_shape=(4, 4)),
    "prior": dict(codebook_size=8, grid=(2, 2), d_model=8, n_layers=2, n_heads=2),
}


def build(kind: str, seed, **overrides) -> torch.nn.Module:
    config = PriorConfig(**SMALL[kind]) if kind == "prior" else None
    return models.build_seeded(kind, config, seed, **({} if kind == "prior" else {**SMALL[kind], **overrides}))


# --- (a) the same seed twice gives the same initial weights ------------------------------------------------

@pytest.mark.parametrize("kind", models.saved_kinds())
def test_the_same_seed_gives_the_same_initial_weights_whatever_else_draws(kind):
    first = weights(build(kind, 3))
    with global_rng_hammered():
        again = [weights(build(kind, 3)) for _ in range(5)]
        from_generator = weights(build(kind, torch.Generator().manual_seed(3)))
    for other in [*again, from_generator]:
        assert_identical(first, other)
    other_seed = weights(build(kind, 4))
    assert any(not torch.equal(first[name], other_seed[name]) for name in first)


@pytest.mark.parametrize("kind", models.saved_kinds())
def test_a_seeded_build_is_torchs_default_initialisation_drawn_from_its_own_generator(kind):
    """The shipped models were trained from `torch.manual_seed(seed)` and a build: the same seed gives the
    same weights, so their recipe still holds."""
    torch.manual_seed(5)
    config = PriorConfig(**SMALL[kind]) if kind == "prior" else None
    reference = models.build(kind, config, **({} if kind == "prior" else SMALL[kind]))
    assert_identical(weights(reference), weights(build(kind, 5)))


# --- (b) two sessions' seeded runs at once are their solo runs -----------------------------------------------

def toy_data(n: int = 256, dim: int = 16) -> torch.Tensor:
    return torch.rand(n, dim, generator=torch.Generator().manual_seed(0))


def vae_run() -> dict[str, torch.Tensor]:
    """What the β page's live run does: the sweep's seeded build, then the trainer (reparameterization noise)."""
    dataset = type("Toy", (), {"x_dim": 16, "likelihood": "bernoulli", "image_shape": (4, 4)})
    model = sweep.build_model(dataset, sweep.SweepConfig(z_dim=2, hidden=(16,), seed=7))
    Trainer(model, toy_data(), TrainConfig(steps=120, batch_size=32, seed=7, eval_every=60), {"beta": 1.0},
            x_test=toy_data(64)).run()
    return weights(model)


def hvae_run() -> dict[str, torch.Tensor]:
    """A hierarchical VAE's build (the one that differed in 4–10 of 10 builds) and a few steps."""
    model = build("hvae", 11)
    built = weights(model)
    Trainer(model, toy_data(), TrainConfig(steps=40, batch_size=32, seed=11, kl_warmup_steps=10),
            {"beta": 1.0, "free_bits": 0.1}).run()
    return {**{f"built.{k}": v for k, v in built.items()}, **weights(model)}


def vq_and_gumbel_run() -> dict[str, torch.Tensor]:
    """The other noisy kinds: k-means init and dead-code resets of the VQ-VAE, Gumbel noise."""
    vq, gumbel = build("vqvae", 2), build("gumbel", 2)
    Trainer(vq, toy_data(), TrainConfig(steps=30, batch_size=32, seed=2), {"commitment_beta": 0.25}).run()
    Trainer(gumbel, toy_data(), TrainConfig(steps=30, batch_size=32, seed=2), {"tau": 0.7, "hard": True}).run()
    return {**{f"vq.{k}": v for k, v in weights(vq).items()}, **{f"gumbel.{k}": v for k, v in weights(gumbel).items()}}


def test_concurrent_seeded_runs_are_bit_identical_to_solo_runs():
    solo = [in_threads(task)[0] for task in (vae_run, hvae_run, vq_and_gumbel_run)]
    with global_rng_hammered():
        together = in_threads(vae_run, hvae_run, vq_and_gumbel_run)
    for alone, beside_others in zip(solo, together, strict=True):
        assert_identical(alone, beside_others)


# --- (c) bounds under a hammered global generator ------------------------------------------------------------

def bound_values(model, x: torch.Tensor) -> torch.Tensor:
    return torch.stack([bounds.elbo(model, x, 20, generator=3), bounds.iwae_bound(model, x, 10, 2, generator=3),
                        bounds.naive_bound(model, x, 50, generator=torch.Generator().manual_seed(3))])


@pytest.mark.parametrize("kind", ["vae", "hvae"])
def test_bounds_draw_the_same_numbers_while_another_thread_uses_the_global_generator(kind):
    torch.manual_seed(0)
    model = models.build(kind, None, **SMALL[kind]).eval()
    x = toy_data(4).round()  # binary: a Bernoulli decoder's bounds score binary images
    solo = bound_values(model, x)
    with global_rng_hammered():
        repeated = in_threads(*[lambda: bound_values(model, x)] * 4)
    for values in repeated:
        assert torch.equal(values, solo)


# --- (d) no module of the app touches a global random state --------------------------------------------------

GLOBAL_STATE = {"torch.manual_seed", "torch.seed", "torch.set_rng_state", "torch.random.manual_seed",
                "torch.random.seed", "torch.random.fork_rng", "torch.random.set_rng_state", "torch.cuda.manual_seed",
                "torch.cuda.manual_seed_all", "torch.cuda.seed", "torch.cuda.seed_all", "numpy.random.seed"}
NUMPY_OWNED = {"default_rng", "Generator", "SeedSequence", "BitGenerator", "PCG64", "PCG64DXSM", "Philox", "SFC64",
               "MT19937"}
# draws that take a `generator`: without one they use torch's global generator
TORCH_DRAWS = {f"torch.{name}" for name in ("randn", "rand", "randint", "randperm", "multinomial", "normal",
                                             "bernoulli", "poisson", "randn_like", "rand_like", "randint_like")}
INIT_DRAWS = {f"torch.nn.init.{name}" for name in ("uniform_", "normal_", "trunc_normal_", "xavier_uniform_",
                                                   "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                                                   "orthogonal_", "sparse_")}
TENSOR_DRAWS = {"normal_", "uniform_", "exponential_", "bernoulli_", "random_", "cauchy_", "geometric_",
                "log_normal_", "sample", "rsample"}
EXEMPT = ("bench",)  # the benchmarks' folder (explorer/bench/): never imported by the app


def imported_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> the dotted name it stands for (`np` -> `numpy`, `fork_rng` -> `torch.random.fork_rng`)."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update({alias.asname or alias.name.split(".")[0]: alias.name if alias.asname else
                          alias.name.split(".")[0] for alias in node.names})
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.update({alias.asname or alias.name: f"{node.module}.{alias.name}" for alias in node.names})
    return {**names, "nn": names.get("nn", "torch.nn")}


def dotted(node: ast.expr, names: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([names.get(node.id, node.id), *reversed(parts)])


def global_random_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    names, found = imported_names(tree), []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = dotted(node.func, names) or ""
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        seeded = any(keyword.arg == "generator" for keyword in node.keywords)
        numpy_global = name.startswith("numpy.random.") and name.split(".")[2] not in NUMPY_OWNED
        python_global = name.startswith("random.") and name != "random.Random"
        unseeded_draw = not seeded and (name in TORCH_DRAWS | INIT_DRAWS or
                                        (method in TENSOR_DRAWS and name not in TORCH_DRAWS))
        if name in GLOBAL_STATE or numpy_global or python_global or unseeded_draw:
            found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}: {name or method}")
    return found


def test_the_static_check_sees_each_kind_of_global_draw(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import numpy as np\nimport torch\nfrom torch.random import fork_rng\n"
                     "torch.manual_seed(0)\nnp.random.seed(0)\nnp.random.normal()\nfork_rng()\n"
                     "torch.randn(3)\nx = torch.empty(3).uniform_()\nq.sample((3,))\n"
                     "np.random.default_rng(0)\ntorch.randn(3, generator=g)\nmodel.sample(3, generator=g)\n")
    global ROOT
    root, ROOT = ROOT, tmp_path / "explorer"
    try:
        found = global_random_calls(probe)
    finally:
        ROOT = root
    assert [line.split(":")[1] for line in found] == ["4", "5", "6", "7", "8", "9", "10"]


def test_no_module_of_the_app_touches_a_global_random_state():
    modules = [path for path in sorted(ROOT.rglob("*.py")) if path.relative_to(ROOT).parts[0] not in EXEMPT]
    assert len(modules) > 40
    found = [call for path in modules for call in global_random_calls(path)]
    assert not found, "\n".join(found)
