"""tools/misc/publish_model.py: meta + weights only, sha256 in the name."""
import hashlib
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

from conftest import load_tool


def test_publish_strips_training_state(toy_checkpoint, tmp_path):
    _, ckpt, _ = toy_checkpoint
    original = torch.load(ckpt, weights_only=True)  # dccd.compat allows its extras
    assert {'optimizer', 'message_hub', 'param_schedulers'} <= set(original)
    final = load_tool('misc/publish_model.py').publish(ckpt, str(tmp_path / 'out' / 'toy_dccd.pth'))
    match = re.fullmatch(r'toy_dccd-([0-9a-f]{8})\.pth', osp.basename(final))
    assert match and osp.dirname(final) == str(tmp_path / 'out')
    with open(final, 'rb') as file:
        assert hashlib.sha256(file.read()).hexdigest()[:8] == match.group(1)
    assert os.listdir(tmp_path / 'out') == [osp.basename(final)]  # no temp file left
    assert osp.getsize(final) < osp.getsize(ckpt) / 2
    # a stock torch (no dccd, no mmengine allow-list) loads it weights-only
    code = ('import sys, torch; c = torch.load(sys.argv[1], weights_only=True); '
            'print(sorted(c), c["meta"]["iter"], len(c["state_dict"]))')
    shown = subprocess.run([sys.executable, '-c', code, final], capture_output=True,
                           text=True, check=True).stdout.split()
    assert shown == ["['meta',", "'state_dict']", '6', str(len(original['state_dict']))]
    published = torch.load(final, weights_only=True)
    assert published['meta']['dataset_meta'] == original['meta']['dataset_meta']
    for key, value in original['state_dict'].items():
        assert torch.equal(published['state_dict'][key], value), key


def test_name_and_bad_input(tmp_path, capsys):
    tool = load_tool('misc/publish_model.py')
    assert tool.published_name('a/model.pth', 'abcdef0123') == 'a/model-abcdef01.pth'
    assert tool.published_name('model', 'abcdef0123') == 'model-abcdef01.pth'
    with pytest.raises(SystemExit) as info:
        tool.main([str(tmp_path / 'nope.pth'), str(tmp_path / 'x.pth')])
    assert info.value.code == 2
    assert capsys.readouterr().err.strip() == f'error: checkpoint not found: {tmp_path}/nope.pth'
