"""The class sweep over both stores: each point claimed by one session, a silent claimant's point handed on,
results only from the claimant and only once, hostile specs and results refused with nothing stored."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from explorer.classroom import RoomError, checks

SPEC = {"knob": "beta", "values": [0.1, 0.5, 1.0, 4.0], "model": {"data": "moons", "steps": 200, "latent": 2}}
RESULT = {"rate": 3.5, "distortion": 120.25}


@pytest.fixture
def room(classroom):
    code, secret = classroom.open_room()
    classroom.start_sweep(code, secret, SPEC)
    return code, secret


def test_every_point_trained_once_fills_the_plot(classroom, room):
    code, _ = room
    claimed = [classroom.claim_point(code, f"session-{index:04d}") for index in range(4)]
    assert sorted(point["value"] for point in claimed) == SPEC["values"]
    assert all(point["knob"] == "beta" and point["model"] == SPEC["model"] for point in claimed)
    assert classroom.claim_point(code, "session-late") is None  # all held by live students
    assert classroom.claim_point(code, "session-0001") == claimed[1]  # asking again gives the same point
    status = classroom.sweep_status(code)
    assert [point["state"] for point in status["points"]] == ["training"] * 4 and status["done"] == 0
    for index, point in enumerate(claimed):
        classroom.submit_result(code, f"session-{index:04d}", point["point_id"], {"rate": point["value"]})
    status = classroom.sweep_status(code)
    assert status["done"] == status["total"] == 4 and "session" not in str(status)
    assert [point["result"] for point in status["points"]] == [{"rate": value} for value in SPEC["values"]]
    assert classroom.claim_point(code, "session-late") is None


def test_a_student_who_leaves_does_not_stall_the_sweep(classroom, room, room_clock):
    code, _ = room
    held = {f"session-{index:04d}": classroom.claim_point(code, f"session-{index:04d}") for index in range(4)}
    room_clock.advance(checks.CLAIM_STALE_S - 5)
    for session in ("session-0000", "session-0001", "session-0002"):  # session-0003 closed its laptop
        classroom.heartbeat(code, session, True)
    room_clock.advance(10)
    assert classroom.sweep_status(code)["points"][held["session-0003"]["point_id"]]["state"] == "waiting"
    taken_over = classroom.claim_point(code, "session-late")
    assert taken_over == held["session-0003"]
    with pytest.raises(RoomError, match="not yours"):
        classroom.submit_result(code, "session-0003", taken_over["point_id"], RESULT)
    classroom.submit_result(code, "session-late", taken_over["point_id"], RESULT)
    assert classroom.sweep_status(code)["points"][taken_over["point_id"]]["result"] == RESULT


def test_a_result_comes_only_from_the_claimant_and_only_once(classroom, room):
    code, _ = room
    point = classroom.claim_point(code, "session-0001")["point_id"]
    unclaimed = (point + 1) % 4
    with pytest.raises(RoomError, match="not yours"):
        classroom.submit_result(code, "session-0001", unclaimed, RESULT)
    with pytest.raises(RoomError, match="not yours"):
        classroom.submit_result(code, "session-0002", point, RESULT)
    classroom.submit_result(code, "session-0001", point, RESULT)
    with pytest.raises(RoomError, match="already has its result"):
        classroom.submit_result(code, "session-0001", point, {"rate": 0.0})
    assert classroom.sweep_status(code)["points"][point]["result"] == RESULT
    assert classroom.sweep_status(code)["done"] == 1


@pytest.mark.parametrize(("point_id", "result", "match"), [
    (0, {"rate": float("nan")}, "finite"), (0, {"rate": float("inf")}, "finite"), (0, {}, "1 to 16"),
    (0, {f"k{i}": 1.0 for i in range(17)}, "1 to 16"), (0, {"rate": "high"}, "number"),
    (0, {"x" * 10_000: 1.0}, "name"), (0, [1.0], "mapping"), (0, {"rate": 10**400}, "too large"),
    (4, RESULT, "point id"), (-1, RESULT, "point id"), ("0", RESULT, "point id"), (True, RESULT, "point id"),
])
def test_a_hostile_result_is_refused_and_nothing_stored(classroom, room, point_id, result, match):
    code, _ = room
    classroom.claim_point(code, "session-0001")
    with pytest.raises(RoomError, match=match):
        classroom.submit_result(code, "session-0001", point_id, result)
    assert classroom.sweep_status(code)["done"] == 0


@pytest.mark.parametrize(("spec", "match"), [
    ({**SPEC, "knob": "lr"}, "one of"), ({**SPEC, "values": []}, "1 to 64"),
    ({**SPEC, "values": [0.1] * 65}, "1 to 64"), ({**SPEC, "values": [float("nan")]}, "finite"),
    ({**SPEC, "values": [-1.0]}, "between"), ({**SPEC, "knob": "sigma", "values": [0.0]}, "between"),
    ({**SPEC, "knob": "seed", "values": [1.5]}, "whole number"), ({**SPEC, "model": {"k": {"deep": 1}}}, "number"),
    ({**SPEC, "model": {f"k{i}": 1 for i in range(17)}}, "at most 16"), ({**SPEC, "extra": 1}, "exactly"),
    ({**SPEC, "model": {"notes": "x" * 512, "more": "y" * 512, **{f"k{i}": "z" * 400 for i in range(8)}}},
     "too large"),
])
def test_a_hostile_sweep_is_refused_and_nothing_stored(classroom, spec, match):
    code, secret = classroom.open_room()
    with pytest.raises(RoomError, match=match):
        classroom.start_sweep(code, secret, spec)
    assert classroom.sweep_status(code) is None


def test_only_the_lecturer_starts_a_sweep(classroom, room):
    code, _ = room
    before = classroom.sweep_status(code)["sweep_id"]
    with pytest.raises(RoomError, match="Only the lecturer"):
        classroom.start_sweep(code, "forged", {**SPEC, "knob": "seed", "values": [1, 2]})
    assert classroom.sweep_status(code)["sweep_id"] == before


def test_a_new_sweep_replaces_the_old_one(classroom, room):
    code, secret = room
    old = classroom.claim_point(code, "session-0001")
    classroom.start_sweep(code, secret, {**SPEC, "knob": "seed", "values": [7]})
    with pytest.raises(RoomError, match="not yours"):
        classroom.submit_result(code, "session-0001", old["point_id"] % 1, RESULT)
    point = classroom.claim_point(code, "session-0001")
    assert point["knob"] == "seed" and point["value"] == 7 and point["sweep_id"] != old["sweep_id"]


def test_no_sweep_no_claim(classroom):
    code, _ = classroom.open_room()
    with pytest.raises(RoomError, match="no sweep"):
        classroom.claim_point(code, "session-0001")


def test_a_class_claiming_at_once_shares_the_points_out(classroom, room):
    code, _ = room

    def claim(index: int):
        point = classroom.claim_point(code, f"session-{index:04d}")
        return None if point is None else point["point_id"]

    with ThreadPoolExecutor(16) as pool:
        got = [point for point in pool.map(claim, range(40)) if point is not None]
    assert sorted(got) == [0, 1, 2, 3]
