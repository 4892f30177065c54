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

from explorer.classroom.checks import RoomError
from explorer.classroom.questions import Questions
from explorer.classroom.store import MemoryStore, Store, store_from_env
from explorer.classroom.sweeps import Sweeps


class Classroom(Questions, Sweeps):
    """Rooms, their views and presence, questions and sweeps over one store (see the modules named above)."""


__all__ = ["Classroom", "MemoryStore", "RoomError", "Store", "store_from_env"]
