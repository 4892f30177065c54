"""Two sessions with the same sidebar seed train the hierarchical VAE at the same time and end with bit-identical
weights: each run draws only from its own generators (issue 19, item 6)."""

from __future__ import annotations

from pathlib import Path

import torch
from apptest import open_page, open_tab

from explorer.training import jobs

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "hierarchical_vae.py")


def started_session(seed: int) -> jobs.TrainingJob:
    at = open_page(PAGE, 180)
    at.session_state["seed"] = seed  # the sidebar's seed
    at = open_tab(at, "hvae_tab", "Train your own")
    at.radio(key="hvae_dataset").set_value("digits").run()
    at.select_slider(key="hvae_live_steps").set_value(100).run()
    at.button(key="hvae_live_start").click().run()
    job = at.session_state["hvae_live_job"]
    job.pause()  # until the other session's job has started too
    return job


def test_two_sessions_with_one_seed_train_to_the_same_weights_at_the_same_time():
    first, second = started_session(5), started_session(5)
    first.resume()
    second.resume()
    try:
        assert jobs.wait_until(lambda: first.done and second.done, timeout=180)
        assert first.state == second.state == "finished", (first.message, second.message)
        assert first.config.seed == second.config.seed == 5
        mine, theirs = first.model.state_dict(), second.model.state_dict()
        assert all(torch.equal(mine[name], theirs[name]) for name in mine)
    finally:
        first.stop()
        second.stop()
