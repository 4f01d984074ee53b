"""dccd.apis.files: the photo checks, typed lists and mask files that
tools/infer.py and the browser demo share."""
import cv2
import numpy as np
import pytest
from PIL import Image

from conftest import png_claiming
from dccd.apis import (AUTO, check_image_file, header_size, mask_file_name,
                       parse_ingredients, write_mask_png)
from dccd.utils import InputError


def test_check_image_file(tmp_path):
    good = tmp_path / 'plate.jpg'
    cv2.imwrite(str(good), np.full((40, 60, 3), 128, np.uint8))
    check_image_file(str(good))
    cases = {
        'notes.jpg': (b'not a photo\n', 'cannot decode image: {}'),
        'empty.png': (b'', 'empty image file: {}'),
        'cut.jpg': (good.read_bytes()[:200], 'truncated JPEG (no end-of-image marker after '
                                             'the image data): {}'),
    }
    for name, (data, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(InputError) as info:
            check_image_file(str(path))
        assert str(info.value) == message.format(path)
    with pytest.raises(InputError, match='^cannot read image .*missing.jpg: No such file'):
        check_image_file(str(tmp_path / 'missing.jpg'))


@pytest.mark.parametrize('factor', [1.2, 2.5])  # Pillow warns above its limit, raises at 2x
def test_the_pixel_limit_is_checked_on_the_header(tmp_path, factor):
    side = int((Image.MAX_IMAGE_PIXELS * factor) ** 0.5)
    path = tmp_path / 'huge.png'
    path.write_bytes(png_claiming(side, side))
    message = (f'image too large: {path} has more than {Image.MAX_IMAGE_PIXELS:,} pixels, '
               "the limit for one photo (Pillow's MAX_IMAGE_PIXELS): shrink it first")
    with pytest.raises(InputError) as info:
        check_image_file(str(path))
    assert str(info.value) == message
    with pytest.raises(InputError) as info:
        header_size(str(path), str(path))
    assert str(info.value) == message
    ok = str(tmp_path / 'ok.png')
    cv2.imwrite(ok, np.zeros((30, 50), np.uint8))
    assert header_size(ok, ok) == (30, 50)


def test_parse_ingredients():
    assert parse_ingredients(None) is None
    assert parse_ingredients('') == []
    assert parse_ingredients(' rice, Egg ,, ') == ['rice', 'Egg']
    assert parse_ingredients(' auto ') == AUTO


def test_mask_file(tmp_path):
    assert mask_file_name('a/b/00600.jpg') == '00600_mask.png'
    mask = np.array([[0, 3], [11, 255]], np.int64)
    path = str(tmp_path / mask_file_name('x.jpg'))
    write_mask_png(path, mask)
    read = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert read.dtype == np.uint8 and read.tolist() == mask.tolist()
