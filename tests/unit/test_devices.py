"""Device choice, and one real training step on CUDA where a GPU is present."""

import pytest
import torch

from explorer import models
from explorer.runtime import devices
from explorer.training.train import TrainConfig, Trainer


def test_auto_and_cpu_resolve():
    assert devices.resolve("cpu") == "cpu"
    assert devices.resolve("auto") in devices.available()


def test_missing_device_is_explained():
    missing = [d for d in ("cuda", "mps") if d not in devices.available()]
    if not missing:
        pytest.skip("this machine has every accelerator")
    with pytest.raises(ValueError, match="not available on this machine"):
        devices.resolve(missing[0])
    with pytest.raises(ValueError, match="must be one of"):
        devices.resolve("tpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")
def test_training_step_on_cuda():
    model = models.build("vae", None, x_dim=16, hidden=(8,), image_shape=(4, 4)).to("cuda")
    trainer = Trainer(model, torch.rand(64, 16), TrainConfig(steps=5, batch_size=16), x_test=torch.rand(16, 16))
    trainer.run()
    assert trainer.x_train.device.type == "cuda" and trainer.state.step == 5
