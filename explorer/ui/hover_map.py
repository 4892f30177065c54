"""A latent map that decodes under the pointer with no server round trip.

Python sends, once per model, the codes to draw and a pre-decoded n×n grid of images as one
PNG sprite sheet; the browser shows the grid image nearest the pointer while it moves (or drags)
and reports the point where the pointer is released, which the page then decodes exactly.
Built on `st.components.v2`, whose inline JavaScript needs no build step.
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
  const toPx = (z1, z2) => [(z1 - x0) / (x1 - x0) * S, (1 - (z2 - y0) / (y1 - y0)) * S];
  const toZ = (px, py) => [x0 + px / S * (x1 - x0), y0 + (1 - py / S) * (y1 - y0)];
  function drawMap(mark) {
    ctx.clearRect(0, 0, S, S);
    for (const [z1, z2, c] of data.points) {
      const [px, py] = toPx(z1, z2);
      ctx.fillStyle = data.palette[c % data.palette.length];
      ctx.fillRect(px - 2, py - 2, 4, 4);
    }
    if (!mark) return;
    ctx.strokeStyle = 'crimson'; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(mark[0], 0); ctx.lineTo(mark[0], S);
    ctx.moveTo(0, mark[1]); ctx.lineTo(S, mark[1]); ctx.stroke();
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
  const pos = (e) => { const r = map.getBoundingClientRect();
    return [(e.clientX - r.left) / r.width * S, (e.clientY - r.top) / r.height * S]; };
  sprite.onload = () => { drawMap(null); show(S / 2, S / 2); };
  sprite.src = data.sprite;
  map.onpointermove = (e) => show(...pos(e));
  map.onpointerdown = (e) => { map.setPointerCapture(e.pointerId); show(...pos(e)); };
  map.onpointerup = (e) => { const [z1, z2] = show(...pos(e)); setTriggerValue('released', {z1, z2}); };
}
"""

HTML = """
<div class="hover-map">
  <canvas class="map" width="420" height="420" title="move or drag to decode; release to decode exactly"></canvas>
  <div class="side"><canvas class="view" width="224" height="224"></canvas><div class="coords"></div>
  <div class="hint">Move the pointer over the map: the image follows it. Release to decode the exact point.</div></div>
</div>
"""

CSS = """
.hover-map { display: flex; gap: 1.2rem; align-items: flex-start; font-size: 1.05rem; }
canvas.map { border: 1px solid #8884; cursor: crosshair; touch-action: none; width: 420px; height: 420px; }
canvas.view { border: 1px solid #8884; background: black; width: 224px; height: 224px; }
.coords { font-family: monospace; margin-top: .4rem; font-size: 1.1rem; }
.hint { opacity: .75; max-width: 230px; margin-top: .4rem; }
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


def hover_map(codes: np.ndarray, labels: np.ndarray | None, tiles: np.ndarray,
              extent: tuple[float, float, float, float], version: str, key: str):
    """Mount the map; returns (z1, z2) of the last release in this rerun, or None."""
    n, _, h, w = tiles.shape
    label_ids = np.zeros(len(codes), dtype=int) if labels is None else labels.astype(int)
    payload = {
        "version": version, "extent": list(extent), "n": n, "h": h, "w": w,
        "sprite": sprite_png(tiles), "palette": list(PALETTE),
        "points": [[round(float(a), 3), round(float(b), 3), int(c)]
                   for (a, b), c in zip(codes[:, :2], label_ids, strict=False)],
    }
    result = _component(data=payload, key=key, on_released_change=lambda: None)
    released = getattr(result, "released", None)
    return None if released is None else (float(released["z1"]), float(released["z2"]))
