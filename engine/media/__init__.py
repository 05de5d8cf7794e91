"""Media I/O: read images and sound, write MP4s.

* :func:`load_image` -> :class:`Image` (``rgb (H, W, 3) uint8``, ``alpha (H, W) uint8 | None``)
* :func:`load_audio` -> :class:`Audio` (``samples (N,) float32`` 16 kHz mono, ``original (C, M)``)
* :class:`Mp4Writer`: streaming H.264/AAC MP4 writer; :func:`check_writable`, :func:`even_size`
"""

from engine.media.audio import Audio, load_audio
from engine.media.image import Image, load_image
from engine.media.mp4 import Mp4Writer, check_writable, even_size

__all__ = [
    "Audio",
    "Image",
    "Mp4Writer",
    "check_writable",
    "even_size",
    "load_audio",
    "load_image",
]
