"""The run list per browser (issue 23, item 5): a run is found again only under the token that registered it, at
most `max_runs` are kept per browser, a browser unseen for `idle_s` loses its runs, and a kept run trains on while
a page of its browser is open, and for `grace_s` after the last one closed (a reload), not longer."""

from __future__ import annotations

import threading

import pytest

from explorer.training import registry
from explorer.training.jobs import Job
from explorer.training.registry import Registry

A, B = "a" * 32, "b" * 32


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Run(Job):
    """A job that stands still: its state is set by the test, `stop` is recorded."""

    def __init__(self, state: str = "running"):
        super().__init__()
        self.state, self.stops = state, 0

    def stop(self, wait: float = 5.0) -> None:
        self.stops += 1
        self.state = "stopped"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def runs(clock) -> Registry:
    return Registry(clock=clock, max_runs=3, idle_s=600.0, grace_s=60.0)


def test_a_run_is_found_under_its_own_browser_and_key_only(runs):
    job = Run()
    runs.register(A, "latent_train", job)
    assert runs.find(A, "latent_train") is job
    assert runs.find(B, "latent_train") is None  # another browser never gets it
    assert runs.find(A, "vq_live") is None
    runs.register(B, "latent_train", other := Run())
    assert runs.find(A, "latent_train") is job and runs.find(B, "latent_train") is other
    assert runs.runs(A) == {"latent_train": job}


def test_a_token_must_be_a_non_empty_string(runs):
    for bad in ("", None, 42):
        with pytest.raises(ValueError):
            runs.find(bad, "latent_train")


def test_registering_again_under_a_key_replaces_the_run_there(runs):
    first, second = Run("finished"), Run()
    runs.register(A, "latent_train", first)
    runs.register(A, "latent_train", second)
    assert runs.runs(A) == {"latent_train": second} and first.stops == 0


def test_at_most_max_runs_per_browser_the_oldest_finished_dropped_first(runs):
    jobs = {key: Run(state) for key, state in [("k1", "running"), ("k2", "finished"), ("k3", "running")]}
    for key, job in jobs.items():
        runs.register(A, key, job)
    runs.register(B, "k0", Run())  # another browser's runs do not count
    runs.register(A, "k4", newest := Run())
    assert list(runs.runs(A)) == ["k1", "k3", "k4"]
    assert jobs["k2"].stops == 0  # finished already: nothing to stop
    runs.register(A, "k5", Run())  # none finished now: the oldest goes, and stops
    assert list(runs.runs(A)) == ["k3", "k4", "k5"] and jobs["k1"].stops == 1 and newest.stops == 0
    assert len(runs.runs(B)) == 1


def test_a_browser_unseen_for_idle_s_loses_its_runs(runs, clock):
    job = Run()
    runs.register(A, "latent_train", job)
    runs.present(B, "b-session")
    clock.now += 599.0
    runs.present(B, "b-session")
    assert runs.find(A, "latent_train") is job
    clock.now += 2.0  # A unseen for 601 s: swept on this access
    assert runs.find(A, "latent_train") is None and job.stops == 1
    assert runs.runs(B) == {} and not runs.alive(A)


def test_an_open_page_keeps_its_browser_seen(runs, clock):
    job, page_open = Run(), [True]
    runs.present(A, "s1", lambda: page_open[0])
    runs.register(A, "latent_train", job)
    clock.now += 3600.0  # an hour on the page without a rerun: still seen
    assert runs.find(A, "latent_train") is job and runs.alive(A)
    page_open[0] = False
    clock.now += 601.0
    assert runs.find(A, "latent_train") is None and job.stops == 1


def test_a_run_trains_on_for_grace_s_after_the_last_page_closed(runs, clock):
    first, second = [True], [True]
    runs.present(A, "s1", lambda: first[0])
    job = Run()
    runs.register(A, "latent_train", job)
    first[0] = False  # F5: the page's session ends
    clock.now += 30.0
    assert runs.alive(A)  # within the grace
    runs.present(A, "s2", lambda: second[0])  # the reloaded page attaches
    clock.now += 300.0
    assert runs.alive(A)  # a page is open again
    second[0] = False
    clock.now += 59.0
    assert runs.alive(A)
    clock.now += 2.0
    assert not runs.alive(A)  # 61 s with no page of this browser open
    assert not runs.alive(B)  # a browser the list never saw


def test_a_registered_job_asks_its_browser_and_says_why_it_stopped(runs, clock):
    page_open = [True]
    runs.present(A, "s1", lambda: page_open[0])
    job = Run()
    runs.register(A, "latent_train", job)
    job._check_alive()
    assert not job.stopping
    page_open[0] = False
    clock.now += 61.0
    job._check_alive()
    assert job.stopping and job.message == registry.ENDED


def test_the_registry_is_safe_across_threads():
    runs = Registry(max_runs=4)
    errors = []

    def browser(token: str) -> None:
        try:
            for i in range(200):
                runs.present(token, "s", lambda: True)
                runs.register(token, f"k{i % 6}", Run("finished"))
                assert runs.find(token, f"k{i % 6}") is not None
                assert len(runs.runs(token)) <= 4
        except Exception as err:  # noqa: BLE001 - reported by the main thread
            errors.append(err)

    threads = [threading.Thread(target=browser, args=(c * 32,)) for c in "abcdefgh"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(len(runs.runs(c * 32)) == 4 for c in "abcdefgh")


def test_the_documented_limits():
    assert (registry.MAX_RUNS, registry.IDLE_S, registry.GRACE_S) == (6, 1800.0, 60.0)


def test_drop_stops_and_forgets_one_run_only(runs):
    kept, other = Run(), Run()
    runs.register(A, "panel", kept)
    runs.register(A, "other", other)
    runs.drop(A, "panel")
    assert runs.find(A, "panel") is None and kept.stops == 1
    assert runs.find(A, "other") is other and other.stops == 0
    runs.drop(A, "never")  # nothing kept there: nothing happens
    runs.drop(B, "panel")  # nor for a browser never seen
