"""Video files that keep transparency: ProRes 4444 in MOV, VP9 with alpha in WebM.

Both are :class:`engine.media.mp4.Mp4Writer`s with other codecs: the same
atomic temporary file, cancellation, progress and streamed sound.

* :class:`ProResWriter` (``.mov``): Apple ProRes 4444 (FFmpeg's ``prores_ks``,
  ``yuva444p10le``: 10-bit 4:4:4 colour and 16-bit alpha), sound as 16-bit
  PCM at the source rate. The editors' interchange format (After Effects,
  Premiere, Final Cut, DaVinci Resolve, Blender). Large: about 25 Mbit/s at
  512 px.
* :class:`WebmWriter` (``.webm``): VP9 (libvpx) ``yuva420p`` (alpha as a second
  VP9 stream in Matroska's BlockAdditional), sound as Opus. Small; plays with
  its transparency in browsers and game engines. FFmpeg's own VP9 decoder
  ignores the alpha plane; decode with ``libvpx-vp9`` to get it.

Container tags: MOV takes the same keys as MP4 (``comment``, ``description``,
``keywords``, ``creation_time``); WebM stores them as Matroska tags, which
read back under the same names (upper case in the file).
"""

from __future__ import annotations

from collections.abc import Mapping

import av
import numpy as np

from engine.media.mp4 import Mp4Writer

_BT709 = 1
_RANGE_MPEG = 1


def _rgba(frame: np.ndarray) -> np.ndarray:
    """``(H, W, 4) uint8``: an RGB frame gets an opaque alpha channel."""
    if frame.shape[2] == 4:
        return np.ascontiguousarray(frame)
    out = np.empty(frame.shape[:2] + (4,), np.uint8)
    out[..., :3] = frame
    out[..., 3] = 255
    return out


class _AlphaWriter(Mp4Writer):
    keeps_alpha = True
    pix_fmt = "yuva420p"

    def _tag_colour(self, vs: av.video.stream.VideoStream) -> None:
        vs.width, vs.height = self.width, self.height
        vs.pix_fmt = self.pix_fmt
        vs.time_base = 1 / self.fps
        cc = vs.codec_context
        cc.time_base = 1 / self.fps
        cc.colorspace = cc.color_primaries = cc.color_trc = _BT709
        cc.color_range = _RANGE_MPEG
        cc.thread_count = 0

    def convert(self, frame: np.ndarray) -> av.VideoFrame:
        """The encoder's picture for one ``(H, W, 4) uint8`` RGBA frame (or RGB, opaque)."""
        self._check_frame(frame, (3, 4))
        vf = av.VideoFrame.from_ndarray(_rgba(frame), format="rgba")
        return vf.reformat(format=self.pix_fmt, dst_colorspace="ITU709",
                           dst_color_range="MPEG")


class ProResWriter(_AlphaWriter):
    """ProRes 4444 with alpha and PCM sound in a ``.mov`` (see the module docstring)."""

    container_format = "mov"
    pix_fmt = "yuva444p10le"
    audio_codec = "pcm_s16le"
    audio_rates = ()
    audio_sample_format = "s16"

    def _add_video(self, c: av.container.OutputContainer, crf: int,
                   preset: str) -> av.video.stream.VideoStream:
        vs = c.add_stream("prores_ks", rate=self.fps)
        self._tag_colour(vs)
        # "ap4h" is what Apple's own encoder writes; editors check it.
        vs.codec_context.options = {"profile": "4444", "vendor": "apl0", "alpha_bits": "16"}
        vs.codec_context.codec_tag = "ap4h"
        return vs


class WebmWriter(_AlphaWriter):
    """VP9 with alpha and Opus sound in a ``.webm`` (see the module docstring)."""

    container_format = "webm"
    audio_codec = "libopus"
    audio_rates = (48000, 24000, 16000, 12000, 8000)
    audio_sample_format = "flt"

    def _container_options(self, metadata: Mapping[str, str]) -> dict[str, str]:
        return {}

    def _add_video(self, c: av.container.OutputContainer, crf: int,
                   preset: str) -> av.video.stream.VideoStream:
        vs = c.add_stream("libvpx-vp9", rate=self.fps)
        self._tag_colour(vs)
        # Constant quality (crf with no bit-rate cap); "good" at cpu-used 5 with
        # row threads keeps a 1024 px export within a few times real time.
        vs.codec_context.options = {"crf": str(int(crf) + 13), "b": "0", "deadline": "good",
                                    "cpu-used": "5", "row-mt": "1"}
        return vs
