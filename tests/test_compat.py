"""dccd.compat: the mmcv._ext stand-in and safe checkpoint loading."""
import io
import pickle
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

from dccd import compat


def test_mmseg_models_import():
    import mmseg.models  # noqa: F401
    from mmseg.registry import MODELS
    assert MODELS.get('EncoderDecoder') is not None


@pytest.mark.skipif(compat.HAS_MMCV_OPS, reason='a compiled mmcv is installed')
def test_stand_in_only_without_real_ops():
    ext = sys.modules['mmcv._ext']
    assert ext.__dccd_stand_in__
    from mmengine.utils.dl_utils import mmcv_full_available
    assert mmcv_full_available() is False  # reported honestly
    with pytest.raises(RuntimeError, match="mmcv op 'nms_impl' needs a compiled mmcv"):
        ext.nms_impl()


def test_history_buffer_round_trips_through_safe_loading():
    buffer = HistoryBuffer()
    for value in (0.5, 0.25, np.float64(0.125)):
        buffer.update(float(value))
    state = {'buffer': buffer, 'scalar': np.float64(2.5), 'array': np.arange(3),
             'dtype': np.dtype('int64')}
    data = io.BytesIO()
    torch.save(state, data)
    data.seek(0)
    loaded = torch.load(data, weights_only=True)
    assert isinstance(loaded['buffer'], HistoryBuffer)
    np.testing.assert_allclose(loaded['buffer'].data[0], [0.5, 0.25, 0.125])
    assert loaded['buffer'].mean() == pytest.approx(0.875 / 3)
    assert loaded['scalar'] == 2.5 and loaded['dtype'] == np.int64
    np.testing.assert_array_equal(loaded['array'], [0, 1, 2])


def test_functions_are_still_refused():
    data = io.BytesIO()
    torch.save({'f': getattr}, data)
    data.seek(0)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(data, weights_only=True)
