"""tools/toy_table.py: the look-alike / other-food means and the table."""
from conftest import load_tool
from dccd.utils import TOY_FOOD_CLASSES


def test_summary_and_markdown():
    tool = load_tool('toy_table.py')
    assert tool.LOOK_ALIKE == ['peach', 'mango', 'cucumber', 'zucchini', 'tofu', 'chicken']
    assert tool.OTHER_FOODS == ['tomato', 'broccoli', 'rice', 'blueberry', 'steak']
    iou = dict(zip(TOY_FOOD_CLASSES, [99.0, 10, 20, 30, 40, 50, 60, 90, 92, 94, 96, 98]))
    metrics = {'mIoU': 65.75, 'mAcc': 70.5, **{f'IoU.{k}': v for k, v in iou.items()}}
    summary = tool.summarise(metrics)
    assert summary == dict(mIoU=65.75, mAcc=70.5, look_alike_mIoU=35.0, other_foods_mIoU=94.0)
    table = tool.markdown([('DDP', summary)]).splitlines()
    assert table[0] == '| model | mIoU | mAcc | look-alike mIoU | other foods mIoU |'
    assert table[2] == '| DDP | 65.75 | 70.50 | 35.00 | 94.00 |'
