"""Per-session settings from the shared sidebar (device, seed, projector mode, figure format), session
liveness, and the browser's token: the identity under which `explorer.training.registry` keeps its runs."""

from __future__ import annotations

import re
import secrets

import streamlit as st
from streamlit.runtime import get_instance
from streamlit.runtime.scriptrunner import get_script_run_ctx

from explorer.runtime import devices
from explorer.ui import state

FIGURE_FORMATS = ("png", "svg")
PROJECTOR_IMAGE_ZOOM = 1.5  # images grow with the text (24/17 ≈ 1.4), their pixels kept square (pixelated)
PROJECTOR_ROOT_PX = 24  # the root font size in projector mode (the theme's is 17): Streamlit sizes text in rem
# The stage (issue 22): a projector's 720 rows go to the picture and its knobs, not to the theme's 6rem of top
# padding (3.75rem is the header's height: less, and the header hides the title) and a 2.75rem title; an
# equation's font follows its box's width (KaTeX display maths cannot wrap), down to 0.75em, and what is still wider
# scrolls instead of being cut. Its box must span the column: a box sized by its content has no width to follow,
# and every equation was 0 px wide until the stage test measured that. A horizontal radio's and the presets' label
# sits beside its options (a row saved each); small images keep square pixels when the browser enlarges them.
STAGE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.75rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 2rem; padding-top: 0; padding-bottom: 0.25rem; }
[data-testid="stMarkdown"] > div:has(.katex-display),
[data-testid="stMarkdownContainer"]:has(> .katex-display) { width: 100%; }
.katex-display { container-type: inline-size; overflow-x: auto; overflow-y: hidden; }
.katex-display > .katex { font-size: clamp(0.75em, 2.6cqi, 1.21em); }
[data-testid="stImage"] img { image-rendering: pixelated; }
[data-testid="stMain"] [data-testid="stRadio"]:has([aria-orientation="horizontal"]),
[data-testid="stMain"] [data-testid="stButtonGroup"] { display: flex; flex-wrap: wrap; align-items: center;
                                                       column-gap: 1rem; }
[data-testid="stMain"] [data-testid="stRadio"]:has([aria-orientation="horizontal"]) > label,
[data-testid="stMain"] [data-testid="stButtonGroup"] > label { margin-bottom: 0; }
[data-testid="stMain"] [data-testid="stButtonGroup"] > div { flex: 1 1 16rem; }
</style>"""
PROJECTOR_CSS = f"""<style>
html {{ font-size: {PROJECTOR_ROOT_PX}px !important; }}
[data-testid="stMainBlockContainer"] {{ padding-left: 2rem; padding-right: 2rem; }}
[data-testid="stMainBlockContainer"] h1 {{ font-size: 1.6rem; }}
[data-testid="stMainBlockContainer"] :is(h2, h3) {{ font-size: 1.2rem; padding: 0.25rem 0; }}
[data-testid="stMain"] [data-testid="stButtonGroup"] button {{ font-size: 0.8rem; min-height: 0;
                                                              padding: 0.15rem 0.6rem; }}
[data-testid="stMainBlockContainer"] [data-testid="stImage"] img {{ zoom: {PROJECTOR_IMAGE_ZOOM}; max-width: 100%; }}
</style>"""


def page_config() -> None:
    """The app's page config, first in every run. Projector mode (from the session or a link, seeded here before its
    toggle exists) collapses the sidebar: Streamlit applies `initial_sidebar_state` when it changes, so switching
    projector mode on closes the sidebar once, and a lecturer who opens it again keeps it open."""
    state.seed_from_link(state.GLOBAL_KNOBS)
    st.set_page_config(page_title="Latent Lab", page_icon=":material/explore:", layout="wide",
                       initial_sidebar_state="collapsed" if projector() else "auto")


def sidebar() -> None:
    """The sidebar every page shares: device, seed, projector mode and figure format, kept in session state."""
    with st.sidebar:
        st.subheader("Compute")
        have = devices.available()
        st.selectbox("Device", devices.CHOICES, key="device_choice",
                     help=f"'auto' picks the fastest this machine has. Available here: {', '.join(have)}.")
        st.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="seed",
                        help="Fixes the runs you start (initial weights, order of batches, noise) and the samples "
                             "and Monte-Carlo numbers drawn for you, whatever other users do meanwhile.")
        st.html(STAGE_CSS)  # before the projector's CSS, which overrides some of it
        lecture_settings()


def lecture_settings() -> None:
    """Projector mode and the figures' download format (inside the sidebar)."""
    st.subheader("Lecture")
    st.toggle("Projector mode", key="projector",
              help="Larger text everywhere, larger fonts and thicker lines in the charts, for a lecture hall. "
                   "Light or dark theme: the app menu ⋮ at the top right.")
    st.segmented_control("Figure download format", FIGURE_FORMATS, default="png", key="figure_format",
                         format_func=str.upper, required=True,
                         help="The camera button in a chart's toolbar (on hover) saves the chart in this format.")
    if projector():
        st.html(PROJECTOR_CSS)


def projector() -> bool:
    return bool(st.session_state.get("projector", False))


def figure_format() -> str:
    return st.session_state.get("figure_format") or "png"


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


# The browser's token (issue 23, item 5): a random secret in a cookie of the app's origin, never in a URL (a link
# copied to another browser must not hand it this browser's runs). Streamlit reads cookies from the session's first
# request (`st.context.cookies`), so a token made in a session reaches the server from the next session on (a
# reload); a hidden `st.html` script sets the cookie. Tests and AppTest, which cannot send cookies, seed
# `st.session_state[BROWSER_TOKEN_KEY]` with a valid token before the first run: the session uses it as its own.
BROWSER_COOKIE = "latent_lab_browser"
BROWSER_TOKEN_KEY = "browser_token"
TOKEN_BYTES = 24  # secrets.token_urlsafe(24): 32 characters of [A-Za-z0-9_-]
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")
COOKIE_MAX_AGE_S = 7 * 24 * 3600
_NEW_TOKEN_KEY = "browser_token_new"  # this session made the token: its cookie is set by `keep_browser_cookie`
COOKIE_SCRIPT = """<style>[data-testid="stElementContainer"]:has(> [data-testid="stHtml"] > script.latent-lab-browser)
{{ display: none; }}</style><script class="latent-lab-browser">
document.cookie = "{name}={token}; Path=/; Max-Age={max_age}; SameSite=Strict"
                  + (location.protocol === "https:" ? "; Secure" : "");
</script>"""


def valid_token(value: object) -> bool:
    """Whether `value` has the shape of a token this app makes (a cookie is the browser's to change)."""
    return isinstance(value, str) and TOKEN_PATTERN.fullmatch(value) is not None


def browser_token() -> str:
    """This browser's token: the session's own, else the cookie's (checked), else a new one (see
    `keep_browser_cookie`)."""
    token = st.session_state.get(BROWSER_TOKEN_KEY)
    if valid_token(token):
        return token
    token = st.context.cookies.get(BROWSER_COOKIE)
    if not valid_token(token):
        token = secrets.token_urlsafe(TOKEN_BYTES)
        st.session_state[_NEW_TOKEN_KEY] = True
    st.session_state[BROWSER_TOKEN_KEY] = token
    return token


def keep_browser_cookie() -> None:
    """Where this session made the browser's token, a hidden script (at this point of the page, taking no room)
    stores it in the cookie, so the browser's next session (a reload) has it. Drawn on every run of that session."""
    token = browser_token()
    if st.session_state.get(_NEW_TOKEN_KEY):
        st.html(COOKIE_SCRIPT.format(name=BROWSER_COOKIE, token=token, max_age=COOKIE_MAX_AGE_S),
                unsafe_allow_javascript=True)


def session_id() -> str | None:
    """This session's id (None outside a running script)."""
    ctx = get_script_run_ctx()
    return None if ctx is None else ctx.session_id
