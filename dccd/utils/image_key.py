"""The key of an image: its file name, and a seed drawn from it.

Written for DCCD (Apache-2.0). Per-image randomness in DCCD (the DDIM start
noise, corrupted ingredient lists) is seeded by the image's file name, so a
result does not depend on the batch, the order or the number of processes;
users' ingredient files are keyed by the same name.
"""
import zlib

__all__ = ['image_key', 'image_crc']


def image_key(img_path: str) -> str:
    """The base name of an image path ('a/b/00600.png' -> '00600.png')."""
    return str(img_path).replace('\\', '/').rsplit('/', 1)[-1]


def image_crc(img_path: str) -> int:
    """CRC32 of :func:`image_key`: a stable per-image seed (0 .. 2**32 - 1)."""
    return zlib.crc32(image_key(img_path).encode())
