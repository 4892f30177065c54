"""The class across replicas (issue 24, item 5's acceptance): the same scenario as tests/e2e/test_class_browser.py,
with the lecturer's browser on replica A and the students' on replica B behind nginx, their rooms in one Redis."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from test_hall_browser import new_page

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))  # the scenario lives beside its one-server run
from test_class_browser import the_class  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_the_class_across_replicas_follows_predicts_and_computes(browser, hall, shots):
    replica_a, replica_b = hall.replicas
    lecturer = new_page(browser, hall, replica_a)
    students = [new_page(browser, hall, replica_b) for _ in range(2)]
    try:
        the_class([lecturer, *students], hall.url, shots, "class-hall")
        assert {hall.replica_at(u) for u in lecturer.upstreams if u} == {replica_a}
        for student in students:
            assert {hall.replica_at(u) for u in student.upstreams if u} == {replica_b}
    finally:
        for page in (lecturer, *students):
            page.context.close()
