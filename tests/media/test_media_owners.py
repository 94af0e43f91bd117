"""No media module reaches into another one's underscore fields.

What the tick plan or the engine reads or writes on a leg, player, recorder or
concealer is a public attribute or method declared (with a docstring) by the class
that owns it; an underscore name stays inside the module whose classes define it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import kefu.media

MEDIA = Path(kefu.media.__file__).parent
# aiortc's RTCRtpReceiver internals the WebRTC line hooks into (not a media module's)
FOREIGN = {("webrtc", "_enabled"), ("webrtc", "_handle_rtp_packet")}


def _defined(tree: ast.Module) -> set[str]:
    """Underscore names a module's classes define: methods, class and self attributes."""
    names: set[str] = set()
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        for n in ast.walk(cls):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(n.name)
            elif isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store):
                names.add(n.attr)
            elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                names.add(n.id)
    return names


def test_underscore_fields_stay_in_their_module() -> None:
    reached: list[str] = []
    for path in sorted(MEDIA.glob("*.py")):
        tree = ast.parse(path.read_text())
        own = _defined(tree)
        for n in ast.walk(tree):
            if (isinstance(n, ast.Attribute) and n.attr.startswith("_") and not n.attr.startswith("__")
                    and not (isinstance(n.value, ast.Name) and n.value.id in ("self", "cls"))
                    and n.attr not in own and (path.stem, n.attr) not in FOREIGN):
                reached.append(f"{path.name}:{n.lineno} .{n.attr}")
    assert not reached, "give these fields a declared owner (public, documented):\n" + "\n".join(reached)
