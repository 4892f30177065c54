"""The figure of the class's answers beside the truth (issue 24, item 3), read as data from room tallies."""

from __future__ import annotations

import json

from explorer.classroom.questions import summary
from explorer.figures.class_answers import ANSWERS, TRUE, class_answers


def tally(kind: str, spec: dict, answers: list, truth=None) -> dict:
    question = {"id": "q", "kind": kind, "spec": spec, "state": "revealed" if truth is not None else "open",
                "truth": truth}
    return summary(question, answers)


def as_data(fig) -> dict:
    return json.loads(fig.to_json())


def test_choice_bars_draw_the_counts_and_mark_the_true_option():
    counted = tally("choice", {"options": ["a", "b", "c"]}, [0, 2, 2, 1, 2], truth=2)
    fig = as_data(class_answers(counted, "c"))
    bars = fig["data"][0]
    assert bars["y"] == counted["counts"] == [1, 1, 3]
    assert bars["marker"]["color"] == [ANSWERS, ANSWERS, TRUE]
    assert fig["layout"]["annotations"][0]["text"] == "<b>true</b>: c"
    assert fig["layout"]["title"]["text"] == "5 answers"


def test_a_choice_before_the_reveal_marks_nothing():
    fig = as_data(class_answers(tally("choice", {"options": ["a", "b"]}, [1])))
    assert TRUE not in fig["data"][0]["marker"]["color"] and not fig["layout"].get("annotations")
    assert fig["layout"]["title"]["text"] == "1 answer"


def test_slider_histogram_draws_the_counts_and_a_line_at_the_truth():
    spec = {"low": 0.0, "high": 20.0, "bins": 4}
    counted = tally("slider", spec, [1.0, 2.0, 6.0, 19.5, 20.0, 11.0], truth=4.98)
    fig = as_data(class_answers(counted, "4.98 nats per image", "nats per image"))
    bars = fig["data"][0]
    assert bars["y"] == counted["histogram"]["counts"] == [2, 1, 1, 2]
    assert bars["x"] == [2.5, 7.5, 12.5, 17.5] and bars["width"] == [5.0] * 4
    line = fig["layout"]["shapes"][0]
    assert line["x0"] == line["x1"] == 4.98
    assert "4.98 nats per image" in fig["layout"]["annotations"][0]["text"]
    assert fig["layout"]["xaxis"]["title"]["text"] == "nats per image"


def test_points_are_dots_and_the_truth_a_star_in_the_questions_box():
    spec = {"x": [-4.0, 4.0], "y": [-3.0, 3.0]}
    counted = tally("point", spec, [[0.5, 1.0], [-2.0, 0.0]], truth=[1.97, 0.66])
    fig = as_data(class_answers(counted, "(1.97, 0.66)"))
    dots, star = fig["data"]
    assert sorted(zip(dots["x"], dots["y"], strict=True)) == [(-2.0, 0.0), (0.5, 1.0)]
    assert (star["x"], star["y"], star["marker"]["symbol"]) == ([1.97], [0.66], "star")
    assert fig["layout"]["xaxis"]["range"] == [-4.0, 4.0] and fig["layout"]["yaxis"]["range"] == [-3.0, 3.0]
