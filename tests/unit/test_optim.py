"""LeanAdam against the oracle torch.optim.Adam (the textbook, non-fused implementation)."""

import pytest
import torch
from torch import nn

from explorer.optim import LeanAdam
from explorer.train import make_optimizer


def _twin_models():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
    twin = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
    twin.load_state_dict(model.state_dict())
    return model, twin


@pytest.mark.parametrize("lr", [1e-3, 0.05])
def test_lean_adam_follows_torch_adam_step_by_step(lr):
    model, twin = _twin_models()
    ours, oracle = LeanAdam(model.parameters(), lr=lr), torch.optim.Adam(twin.parameters(), lr=lr, foreach=False)
    for step in range(30):
        x = torch.randn(16, 5)
        for net, optimizer in ((model, ours), (twin, oracle)):
            optimizer.zero_grad(set_to_none=True)
            net(x).pow(2).mean().backward()
            optimizer.step()
        for p, q in zip(model.parameters(), twin.parameters(), strict=True):
            torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6, msg=f"step {step}")


def test_a_parameter_without_gradient_is_left_alone_and_its_step_count_kept():
    model, twin = _twin_models()
    ours, oracle = LeanAdam(model.parameters()), torch.optim.Adam(twin.parameters(), foreach=False)
    x = torch.randn(4, 5)
    for net, optimizer in ((model, ours), (twin, oracle)):
        net(x).sum().backward()
        net[2].bias.grad = None
        optimizer.step()
    assert torch.equal(model[2].bias, twin[2].bias)
    assert [int(s) for s in ours.steps] == [1, 1, 1, 0]
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        torch.testing.assert_close(p, q)


def test_the_trainer_falls_back_to_torch_adam_for_mixed_dtypes():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2).double())
    assert isinstance(make_optimizer(model, 1e-3), torch.optim.Adam)
    assert isinstance(make_optimizer(nn.Linear(2, 2), 1e-3), LeanAdam)
