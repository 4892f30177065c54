"""A latent map that decodes under the pointer with no server round trip, and exactly where it is released.

Python sends, once per model, the codes to draw (coloured by label, with a legend), optional marks (the prior
samples, as ×) and a pre-decoded n×n grid of images as one PNG sprite sheet. The browser shows the grid image
nearest the pointer while it moves or drags, keeps a crosshair at the last released point, and reports the release,
which the page then decodes exactly. Touch works as a pointer; from the keyboard, the arrow keys move the crosshair
(Shift: faster) and Enter or Space decodes there. Everything is drawn on a canvas: a click costs the browser one
small redraw, however many codes the map shows, which is what lets a hall of students click at once
(BENCHMARKS.md, issue 11). Built on `st.components.v2`, whose inline JavaScript needs no build step.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import streamlit as st
from PIL import Image

from explorer.figures import PALETTE

JS = """
export default function(component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector('.hover-map');
  if (root.dataset.version === data.version) return;
  root.dataset.version = data.version;
  const [x0, x1, y0, y1] = data.extent;
  const map = root.querySelector('canvas.map'), view = root.querySelector('canvas.view');
  const label = root.querySelector('.coords');
  const ctx = map.getContext('2d'), vctx = view.getContext('2d');
  const S = map.width, sprite = new Image();
  let released = data.released ? toPx(...data.released) : null, cursor = released || [S / 2, S / 2];
  function toPx(z1, z2) { return [(z1 - x0) / (x1 - x0) * S, (1 - (z2 - y0) / (y1 - y0)) * S]; }
  const toZ = (px, py) => [x0 + px / S * (x1 - x0), y0 + (1 - py / S) * (y1 - y0)];
  const clamp = (v) => Math.max(0, Math.min(S, v));
  root.querySelector('.legend').innerHTML = data.legend.map(([text, c]) =>
    `<span><i style="background:${data.palette[c % data.palette.length]}"></i>${text}</span>`).join('') +
    (data.marks.length ? `<span><b>×</b>${data.marks_name}</span>` : '');
  function drawMap(mark) {
    ctx.clearRect(0, 0, S, S);
    ctx.strokeStyle = '#8886'; ctx.lineWidth = 1;  // the axes z₁ = 0 and z₂ = 0, where the prior is centred
    const [ox, oy] = toPx(0, 0);
    ctx.beginPath(); ctx.moveTo(ox, 0); ctx.lineTo(ox, S); ctx.moveTo(0, oy); ctx.lineTo(S, oy); ctx.stroke();
    for (const [z1, z2, c] of data.points) {
      const [px, py] = toPx(z1, z2);
      ctx.fillStyle = data.palette[c % data.palette.length];
      ctx.fillRect(px - 2, py - 2, 4, 4);
    }
    for (const [colour, width] of [['white', 4.5], ['black', 2]]) {  // black with a white rim: both themes
      ctx.strokeStyle = colour; ctx.lineWidth = width;
      for (const [z1, z2] of data.marks) {
        const [px, py] = toPx(z1, z2);
        ctx.beginPath(); ctx.moveTo(px - 5, py - 5); ctx.lineTo(px + 5, py + 5);
        ctx.moveTo(px + 5, py - 5); ctx.lineTo(px - 5, py + 5); ctx.stroke();
      }
    }
    if (!mark) return;
    ctx.strokeStyle = 'crimson'; ctx.lineWidth = 2; ctx.setLineDash([6, 4]);
    ctx.beginPath(); ctx.moveTo(mark[0], 0); ctx.lineTo(mark[0], S);
    ctx.moveTo(0, mark[1]); ctx.lineTo(S, mark[1]); ctx.stroke(); ctx.setLineDash([]);
  }
  function show(px, py) {
    const [z1, z2] = toZ(px, py), n = data.n;
    const col = Math.max(0, Math.min(n - 1, Math.round(px / S * (n - 1))));
    const row = Math.max(0, Math.min(n - 1, Math.round((1 - py / S) * (n - 1))));
    vctx.imageSmoothingEnabled = false;
    vctx.drawImage(sprite, col * data.w, row * data.h, data.w, data.h, 0, 0, view.width, view.height);
    label.textContent = `z = (${z1.toFixed(2)}, ${z2.toFixed(2)})`;
    drawMap([px, py]);
    return [z1, z2];
  }
  function release(px, py) {
    released = cursor = [px, py];
    const [z1, z2] = show(px, py);
    setTriggerValue('released', {z1, z2});
  }
  const pos = (e) => { const r = map.getBoundingClientRect();
    return [clamp((e.clientX - r.left) / r.width * S), clamp((e.clientY - r.top) / r.height * S)]; };
  sprite.onload = () => { show(...cursor); drawMap(released); };
  sprite.src = data.sprite;
  map.onpointermove = (e) => show(...pos(e));
  map.onpointerdown = (e) => { map.setPointerCapture(e.pointerId); show(...pos(e)); };
  map.onpointerup = (e) => release(...pos(e));
  map.onpointerleave = () => drawMap(released);  // the crosshair goes back to the decoded point
  root.querySelector('a.save').onclick = (e) => { e.currentTarget.href = map.toDataURL('image/png'); };
  root.querySelector('a.save').download = data.file_name;
  map.onkeydown = (e) => {
    const step = (e.shiftKey ? 4 : 1) * S / 40;
    const moves = {ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step]};
    if (moves[e.key]) { cursor = [clamp(cursor[0] + moves[e.key][0]), clamp(cursor[1] + moves[e.key][1])];
                        show(...cursor); e.preventDefault(); }
    else if (e.key === 'Enter' || e.key === ' ') { release(...cursor); e.preventDefault(); }
  };
}
"""

HTML = """
<div class="hover-map">
  <div class="left">
    <canvas class="map" width="420" height="420" tabindex="0" role="application"
      aria-label="latent map: move or drag to preview, release to decode; arrow keys move, Enter decodes"></canvas>
    <div class="legend"></div>
    <a class="save" href="#">Save the map as PNG</a>
  </div>
  <div class="side"><canvas class="view" width="224" height="224"></canvas><div class="coords"></div>
  <div class="hint">Move over the map: the image follows the pointer. Click or release to decode that exact point.
  Keys: arrows move, Enter decodes.</div></div>
</div>
"""

CSS = """
.hover-map { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; font-size: 1.05rem;
             container-type: inline-size; position: relative; }
/* A column too narrow for the preview beside the map (AE vs VAE: two maps side by side) wrapped it under the map,
   off a projector's screen while the pointer moves: there it sits in the map's top-right corner instead. */
@container (max-width: 600px) {
  .hover-map .side { position: absolute; top: 1px; right: 1px; pointer-events: none; }  /* clicks reach the map */
  .hover-map canvas.view { width: 112px; height: 112px; }
  .hover-map .hint { display: none; }
  .hover-map .coords { font-size: .8rem; margin-top: 0; background: #fffd; color: #111; padding: 0 .2rem; }
}
.hover-map .left { width: min(420px, 100%); }
canvas.map { border: 1px solid #8884; cursor: crosshair; touch-action: none; width: 100%; aspect-ratio: 1; }
canvas.map:focus-visible { outline: 3px solid crimson; }
canvas.view { border: 1px solid #8884; background: black; width: 160px; height: 160px; }
.coords { font-family: monospace; margin-top: .3rem; font-size: 1.05rem; }
.hint { opacity: .75; max-width: 200px; margin-top: .3rem; font-size: .95rem; }
.legend { display: flex; flex-wrap: wrap; gap: .2rem .7rem; margin-top: .3rem; font-size: .95rem; }
.legend i { display: inline-block; width: .75rem; height: .75rem; margin-right: .25rem; border-radius: 2px; }
.legend b { margin-right: .25rem; }
a.save { font-size: .9rem; opacity: .8; }
"""

_component = st.components.v2.component("latent_lab.hover_map", html=HTML, css=CSS, js=JS)


def sprite_png(tiles: np.ndarray) -> str:
    """(n, n, H, W) grid in [0, 1], row 0 at the lowest z₂ -> a data URL of one PNG sheet.

    The sheet keeps grid row r at pixel rows r*H..(r+1)*H, which is how the JavaScript indexes it.
    """
    n, _, h, w = tiles.shape
    sheet = tiles.transpose(0, 2, 1, 3).reshape(n * h, n * w)  # (n, H, n, W) -> (n*H, n*W)
    buffer = io.BytesIO()
    Image.fromarray((np.clip(sheet, 0, 1) * 255).astype(np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def payload(codes: np.ndarray, labels: np.ndarray | None, tiles: np.ndarray,
            extent: tuple[float, float, float, float], version: str, marks: np.ndarray | None = None,
            marks_name: str = "prior samples z ~ N(0, I)", file_name: str = "latent-lab-latent-map.png") -> dict:
    """What the browser draws, as JSON-ready data; build it once per model (it holds a PNG) and cache it."""
    n, _, h, w = tiles.shape
    label_ids = np.zeros(len(codes), dtype=int) if labels is None else labels.astype(int)
    return {
        "version": version, "extent": [float(v) for v in extent], "n": n, "h": h, "w": w,
        "sprite": sprite_png(tiles), "palette": list(PALETTE),
        "points": [[round(float(a), 3), round(float(b), 3), int(c)]
                   for (a, b), c in zip(codes[:, :2], label_ids, strict=False)],
        "legend": [] if labels is None else [[str(c), int(c)] for c in np.unique(label_ids)],
        "marks": [] if marks is None else [[round(float(a), 3), round(float(b), 3)] for a, b in marks[:, :2]],
        "marks_name": marks_name, "file_name": file_name,
    }


def hover_map(data: dict, key: str, released: tuple[float, float] | None = None) -> tuple[float, float] | None:
    """Mount the map drawn from `payload(...)`, with a crosshair at `released` (the last decoded point) when the
    page reopens; returns (z1, z2) of a release in this run, or None."""
    data = {**data, "released": None if released is None else [float(released[0]), float(released[1])]}
    result = _component(data=data, key=key, on_released_change=lambda: None)
    point = getattr(result, "released", None)
    return None if point is None else (float(point["z1"]), float(point["z2"]))
