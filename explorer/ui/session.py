"""Per-session settings from the shared sidebar (device, seed) and session liveness."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime import get_instance
from streamlit.runtime.scriptrunner import get_script_run_ctx

from explorer import devices


def sidebar() -> None:
    """The sidebar every page shares: device and seed, kept in session state."""
    with st.sidebar:
        st.subheader("Compute")
        have = devices.available()
        st.selectbox("Device", devices.CHOICES, key="device_choice",
                     help=f"'auto' picks the fastest this machine has. Available here: {', '.join(have)}.")
        st.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="seed",
                        help="Fixes the initial weights and the order of batches of runs you start.")


def device() -> str:
    """The chosen device; falls back to the CPU, with a warning, when it is not available."""
    choice = st.session_state.get("device_choice", "auto")
    try:
        return devices.resolve(choice)
    except ValueError as err:
        st.warning(f"{err}. Using the CPU instead.")
        return "cpu"


def seed() -> int:
    return int(st.session_state.get("seed", 0))


def alive_check():
    """A callable that tells a background job whether this browser session still exists."""
    ctx = get_script_run_ctx()
    if ctx is None:  # outside a running server (bare script or a test harness): never stop early
        return None
    session_id, runtime = ctx.session_id, get_instance()
    return lambda: runtime.is_active_session(session_id)
