"""LoadCheckedImageFromFile: good images load as with mmcv; bad ones name the file."""
import cv2
import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile

from dccd.datasets import LoadCheckedImageFromFile
from dccd.datasets.file_checks import verify_image_bytes
from dccd.utils import InputError


def picture(seed=0, shape=(48, 64, 3)):
    rng = np.random.default_rng(seed)
    img = np.zeros(shape, np.uint8)
    img[:] = rng.integers(0, 255, 3)
    img[10:30, 20:50] = rng.integers(0, 255, 3)
    return cv2.GaussianBlur(img, (5, 5), 2)


@pytest.fixture
def good_files(tmp_path):
    files = {}
    for ext in ('.jpg', '.png'):
        files[ext] = str(tmp_path / f'good{ext}')
        cv2.imwrite(files[ext], picture())
    return files


def load(path, **kwargs):
    return LoadCheckedImageFromFile(**kwargs)(dict(img_path=path))


def test_good_images_load_like_mmcv(good_files):
    for path in good_files.values():
        ours, theirs = load(path), LoadImageFromFile()(dict(img_path=path))
        np.testing.assert_array_equal(ours['img'], theirs['img'])
        assert ours['img_shape'] == ours['ori_shape'] == (48, 64)
    assert load(good_files['.png'], to_float32=True)['img'].dtype == np.float32
    np.testing.assert_array_equal(load(good_files['.png'])['img'], picture())


def test_truncated_jpeg(good_files, tmp_path):
    data = open(good_files['.jpg'], 'rb').read()
    path = str(tmp_path / 'half.jpg')
    open(path, 'wb').write(data[:len(data) // 2])
    # (OpenCV 4 decodes it without an error, greying the missing rows)
    with pytest.raises(InputError) as info:
        load(path)
    assert str(info.value) == (
        f'truncated JPEG (no end-of-image marker after the image data): {path}')
    assert load(path, ignore_empty=True) is None
    # data appended after the end-of-image marker is fine
    padded = str(tmp_path / 'padded.jpg')
    open(padded, 'wb').write(data + b'\x00' * 100 + b'trailer')
    assert load(padded)['img'].shape == (48, 64, 3)


def test_truncated_png(good_files, tmp_path):
    data = open(good_files['.png'], 'rb').read()
    path = str(tmp_path / 'cut.png')
    open(path, 'wb').write(data[:-12])  # the IEND chunk
    with pytest.raises(InputError, match=f'truncated PNG \\(no IEND chunk\\): {path}$'):
        load(path)


def test_empty_garbage_and_missing(tmp_path):
    empty, garbage = str(tmp_path / 'empty.jpg'), str(tmp_path / 'garbage.png')
    open(empty, 'wb').close()
    open(garbage, 'wb').write(b'this is not an image at all')
    with pytest.raises(InputError, match=f'^empty image file: {empty}$'):
        load(empty)
    with pytest.raises(InputError, match=f'^cannot decode image: {garbage}$'):
        load(garbage)
    with pytest.raises(InputError, match=f'cannot decode image {garbage}'):
        load(garbage, imdecode_backend='pillow')
    missing = str(tmp_path / 'missing.jpg')
    with pytest.raises(InputError, match=f'^image not found: {missing}$'):
        load(missing)


def test_verify_bytes_accepts_thumbnail_before_scan():
    # an embedded thumbnail's end marker comes before the main scan: still truncated
    fake = b'\xff\xd8' + b'\xff\xd9' + b'\xff\xda' + b'scan data'
    with pytest.raises(InputError, match='truncated JPEG'):
        verify_image_bytes(fake, 'f.jpg')
    verify_image_bytes(fake + b'\xff\xd9', 'f.jpg')


def test_repr():
    assert repr(LoadCheckedImageFromFile()) == (
        "LoadCheckedImageFromFile(ignore_empty=False, to_float32=False, "
        "color_type='color', imdecode_backend='cv2', backend_args=None)")
