"""Write output files whole or not at all.

Written for DCCD (Apache-2.0). Tools that write many result files (masks,
overlays, JSON) must never leave a half-written file behind when they are
interrupted or crash: each file is written to a hidden temporary file in the
target folder and renamed into place (``os.replace`` is atomic on POSIX and
Windows for files on the same file system).
"""
import io
import json
import os
import os.path as osp
import tempfile

import cv2
import numpy as np

from .errors import InputError

__all__ = ['write_bytes_atomic', 'save_torch_atomic', 'write_image_atomic',
           'write_json_atomic', 'write_figure_atomic']


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_atomic(path: str, write) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it.

    The file gets the mode a plain ``open(path, 'w')`` would give (0666 less
    the umask), not the private 0600 of the temporary file.
    """
    if osp.isdir(path):
        raise InputError(f'cannot write {path}: a folder has that name')
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def write_bytes_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    Args:
        path: the destination file (its folder is created if needed).
        data: the file's content.
    """
    _write_atomic(path, lambda f: f.write(data))


def save_torch_atomic(obj: object, path: str) -> None:
    """``torch.save(obj)`` to ``path`` through a temporary file and a rename
    (streamed: a large checkpoint is never held twice in memory)."""
    import torch
    _write_atomic(path, lambda f: torch.save(obj, f))


def write_image_atomic(path: str, image: np.ndarray, jpeg_quality: int = 95) -> None:
    """Encode ``image`` by the extension of ``path`` and write it atomically.

    Args:
        path: destination, e.g. ``x.png`` or ``x.jpg``.
        image: (H, W) uint8 (grey or class ids) or (H, W, 3) uint8 in BGR
            order (OpenCV's).
        jpeg_quality: JPEG quality, 0-100.
    """
    ext = osp.splitext(path)[1].lower()
    params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if ext in ('.jpg', '.jpeg') else []
    ok, buf = cv2.imencode(ext, image, params)
    if not ok:
        raise ValueError(f'cannot encode an image as {ext!r}: {path}')
    write_bytes_atomic(path, buf.tobytes())


def write_json_atomic(path: str, obj: object) -> None:
    """Write ``obj`` as indented JSON (UTF-8) atomically."""
    text = json.dumps(obj, indent=2, ensure_ascii=False) + '\n'
    write_bytes_atomic(path, text.encode('utf-8'))


def write_figure_atomic(path: str, figure) -> None:
    """Save a matplotlib figure as PNG (100 dpi, tight layout) atomically, then
    close it."""
    import matplotlib.pyplot as plt
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format='png', dpi=100)
    plt.close(figure)
    write_bytes_atomic(path, buffer.getvalue())
