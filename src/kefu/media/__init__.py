"""kefu's media engine: RTP legs, codecs, jitter buffers, DTMF, the mixer, players, recorders.

Everything runs on one asyncio loop and one 20 ms clock (see :mod:`.engine`).  This
package imports nothing else from kefu; the SIP and CTI layers drive it through
:class:`MediaEngine` and the pure SDP helpers in :mod:`.sdp`.
"""

from .codecs import FRAME_SAMPLES, MIX_RATE, Codec, codec_by_name, supported_codecs
from .dtmf import detect_keys, dtmf_samples
from .engine import MediaEngine
from .errors import MediaError
from .leg import RtpLeg
from .mixer import Source
from .moh import MOH_NOTES, builtin_moh, load_moh
from .player import Player
from .recorder import Recorder
from .sdp import (
    DTMF_PT,
    Negotiated,
    SdpError,
    SessionDescription,
    build_sdp,
    negotiate,
    offer_formats,
    parse_sdp,
)

__all__ = [
    "FRAME_SAMPLES",
    "MIX_RATE",
    "Codec",
    "codec_by_name",
    "supported_codecs",
    "detect_keys",
    "dtmf_samples",
    "MediaEngine",
    "MediaError",
    "RtpLeg",
    "Source",
    "MOH_NOTES",
    "builtin_moh",
    "load_moh",
    "Player",
    "Recorder",
    "DTMF_PT",
    "Negotiated",
    "SdpError",
    "SessionDescription",
    "build_sdp",
    "negotiate",
    "offer_formats",
    "parse_sdp",
]
