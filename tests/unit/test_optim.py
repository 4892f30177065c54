"""The trainer's optimizer is torch's own Adam: fused where the parameters allow, foreach otherwise, and it follows
the textbook (non-fused, non-foreach) implementation step by step."""

import pytest
import torch
from torch import nn

from explorer.training.train import make_optimizer


def _twin_models():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
    twin = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
    twin.load_state_dict(model.state_dict())
    return model, twin


@pytest.mark.parametrize("lr", [1e-3, 0.05])
def test_the_trainers_adam_follows_the_textbook_adam_step_by_step(lr):
    model, twin = _twin_models()
    ours, oracle = make_optimizer(model, lr), torch.optim.Adam(twin.parameters(), lr=lr, foreach=False)
    for step in range(30):
        x = torch.randn(16, 5)
        for net, optimizer in ((model, ours), (twin, oracle)):
            optimizer.zero_grad(set_to_none=True)
            net(x).pow(2).mean().backward()
            optimizer.step()
        for p, q in zip(model.parameters(), twin.parameters(), strict=True):
            torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6, msg=f"step {step}")


def test_fused_where_the_parameters_share_a_device_and_dtype_foreach_otherwise():
    assert make_optimizer(nn.Linear(2, 2), 1e-3).defaults["fused"]
    mixed = make_optimizer(nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2).double()), 1e-3)
    assert not mixed.defaults["fused"] and mixed.defaults["foreach"]


def test_no_private_torch_api_in_the_training_path():
    from pathlib import Path

    import explorer

    root = Path(explorer.__file__).parent
    offenders = [path.name for path in root.rglob("*.py") if "torch._f" in path.read_text()]
    assert offenders == []
