"""Images a user uploads, cleaned: decoded by Pillow, turned upright, re-encoded without any
metadata (EXIF with its GPS position, XMP, ICC profiles, comments, text chunks), and a thumbnail.

CPU-bound: callers run `clean_image` in a worker thread (services/files.py), never on the
event loop. Only PNG, JPEG, GIF and WebP are opened (Pillow's other decoders are never tried);
anything over `max_pixels` (all frames of an animation counted) is not decoded at all.
"""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageCms, ImageOps, ImageSequence, JpegImagePlugin

log = logging.getLogger(__name__)

# Pillow format name -> the content type served.
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
JPEG_QUALITY = 90
WEBP_QUALITY = 90
THUMBNAIL_JPEG_QUALITY = 80
THUMBNAIL_JPEG = "image/jpeg"
THUMBNAIL_PNG = "image/png"
# What an animation keeps of each frame's `info`: timing and transparency, nothing that
# describes the picture or where it was taken.
_FRAME_KEYS = ("duration", "loop", "transparency", "disposal", "background")
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True, slots=True)
class CleanImage:
    """A re-encoded image (its bytes in `data`) and its thumbnail."""

    content_type: str
    width: int
    height: int
    data: bytes
    sha256: str
    thumbnail: bytes
    thumbnail_type: str


def clean_image(path: Path, max_pixels: int, thumbnail_px: int) -> CleanImage | None:
    """The image at `path` re-encoded without metadata; None when it is not a PNG, JPEG, GIF
    or WebP that decodes within `max_pixels` (the caller stores it as plain bytes)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=list(FORMATS)) as image:
                return _clean(image, max_pixels, thumbnail_px)
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        log.info("upload is not an image we decode", extra={"reason": type(exc).__name__})
        return None
    except Image.DecompressionBombWarning:
        return None


def _clean(image: Image.Image, max_pixels: int, thumbnail_px: int) -> CleanImage | None:
    fmt = image.format or ""
    if fmt not in FORMATS:
        return None
    frames = int(getattr(image, "n_frames", 1))
    if image.width * image.height * frames > max_pixels:
        return None
    if frames > 1:
        data, first = _animation(image, fmt)
    else:
        image.load()
        first = _upright_srgb(image)
        data = _encode(first, fmt, _jpeg_options(image) if fmt == "JPEG" else {})
    return CleanImage(
        content_type=FORMATS[fmt],
        width=first.width,
        height=first.height,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        **_thumbnail(first, thumbnail_px),
    )


def _upright_srgb(image: Image.Image) -> Image.Image:
    """A copy turned by its EXIF orientation, colours in sRGB, with no `info` left."""
    icc = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image)
    if upright is None:  # only with in_place=True; keeps the type checker content
        upright = image.copy()
    if upright.mode == "CMYK" or (icc and upright.mode in ("RGB", "RGBA")):
        upright = _to_srgb(upright, icc)
    transparency = image.info.get("transparency")
    upright.info = {} if transparency is None else {"transparency": transparency}
    return upright


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Colours as the profile meant them, in sRGB (dropping a wide-gamut profile would dull
    them); a profile Pillow cannot read is ignored."""
    mode = "RGBA" if image.mode == "RGBA" else "RGB"
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass
    return image.convert(mode)


def _jpeg_options(source: Image.Image) -> dict[str, Any]:
    """The source's own quantization tables and chroma subsampling: about the quality and
    size it had (a fixed quality would grow a q70 photo by half, or blur a q98 one)."""
    options: dict[str, Any] = {}
    tables = getattr(source, "quantization", None)
    if tables:
        options["qtables"] = tables
    sampling = JpegImagePlugin.get_sampling(source)
    if sampling >= 0:
        options["subsampling"] = sampling
    return options or {"quality": JPEG_QUALITY}


def _encode(image: Image.Image, fmt: str, options: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        image.save(out, "JPEG", **options)
    elif fmt == "PNG":
        image.save(out, "PNG")
    elif fmt == "GIF":
        image.save(out, "GIF")
    else:
        image.save(out, "WEBP", quality=WEBP_QUALITY, exif=b"", icc_profile=b"", xmp=b"")
    return out.getvalue()


def _animation(image: Image.Image, fmt: str) -> tuple[bytes, Image.Image]:
    """An animated GIF, PNG (APNG) or WebP re-encoded frame by frame with timing only; and its
    first frame."""
    frames: list[Image.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(image):
        durations.append(int(frame.info.get("duration", 100)))
        copy = frame.copy() if fmt == "GIF" else frame.convert("RGBA")
        copy.info = {k: v for k, v in frame.info.items() if k in _FRAME_KEYS}
        frames.append(copy)
    options: dict[str, Any] = {
        "save_all": True,
        "append_images": frames[1:],
        "duration": durations,
        "loop": int(image.info.get("loop", 0)),
    }
    out = io.BytesIO()
    if fmt == "GIF":
        frames[0].save(out, "GIF", **options)
    elif fmt == "PNG":
        frames[0].save(out, "PNG", **options)
    else:
        frames[0].save(
            out, "WEBP", quality=WEBP_QUALITY, exif=b"", icc_profile=b"", xmp=b"", **options
        )
    return out.getvalue(), frames[0]


def _thumbnail(image: Image.Image, max_px: int) -> dict[str, Any]:
    """At most max_px × max_px, aspect kept: PNG where there is transparency, JPEG otherwise."""
    transparent = image.mode in _ALPHA_MODES or "transparency" in image.info
    small = image.convert("RGBA" if transparent else "RGB")
    small.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    small.info = {}
    out = io.BytesIO()
    if transparent:
        small.save(out, "PNG")
        return {"thumbnail": out.getvalue(), "thumbnail_type": THUMBNAIL_PNG}
    small.save(out, "JPEG", quality=THUMBNAIL_JPEG_QUALITY)
    return {"thumbnail": out.getvalue(), "thumbnail_type": THUMBNAIL_JPEG}
