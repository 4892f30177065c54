"""'Show the code': the real source of the functions a view ran, beside the formula on the page.

`inspect.getsource` reads the module the app imported, so what the lecture shows is what ran.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import streamlit as st


def source(function: Callable) -> str:
    """The source of a function, method or class as the app runs it."""
    return inspect.getsource(inspect.unwrap(function))


def show_code(*functions: Callable, label: str = "Show the code") -> None:
    """An expander with the source of each function, labelled by its module and name."""
    with st.expander(label, icon=":material/code:"):
        for function in functions:
            st.caption(f"`{function.__module__}.{function.__qualname__}`")
            st.code(source(function), language="python")
