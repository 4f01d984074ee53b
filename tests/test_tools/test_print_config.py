"""tools/misc/print_config.py: the merged config, options applied."""

import pytest
from mmengine.config import Config

from conftest import load_tool


def test_prints_the_merged_config(tmp_path, capsys):
    out = tmp_path / 'merged.py'
    load_tool('misc/print_config.py').main(['configs/toy/toy_dccd.py', '--out', str(out),
                      '--cfg-options', 'model.test_cfg.steps=10'])
    printed = capsys.readouterr().out
    assert printed.startswith('Config (configs/toy/toy_dccd.py):\n')
    body = printed.split('\n', 1)[1]
    assert body.strip() == out.read_text().strip()
    cfg = Config.fromfile(str(out))
    assert '_base_' not in out.read_text()
    assert cfg.model.distill_loss.type == 'DistillKLLoss'          # toy_dccd.py
    assert cfg.model.text_encoder.type == 'CLIPIngredientEncoder'  # toy_dcc.py
    assert cfg.model.backbone.arch == 'convnext_atto'              # toy_ddp.py
    assert cfg.custom_imports.imports == ['dccd']                  # default_runtime
    assert cfg.model.test_cfg.steps == 10                          # --cfg-options


def test_typo_in_options_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        load_tool('misc/print_config.py').main(['configs/toy/toy_dccd.py', '--cfg-options', 'model.test_cfg.step=10'])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "'model.test_cfg.step' is not a key" in err and "did you mean 'steps'" in err
