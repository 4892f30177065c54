"""A simulated browser's copy of one Streamlit page, built from the ForwardMsgs of Streamlit's websocket protocol.

The browser keeps the page as a tree of elements addressed by delta paths ([0, 3, 1] is the second child of the
fourth child of the main container), each tagged with the fragment that drew it. `PageView` keeps the same: it
applies `delta` messages, resolves `ref_hash` messages from its cache of cacheable messages (the hashes it has go
back to the server in every rerun, which then sends references instead of megabytes of component data, as it does
to a browser), and at the end of a run drops what the run did not redraw (a full run: everything; a fragment run:
that fragment's elements), as the frontend does. Widgets are found by their key (the suffix of their id) or label;
`explorer.bench.ws_widgets` turns a value into the WidgetState a rerun sends.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

# ForwardMsg.script_finished: a run that ended early because a newer rerun replaced it is not an end
FINISHED_OK, COMPILE_ERROR, FINISHED_EARLY_FOR_RERUN, FRAGMENT_FINISHED_OK = 0, 1, 2, 3
VISUAL_KINDS = frozenset({"imgs", "plotly_chart", "vega_lite_chart", "deck_gl_json_chart", "graphviz_chart",
                          "echarts_chart", "bidi_component"})
TEXT_FIELDS = {"markdown": "body", "text": "body", "heading": "body", "alert": "body", "progress": "text",
               "exception": "message", "code": "code_text"}
BLOCK_WIDGETS = ("tab_container", "expandable", "popover")  # blocks that are widgets (lazy tabs, expanders)


@dataclass(frozen=True)
class Widget:
    """A widget on the page: its element kind ('slider', 'bidi_component', 'tab_container', …), its proto, and
    the fragment it is drawn in ('' outside fragments: a change reruns the whole page)."""

    kind: str
    proto: object
    fragment_id: str
    path: tuple[int, ...]

    @property
    def id(self) -> str:
        return self.proto.id

    @property
    def key(self) -> str:
        """The user's key: Streamlit ids read '$$ID-<hash>-<key>' ('$$ID-<hash>-None' when the widget has none)."""
        return self.id.split("-", 2)[-1] if self.id.startswith("$$ID-") else ""

    @property
    def label(self) -> str:
        return getattr(self.proto, "label", "")


@dataclass
class RunState:
    """The run in progress, as its new_session message announced it."""

    run_id: str = ""
    fragment_ids: tuple[str, ...] = ()
    drawn: set = field(default_factory=set)  # delta paths this run sent


class PageView:
    """The page as the server last drew it; `apply` each ForwardMsg in order."""

    def __init__(self) -> None:
        self.elements: dict[tuple[int, ...], tuple[str, object]] = {}  # path -> (kind, element proto)
        self.blocks: dict[tuple[int, ...], object] = {}
        self.fragment_of: dict[tuple[int, ...], str] = {}
        self.cache: dict[str, ForwardMsg] = {}  # hash -> a cacheable ForwardMsg, for ref_hash messages
        self.page_script_hash = ""
        self.pages: dict[str, str] = {}  # the app's pages, URL path -> page script hash ('' is the default page)
        self.run = RunState()
        self.unresolved_refs = 0  # ref_hash messages this cache could not resolve: a protocol error

    def resolve(self, msg: ForwardMsg) -> ForwardMsg | None:
        """The message itself, or for a ref_hash the cached message it points to, with the reference's metadata
        (its delta path is where this run puts it); None when the hash is not in the cache."""
        if msg.WhichOneof("type") == "ref_hash":
            cached = self.cache.get(msg.ref_hash)
            if cached is None:
                self.unresolved_refs += 1
                return None
            full = ForwardMsg()
            full.CopyFrom(cached)
            full.metadata.CopyFrom(msg.metadata)
            return full
        if msg.metadata.cacheable:
            self.cache[msg.hash] = msg
        return msg

    def apply(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.page_script_hash = msg.new_session.page_script_hash
            self.run = RunState(msg.metadata.run.script_run_id, tuple(msg.metadata.run.fragment_ids))
        elif kind == "navigation":
            self.pages = {page.url_pathname: page.page_script_hash for page in msg.navigation.app_pages}
            self.page_script_hash = msg.navigation.page_script_hash  # new_session's names app.py: st.navigation
        elif kind == "delta":
            self._apply_delta(msg)
        elif kind == "script_finished" and msg.script_finished in (FINISHED_OK, FRAGMENT_FINISHED_OK):
            self._drop_stale(msg.script_finished == FRAGMENT_FINISHED_OK)

    def _apply_delta(self, msg: ForwardMsg) -> None:
        path, delta = tuple(msg.metadata.delta_path), msg.delta
        which = delta.WhichOneof("type")
        if which == "new_element":
            self.elements[path] = (delta.new_element.WhichOneof("type"), delta.new_element)
        elif which == "add_block":
            self.blocks[path] = delta.add_block
        else:
            return  # transient elements (spinners, toasts) are not part of the page
        self.fragment_of[path] = delta.fragment_id
        self.run.drawn.add(path)

    def _drop_stale(self, fragment_run: bool) -> None:
        """What this run did not redraw is gone: on a fragment run, only within its fragments."""
        for store in (self.elements, self.blocks):
            for path in list(store):
                in_scope = not fragment_run or self.fragment_of.get(path) in self.run.fragment_ids
                if in_scope and path not in self.run.drawn:
                    del store[path]

    def cached_hashes(self) -> list[str]:
        return list(self.cache)

    def widgets(self) -> Iterator[Widget]:
        for path, (kind, element) in sorted(self.elements.items()):
            proto = getattr(element, kind)
            if getattr(proto, "id", ""):
                yield Widget(kind, proto, self.fragment_of.get(path, ""), path)
        for path, block in sorted(self.blocks.items()):
            kind = block.WhichOneof("type")
            if kind in BLOCK_WIDGETS and getattr(block, kind).id:
                yield Widget(kind, getattr(block, kind), self.fragment_of.get(path, ""), path)

    def find(self, key: str | None = None, label: str | None = None, kind: str | None = None) -> Widget:
        """The first widget with this key (exact) or label (exact, else the start of it) and kind; LookupError."""
        found = [w for w in self.widgets() if (kind is None or w.kind == kind)
                 and (key is None or w.key == key) and (label is None or w.label.startswith(label))]
        exact = [w for w in found if label is None or w.label == label]
        if not found:
            raise LookupError(f"no widget with key={key!r} label={label!r} kind={kind!r}; "
                              f"the page has {[(w.kind, w.key or w.label) for w in self.widgets()]}")
        return (exact or found)[0]

    def texts(self) -> list[str]:
        """Every text the page shows: markdown, headings, alerts, progress bars' texts, exceptions, image captions."""
        found = []
        for _, (kind, element) in sorted(self.elements.items()):
            if kind in TEXT_FIELDS:
                found.append(getattr(getattr(element, kind), TEXT_FIELDS[kind]))
            elif kind == "imgs":
                found += [image.caption for image in element.imgs.imgs if image.caption]
        return found

    def images(self) -> list[tuple[str, str]]:
        """(url, caption) of every image on the page, in page order."""
        return [(image.url, image.caption) for _, (kind, element) in sorted(self.elements.items()) if kind == "imgs"
                for image in element.imgs.imgs]

    def exceptions(self) -> list[str]:
        return [element.exception.message for kind, element in self.elements.values() if kind == "exception"]
