"""A class sweep's point (issue 24, item 4): claims checked before anything is built, a point trained as a bounded
job with the β page's model and numbers, seeded from the point, the class's results summarised, and a student's
session (`Helper`) that claims, trains, submits and takes over the point of a student who left."""

from __future__ import annotations

import math

import pytest
import torch

from explorer import data
from explorer.classroom import Classroom, MemoryStore, checks
from explorer.training import class_sweep, jobs
from explorer.training.class_sweep import Helper, PointJob, PointRefused, point_spec

STEPS = 5


def tiny(split: str) -> data.Dataset:
    """64 binary 4×4 images from a generator of the test's own."""
    generator = torch.Generator().manual_seed(0 if split == "train" else 1)
    x = (torch.rand(64, 16, generator=generator) < 0.3).float().contiguous()
    return data.Dataset("tiny", split, x, None, None, (), (4, 4), "bernoulli", "a test's random pixels")


def claim(knob="beta", value=1.0, point_id=0, **model) -> dict:
    return {"sweep_id": "abc", "point_id": point_id, "knob": knob, "value": value,
            "model": {**class_sweep.sweep_model(STEPS), **model}}


@pytest.mark.parametrize("bad", [
    {"knob": "lr"}, {"value": math.nan}, {"value": math.inf}, {"value": -1.0}, {"value": "1"}, {"value": True},
    {"value": 100.0}, {"knob": "sigma", "value": 0.0}, {"knob": "seed", "value": 1.5}, {"knob": "seed", "value": -1},
    {"name": "mnist-huge"}, {"steps": 10**9}, {"steps": 0}, {"steps": 2.5}, {"beta": math.nan}, {"seed": 2**40},
    {"hidden": 4096},
])
def test_a_hostile_claim_is_refused_before_anything_is_built(bad):
    model = {key: value for key, value in bad.items() if key not in ("knob", "value")}
    point = claim(**{key: value for key, value in bad.items() if key in ("knob", "value")}, **model)
    with pytest.raises(PointRefused):
        point_spec(point)
    with pytest.raises(PointRefused):
        point_spec({**claim(), "extra": 1})


def test_every_preset_is_a_valid_sweep_of_trainable_points():
    for label, spec in class_sweep.presets().items():
        for index, value in enumerate(spec["values"]):
            point = point_spec({"sweep_id": "s", "point_id": index, "knob": spec["knob"], "value": value,
                                "model": spec["model"]}, spec["values"])
            assert point.steps == class_sweep.POINT_STEPS and point.dataset == "sprites", label


def test_a_repeated_value_is_a_new_seed_and_distinct_values_share_one():
    values = [1.0, 1.0, 4.0, 4.0]
    seeds = [point_spec(claim(value=v, point_id=i, seed=7), values).seed for i, v in enumerate(values)]
    assert seeds == [7, 8, 7, 8]
    assert point_spec(claim("seed", 3, seed=7)).seed == 3
    sigma = point_spec(claim("sigma", 0.2, beta=2.0))
    assert (sigma.sigma, sigma.beta, class_sweep.config_of(sigma).likelihood) == (0.2, 2.0, "gaussian")


def trained(spec) -> dict:
    job = PointJob(spec, tiny("train"), tiny("test"))
    job.start()
    job.join(60)
    assert job.state == "finished", job.message
    return job.result


def test_a_point_trains_as_a_bounded_job_and_reports_rate_distortion_and_elbo():
    result = trained(point_spec(claim(value=4.0)))
    assert set(result) <= set(class_sweep.RESULT_NAMES) and len(result) <= checks.MAX_RESULT_KEYS
    assert all(math.isfinite(value) for value in result.values())
    assert result["steps"] == STEPS and result["diverged"] == 0.0
    assert result["elbo"] == pytest.approx(-(result["rate"] + result["distortion"]), rel=1e-5)
    again = trained(point_spec(claim(value=4.0)))  # the same point, the same numbers, whatever else runs
    assert {k: v for k, v in again.items() if k != "seconds"} == {k: v for k, v in result.items() if k != "seconds"}


def test_the_class_results_are_summarised_with_their_spread():
    points = [{"value": v, "state": "done", "result": {"rate": r, "distortion": 10.0, "elbo": -10.0 - r}}
              for v, r in ((1.0, 2.0), (1.0, 4.0), (4.0, 1.0))]
    status = {"knob": "beta", "points": [*points, {"value": 8.0, "state": "training", "result": None}]}
    summary = class_sweep.summarise(status)
    assert [(row["value"], row["n"]) for row in summary] == [(1.0, 2), (4.0, 1)]
    assert summary[0]["rate"] == 3.0 and summary[0]["rate_sd"] == pytest.approx(math.sqrt(2))
    assert summary[0]["neg_elbo"] == 13.0 and summary[1]["rate_sd"] == 0.0
    assert class_sweep.counts(status) == {"waiting": 0, "training": 1, "done": 3}
    assert [row["n"] for row in class_sweep.summarise({**status, "knob": "seed"})] == [3]


def student(room: Classroom, code: str, session: str):
    """A helper and the three callables its ticks get from the room, as `explorer.ui.class_sweep` builds them."""
    helper = Helper(lambda spec: PointJob(spec, tiny("train"), tiny("test")))

    def tick(helping: bool = True) -> str:
        return helper.tick(room.sweep_status(code), lambda: room.claim_point(code, session),
                           lambda point, numbers: room.submit_result(code, session, point, numbers), helping)
    return helper, tick


def until_done(helper: Helper, tick) -> None:
    while helper.job is not None:
        assert jobs.wait_until(lambda: helper.job.result is not None or helper.job.done, timeout=60)
        tick()


@pytest.fixture
def room(room_clock):
    classroom = Classroom(MemoryStore(clock=room_clock), clock=room_clock)
    code, secret = classroom.open_room()
    classroom.start_sweep(code, secret, {"knob": "beta", "values": [0.5, 4.0], "model": class_sweep.sweep_model(STEPS)})
    return classroom, code


def test_two_students_fill_a_two_point_sweep(room):
    classroom, code = room
    (a, tick_a), (b, tick_b) = student(classroom, code, "student-a"), student(classroom, code, "student-b")
    assert "Training" in tick_a() and "Training" in tick_b()
    until_done(a, tick_a)
    until_done(b, tick_b)
    status = classroom.sweep_status(code)
    assert status["done"] == 2 and a.submitted == b.submitted == 1
    assert {p["value"] for p in status["points"]} == {0.5, 4.0} and all(p["result"]["rate"] >= 0
                                                                        for p in status["points"])


def test_a_student_who_leaves_has_their_point_trained_by_another(room, room_clock):
    classroom, code = room
    gone, tick_gone = student(classroom, code, "student-gone")
    stays, tick_stays = student(classroom, code, "student-b")
    tick_gone()  # claims a point, then the laptop closes: no more ticks, no heartbeats
    gone.job.stop()
    tick_stays()
    until_done(stays, tick_stays)
    assert tick_stays() == "Every point is taken: waiting for the others."  # the other point's claim is fresh
    room_clock.advance(checks.CLAIM_STALE_S + 1)
    classroom.heartbeat(code, "student-b", True)
    assert "Training" in tick_stays()
    until_done(stays, tick_stays)
    assert classroom.sweep_status(code)["done"] == 2 and stays.submitted == 2


def test_a_point_waits_for_a_free_training_slot(room, monkeypatch):
    classroom, code = room
    helper, tick = student(classroom, code, "student-a")
    monkeypatch.setattr(jobs, "MAX_RUNNING", 0)
    assert tick() == "Waiting for a free training slot on the server…" and helper.job.state == "ready"
    monkeypatch.setattr(jobs, "MAX_RUNNING", 2)
    assert "Training" in tick()
    until_done(helper, tick)  # then the next point: one student alone trains the whole sweep
    assert helper.submitted == 2 and classroom.sweep_status(code)["done"] == 2
