"""The browser libraries of the web shell (Preact, htm, signals, dagre, wavesurfer.js,
ECharts), served from the npm packages that ``npm ci`` installed next to this module:
``web/frontend/node_modules``.

The packages come from the npm registry at set-up (``scripts/test`` and ``scripts/demo``
run ``npm ci`` against the committed ``package-lock.json``); nothing third-party is in the
repository and nothing is loaded from a CDN.  ``MODULES`` is the one list of what the
pages may import: it gives both the import map written into the shell's page and the
only files ``/static/vendor/…`` serves (the rest of node_modules stays private).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

log = logging.getLogger(__name__)

FRONTEND_DIR = Path(__file__).resolve().parent / "frontend"
NODE_MODULES = FRONTEND_DIR / "node_modules"
VENDOR_URL = "/static/vendor"
INSTALL_HINT = f"run `npm ci --prefix {FRONTEND_DIR}` (scripts/test and scripts/demo do it)"

# import specifier → its ES module file under node_modules (the bare specifiers the
# packages import from each other are all here, so the import map resolves every one)
MODULES: dict[str, str] = {
    "preact": "preact/dist/preact.mjs",
    "preact/hooks": "preact/hooks/dist/hooks.mjs",
    "htm": "htm/dist/htm.mjs",
    "htm/preact": "htm/preact/index.mjs",
    "@preact/signals-core": "@preact/signals-core/dist/signals-core.mjs",
    "@preact/signals": "@preact/signals/dist/signals.mjs",
    # the IVR flow diagram's layout (one ES module, graphlib bundled in, no imports)
    "@dagrejs/dagre": "@dagrejs/dagre/dist/dagre.esm.js",
    # the recordings player's waveform and its regions (paused spans, QA markers): each
    # one ES module with no imports
    "wavesurfer.js": "wavesurfer.js/dist/wavesurfer.esm.js",
    "wavesurfer.js/dist/plugins/regions.esm.js": "wavesurfer.js/dist/plugins/regions.esm.js",
    # the reports' charts (bar, pie, line; Chinese and English built in): the full build
    # as one ES module with no imports (zrender bundled)
    "echarts": "echarts/dist/echarts.esm.min.js",
}
_FILES = frozenset(MODULES.values())
_NO_CACHE = {"Cache-Control": "no-cache"}   # revalidated (ETag): an upgrade is seen at once

router = APIRouter(include_in_schema=False)


def missing(root: Path | None = None) -> list[str]:
    """The module files not installed (empty when ``npm ci`` has run)."""
    base = root or NODE_MODULES
    return [path for path in MODULES.values() if not (base / path).is_file()]


def import_map() -> str:
    """The ``<script type="importmap">`` body: every specifier to its URL here."""
    return json.dumps({"imports": {spec: f"{VENDOR_URL}/{path}" for spec, path in MODULES.items()}},
                      indent=1)


def check_installed() -> bool:
    """Log once at start-up, clearly, when the shell's libraries are not installed."""
    absent = missing()
    if absent:
        log.error("web shell: front-end packages not installed (%s missing): %s; "
                  "the web shell at / answers 503 until then",
                  ", ".join(absent), INSTALL_HINT)
    return not absent


@router.get(VENDOR_URL + "/{path:path}")
def vendor_file(path: str) -> FileResponse:
    """One of ``MODULES``' files: 404 for anything else, 503 when not installed."""
    if path not in _FILES:
        raise HTTPException(404, f"no front-end module {path!r}")
    file = NODE_MODULES / path
    if not file.is_file():
        log.warning("GET %s/%s: front-end packages not installed; %s", VENDOR_URL, path, INSTALL_HINT)
        raise HTTPException(503, f"front-end packages not installed: {INSTALL_HINT}")
    return FileResponse(file, media_type="text/javascript; charset=utf-8", headers=_NO_CACHE)
