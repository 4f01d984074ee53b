"""dccd.utils.atomic_io: files appear whole or not at all."""
import json
import os

import numpy as np
import pytest
import torch

from dccd.utils.atomic_io import (save_torch_atomic, write_bytes_atomic,
                                  write_json_atomic)


def test_failed_torch_save_leaves_nothing(tmp_path):
    dst = tmp_path / 'sub' / 'tower.pth'
    with pytest.raises(Exception):
        save_torch_atomic(dict(state_dict={}, bad=lambda: None), str(dst))
    assert os.listdir(tmp_path / 'sub') == []
    save_torch_atomic(dict(state_dict={'w': torch.ones(2)}), str(dst))
    assert torch.equal(torch.load(dst, weights_only=True)['state_dict']['w'], torch.ones(2))
    assert os.listdir(tmp_path / 'sub') == ['tower.pth']


def test_bytes_and_json_replace_whole_files(tmp_path):
    path = tmp_path / 'a.bin'
    write_bytes_atomic(str(path), b'first')
    write_bytes_atomic(str(path), b'second')
    assert path.read_bytes() == b'second'
    write_json_atomic(str(tmp_path / 'b.json'), dict(x=[1, 2], y=np.float64(0.5).item()))
    assert json.loads((tmp_path / 'b.json').read_text()) == dict(x=[1, 2], y=0.5)
    assert sorted(os.listdir(tmp_path)) == ['a.bin', 'b.json']
