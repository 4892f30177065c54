"""The class's predict (issue 24): a stub wired into app.py and the sidebar, filled in by its own change."""

from __future__ import annotations

from explorer.ui.class_room import Member


def lecturer_controls(me: Member) -> None:
    """In the lecturer's sidebar, under the room."""


def student_controls(me: Member) -> None:
    """In a student's sidebar, under the room."""


def main_panel(me: Member) -> None:
    """At the top of the main area, above the page, for lecturer and students alike."""
