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


BROKEN_EXT_SCRIPT = '''
import sys, warnings
import mmcv
mmcv.__path__.insert(0, sys.argv[1])  # a broken mmcv/_ext*.so shadows the real one
warnings.simplefilter('default')
import dccd, mmseg.models, torch
from dccd import compat
from dccd.models.layers import MSDeformAttn
attn = MSDeformAttn(embed_dims=8, num_heads=2, num_levels=1, num_points=2)
out = attn(torch.randn(1, 4, 8), torch.randn(1, 4, 8), torch.rand(1, 4, 1, 2), [(2, 2)])
print('HAS_MMCV_OPS', compat.HAS_MMCV_OPS, 'op', attn.op(out), tuple(out.shape))
'''


def test_a_broken_compiled_ext_falls_back_with_one_warning(tmp_path):
    """An ``mmcv/_ext`` that raises on import (an ABI-mismatched build):
    ``import dccd`` works, warns once naming the file, uses the pure op."""
    import importlib.machinery
    import subprocess
    from conftest import REPO, tool_env
    broken = tmp_path / f'_ext{importlib.machinery.EXTENSION_SUFFIXES[0]}'
    broken.write_bytes(b'not an ELF file: built for another torch\n')
    script = tmp_path / 'import_dccd.py'
    script.write_text(BROKEN_EXT_SCRIPT)
    result = subprocess.run([sys.executable, str(script), str(tmp_path)], cwd=REPO,
                            env=tool_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == 'HAS_MMCV_OPS False op pytorch (1, 4, 8)'
    warned = [line for line in result.stderr.splitlines() if str(broken) in line]
    assert len(warned) == 1 and 'cannot be loaded' in warned[0], result.stderr[-2000:]
    assert 'pure-PyTorch deformable attention' in warned[0]


def test_a_kernel_that_cannot_run_is_found_once_and_named(monkeypatch):
    """A compiled mmcv built without CUDA loads, then fails on the first CUDA
    call: tried once per device type, warned once, never selected."""
    monkeypatch.setattr(compat, 'HAS_MMCV_OPS', True)
    monkeypatch.setattr(compat, 'MMCV_EXT_FILE', '/site-packages/mmcv/_ext.so')
    monkeypatch.setattr(compat, '_kernel_usable', {})

    def cpu_only_build(device):
        raise RuntimeError('ms_deform_attn_impl_forward: not compiled with GPU support')

    monkeypatch.setattr(compat, '_run_tiny_kernel', cpu_only_build)
    with pytest.warns(RuntimeWarning, match='/site-packages/mmcv/_ext.so cannot run on cuda'):
        assert compat.deform_attn_kernel_usable(torch.device('cuda')) is False
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert compat.deform_attn_kernel_usable(torch.device('cuda', 1)) is False
    assert compat.deform_attn_kernel_usable(torch.device('cpu')) is False
