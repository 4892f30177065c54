"""Faults: a job killed mid-step, a tab closed while training, a save or a process cut off mid-write.

Each must leave no running thread, no corrupted checkpoint and no lost pretrained model.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import torch

from explorer import models
from explorer.store import checkpoints, zoo
from explorer.training import jobs
from explorer.training.jobs import TrainingJob, wait_until
from explorer.training.train import TrainConfig

ROOT = Path(__file__).resolve().parents[2]
SMALL = dict(x_dim=16, z_dim=2, hidden=(32,), image_shape=(4, 4))


@pytest.fixture(autouse=True)
def no_leftover_jobs():
    yield
    for job in list(jobs._running):
        job.stop()


def tiny(seed: int = 0):
    torch.manual_seed(seed)
    return models.build("vae", None, **SMALL)


def make_job(**kwargs) -> TrainingJob:
    x = torch.rand(256, 16)
    return TrainingJob(tiny(), x, TrainConfig(steps=10**6, batch_size=32), {"beta": 1.0}, x_test=x[:64], **kwargs)


def training_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "latent-lab-training" and t.is_alive()]


def test_stopping_a_job_in_the_middle_of_a_step_leaves_no_thread():
    job = make_job()
    in_step, release = threading.Event(), threading.Event()
    real_step = job.trainer.step

    def slow_step():
        if job.step == 20:
            in_step.set()
            release.wait(5)  # stop() arrives while this step is under way
        return real_step()

    job.trainer.step = slow_step
    job.start()
    assert in_step.wait(10)
    stopper = threading.Thread(target=job.stop)
    stopper.start()
    release.set()
    stopper.join(10)
    assert job.state == "stopped" and not job._thread.is_alive()
    assert jobs.running_count() == 0 and job not in training_threads()
    assert all(torch.isfinite(p).all() for p in job.model.parameters())


def test_a_step_that_crashes_ends_the_thread_and_frees_its_slot():
    job = make_job()
    real_step = job.trainer.step

    def crashing_step():
        if job.step == 10:
            raise MemoryError("simulated")
        return real_step()

    job.trainer.step = crashing_step
    job.start()
    job.join(10)
    assert job.state == "failed" and "MemoryError" in job.message
    assert not job._thread.is_alive() and jobs.running_count() == 0


def test_a_job_whose_alive_check_turns_false_stops():
    alive = threading.Event()
    alive.set()
    job = make_job(alive=alive.is_set)
    job.start()
    assert wait_until(lambda: job.step > jobs.ALIVE_CHECK_EVERY)
    alive.clear()  # the browser tab was closed
    job.join(10)
    assert job.state == "stopped" and "session" in job.message and jobs.running_count() == 0


def test_a_paused_job_whose_tab_was_closed_stops_and_frees_its_slot(monkeypatch):
    monkeypatch.setattr(jobs, "PAUSED_ALIVE_CHECK_S", 0.05)
    alive = threading.Event()
    alive.set()
    job = make_job(alive=alive.is_set)
    job.start()
    assert wait_until(lambda: job.step > 3)
    job.pause()
    alive.clear()  # closed while paused: no step will run to notice it
    job.join(5)
    assert job.state == "stopped" and not job._thread.is_alive()
    assert jobs.running_count() == 0, "a paused job of a closed tab must not hold a training slot forever"


def test_a_process_exits_at_once_with_a_job_training():
    """A server restart: the training thread is a daemon, so it cannot keep the old process alive."""
    script = textwrap.dedent("""
        import torch
        from explorer import models
        from explorer.training.jobs import TrainingJob, wait_until
        from explorer.training.train import TrainConfig
        model = models.build("vae", None, x_dim=16, z_dim=2, hidden=(32,), image_shape=(4, 4))
        job = TrainingJob(model, torch.rand(256, 16), TrainConfig(steps=10**7, batch_size=32))
        job.start()
        assert wait_until(lambda: job.step > 10)
        print("training", flush=True)
    """)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "training" in done.stdout
    assert time.perf_counter() - started < 30


def test_a_save_that_fails_mid_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = checkpoints.save(tiny(0), tmp_path / "m.safetensors")
    before = path.read_bytes()
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, fd, *args, **kwargs):
            self.file = real_fdopen(fd, *args, **kwargs)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def write(self, data):
            self.file.write(data[: len(data) // 2])
            self.file.flush()
            raise OSError(28, "No space left on device (simulated)")

    monkeypatch.setattr(checkpoints.os, "fdopen", HalfWriter)
    with pytest.raises(OSError, match="No space left"):
        checkpoints.save(tiny(1), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert torch.equal(checkpoints.load(path).decoder[0].weight, tiny(0).decoder[0].weight)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.safetensors"]  # no temp file left


def register(name: str, model, zoo_dir: Path) -> dict:
    return zoo.register(name, model, dataset="digits", data="test", steps=1, seed=0, wall_time_s=0.1,
                        metrics={"test_elbo": -1.0}, dir=zoo_dir)


@pytest.mark.parametrize("fail_on", ["tiny.safetensors", "manifest.json"])
def test_a_register_that_fails_keeps_the_previous_pretrained_model(fail_on, tmp_path, monkeypatch):
    register("tiny", tiny(0), tmp_path)
    real_write = checkpoints.write_bytes_atomic

    def failing_write(path, data):
        if Path(path).name == fail_on:
            raise OSError(5, "I/O error (simulated)")
        return real_write(path, data)

    monkeypatch.setattr(checkpoints, "write_bytes_atomic", failing_write)
    with pytest.raises(OSError, match="simulated"):
        register("tiny", tiny(1), tmp_path)
    monkeypatch.undo()
    restored = zoo.load("tiny", dir=tmp_path)  # the hash in the manifest still matches the file
    assert torch.equal(restored.decoder[0].weight, tiny(0).decoder[0].weight)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")], "no backup or temp file left"


def test_a_process_killed_while_saving_leaves_a_loadable_checkpoint(tmp_path):
    target = tmp_path / "m.safetensors"
    script = textwrap.dedent(f"""
        import torch
        from explorer import models
        from explorer.store import checkpoints
        target = {str(target)!r}
        model = models.build("vae", None, x_dim=784, z_dim=2, hidden=(512, 256))
        checkpoints.save(model, target)
        print("saved", flush=True)
        while True:
            with torch.no_grad():
                model.decoder[0].weight.add_(1.0)
            checkpoints.save(model, target)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "saved"
        time.sleep(1.0)  # several saves of a 4 MB checkpoint: the kill lands in one of them
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    model = checkpoints.load(target)
    assert torch.isfinite(model.decoder[0].weight).all()


def test_pretrained_files_match_their_manifest():
    """Nothing above, nor a killed server, may leave a shipped checkpoint that its manifest disowns."""
    if not zoo.names():
        pytest.skip("no pretrained models: run `python -m explorer pretrain`")
    for name in zoo.names():
        assert zoo.file_sha256(zoo.path(name)) == zoo.entry(name)["sha256"], name
    leftovers = [p.name for p in zoo.PRETRAINED_DIR.iterdir() if p.name.startswith(".")]
    assert not leftovers, f"temporary or backup files in pretrained/: {leftovers}"
