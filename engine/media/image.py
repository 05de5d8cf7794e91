"""Read a portrait from any common image file.

:func:`load_image` reads PNG, JPEG, WebP, BMP and TIFF (and anything else
Pillow opens), turns the picture upright by its EXIF orientation, and returns
an :class:`Image`: ``rgb`` ``(H, W, 3) uint8`` plus ``alpha`` ``(H, W) uint8``
(or ``None`` when the file has no transparency).

16-bit samples are scaled to 8 bits (``round(v / 257)``, so 65535 -> 255),
never clipped; greyscale is repeated into the three channels. The size is
checked from the header before any pixel is decoded, so a huge image is
refused at once without using memory.
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PIL import ImageFile, ImageOps, UnidentifiedImageError

from engine.errors import ImageError
from engine.media.files import check_input_file

log = logging.getLogger(__name__)

#: Smallest accepted side, pixels.
MIN_SIDE = 64
#: Largest accepted image, pixels (50 megapixels).
MAX_PIXELS = 50_000_000


@dataclass(frozen=True, eq=False)
class Image:
    """A decoded picture.

    Attributes:
        rgb: ``(H, W, 3) uint8`` RGB, upright (EXIF orientation applied).
        alpha: ``(H, W) uint8`` opacity (255 = opaque), or ``None`` when the
            file has no transparency.
        path: the file it came from.
    """

    rgb: np.ndarray
    alpha: np.ndarray | None
    path: str

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


def load_image(path: str | os.PathLike[str]) -> Image:
    """Decode ``path`` into an upright 8-bit RGB image and an optional alpha mask.

    Raises:
        ImageError: the file is missing, empty, not an image, damaged
            (for example a truncated JPEG), smaller than :data:`MIN_SIDE`
            pixels on a side, or larger than :data:`MAX_PIXELS`.
    """
    p = check_input_file(path, "image")
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        log.warning("PIL.ImageFile.LOAD_TRUNCATED_IMAGES is on: damaged images may load")

    try:
        with warnings.catch_warnings():
            # Our own budget (MAX_PIXELS) decides; Pillow's bomb warning would only be noise.
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            im = PILImage.open(p)
    except PILImage.DecompressionBombError:
        raise ImageError(_too_large(p, None)) from None
    except UnidentifiedImageError:
        raise ImageError(f"The file {p.name} is not an image that can be read. "
                         "Use a PNG, JPEG, WebP, BMP or TIFF file.") from None
    except OSError as e:
        raise ImageError(f"The image {p.name} cannot be read ({e.strerror or e}).") from e

    with im:
        w, h = im.size
        if w * h > MAX_PIXELS:
            raise ImageError(_too_large(p, (w, h)))
        if min(w, h) < MIN_SIDE:
            raise ImageError(f"The image {p.name} is too small ({w}x{h} pixels): a portrait "
                             f"must be at least {MIN_SIDE} pixels on each side.")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
                im.load()
                upright = ImageOps.exif_transpose(im)
        except PILImage.DecompressionBombError:
            raise ImageError(_too_large(p, (w, h))) from None
        except (OSError, SyntaxError, ValueError, EOFError) as e:
            log.debug("decoding %s failed: %s", p, e)
            raise ImageError(f"The image {p.name} is damaged or incomplete and cannot be "
                             "read.") from e
        upright = _to_srgb(upright, p.name)
        rgb, alpha = _to_rgb8(upright)
    log.info("loaded %s: %dx%d%s", p.name, rgb.shape[1], rgb.shape[0],
             " with alpha" if alpha is not None else "")
    return Image(rgb=rgb, alpha=alpha, path=str(p))


def _to_srgb(im: PILImage.Image, name: str) -> PILImage.Image:
    """Convert an RGB/RGBA image with an embedded non-sRGB ICC profile (e.g. Display P3) to sRGB.

    Exported videos are sRGB/BT.709, so a wide-gamut photo would otherwise look
    dull. Profiles that fail to parse are ignored (logged).
    """
    icc = im.info.get("icc_profile")
    if not icc or im.mode not in ("RGB", "RGBA"):
        return im
    try:
        from PIL import ImageCms

        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        desc = (ImageCms.getProfileDescription(src) or "").strip()
        if "srgb" in desc.lower().replace(" ", ""):
            return im
        out = ImageCms.profileToProfile(im, src, ImageCms.createProfile("sRGB"),
                                        outputMode=im.mode)
        log.info("%s: converted from colour profile %r to sRGB", name, desc)
        return out if out is not None else im
    except Exception as e:  # noqa: BLE001 - a bad profile must not stop the load
        log.warning("%s: ignoring its colour profile (%s)", name, e)
        return im


def _too_large(p: Path, size: tuple[int, int] | None) -> str:
    dims = f" ({size[0]}x{size[1]} pixels)" if size else ""
    return (f"The image {p.name} is too large{dims}: the largest image Talkie accepts has "
            f"{MAX_PIXELS // 1_000_000} million pixels. Scale it down and try again.")


def _to8(a: np.ndarray) -> np.ndarray:
    """Any integer/float sample array to ``uint8``, scaling 16-bit ranges properly."""
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.bool_:
        return a.astype(np.uint8) * np.uint8(255)
    if np.issubdtype(a.dtype, np.floating):
        finite = a[np.isfinite(a)]
        top = float(finite.max()) if finite.size else 1.0
        scale = 255.0 if top <= 1.0 else (255.0 / 65535.0 if top > 255.0 else 1.0)
        return np.clip(np.nan_to_num(a) * scale + 0.5, 0, 255).astype(np.uint8)
    # Integer: 16-bit data (also 16-bit held in 32-bit "I" mode) -> /257.
    top = int(a.max()) if a.size else 0
    if a.dtype.itemsize == 1 or (a.dtype.itemsize > 2 and top <= 255):
        return np.clip(a, 0, 255).astype(np.uint8)
    b = np.clip(a.astype(np.uint32), 0, 65535)
    return ((b + 128) // 257).astype(np.uint8)


def _to_rgb8(im: PILImage.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """``(H, W, 3) uint8`` RGB and ``(H, W) uint8`` alpha or None."""
    mode = im.mode
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif mode == "PA":
        im = im.convert("RGBA")
    elif mode in ("La", "RGBa"):  # premultiplied
        im = im.convert("RGBA")
    elif mode == "1":
        im = im.convert("L")
    elif mode == "L" and "transparency" in im.info:
        im = im.convert("LA")
    elif mode == "RGB" and "transparency" in im.info:
        im = im.convert("RGBA")
    elif mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        im = im.convert("RGB")
    mode = im.mode

    if mode in ("RGB", "RGBA", "RGBX"):
        a = np.asarray(im)
        rgb = np.ascontiguousarray(a[..., :3])
        alpha = np.ascontiguousarray(a[..., 3]) if mode == "RGBA" else None
    elif mode in ("L", "LA"):
        a = np.asarray(im)
        grey = a if mode == "L" else a[..., 0]
        rgb = np.repeat(grey[..., None], 3, axis=2)
        alpha = np.ascontiguousarray(a[..., 1]) if mode == "LA" else None
    elif mode.startswith("I") or mode == "F":
        # 16-bit greyscale ("I;16", "I;16B", ...), 32-bit int "I" holding 16-bit data, float "F".
        grey = _to8(np.asarray(im))
        rgb = np.repeat(grey[..., None], 3, axis=2)
        alpha = None
    else:
        rgb = np.asarray(im.convert("RGB"))
        alpha = None
    return np.ascontiguousarray(rgb, dtype=np.uint8), alpha


def flatten(frame: np.ndarray, background: tuple[int, int, int]) -> np.ndarray:
    """``(h, w, 3) uint8``: an RGBA frame composited over a solid ``background`` colour.

    An RGB frame is returned as is. Formats without alpha (H.264 MP4) need
    this: dropping alpha would show whatever colour the file stored under its
    transparent pixels.

    Args:
        frame: ``(h, w, 3|4) uint8``, straight (not premultiplied) alpha.
        background: ``(r, g, b)`` 0..255.
    """
    if frame.ndim != 3 or frame.shape[2] != 4:
        return frame
    a = frame[..., 3:4].astype(np.uint16)
    bg = np.asarray(background, np.uint16).reshape(1, 1, 3)
    out = (frame[..., :3].astype(np.uint16) * a + bg * (255 - a) + 127) // 255
    return out.astype(np.uint8)
