"""The class (issue 24): rooms a lecturer opens and students join, with no Streamlit here.

`Classroom(store)` is the one object the app keeps per process: rooms and their lifecycle, the lecturer's
published view and who follows it (`rooms.py`), predict-then-reveal questions (`questions.py`) and the class
sweep (`sweeps.py`), all in one small `Store` (`store.py`: in-process by default, Redis when
`LATENT_LAB_REDIS_URL` is set, `redis_store.py`). Every lecturer action takes the room's secret; every refusal
is a `RoomError` with a sentence to show, and nothing is stored by a refused action (`checks.py`: the limits).

    classroom = Classroom(store_from_env())
    code, secret = classroom.open_room()
"""

from __future__ import annotations

from typing import Any

from explorer.classroom import rooms
from explorer.classroom.checks import RoomError
from explorer.classroom.questions import Questions
from explorer.classroom.store import MemoryStore, Store, store_from_env
from explorer.classroom.sweeps import Sweeps


class Classroom(Questions, Sweeps):
    """Rooms, their views and presence, questions and sweeps over one store (see the modules named above)."""

    def pulse(self, code: Any) -> dict:
        """What the class's watcher polls for a room's students (`explorer.ui.class_push`): the lecturer's view,
        and (as `question` and `sweep`) whatever changed in the room that every page must redraw: the current
        question's id and state, the sweep's id. One room check, then one read each."""
        code, _, _ = self._room(code)
        view = self.store.get(self.key(code, "view")) or rooms.no_view()
        index = self.store.get(self.key(code, "questions"))
        current = index["current"] if index else None
        question = None if current is None else self.store.get(self.key(code, "question", current))
        sweep = self.store.get(self.key(code, "sweep"))
        return {"view": view, "question": None if question is None else [question["id"], question["state"]],
                "sweep": None if sweep is None else sweep["id"]}


__all__ = ["Classroom", "MemoryStore", "RoomError", "Store", "store_from_env"]
