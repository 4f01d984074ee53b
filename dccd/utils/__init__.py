from .cli import default_work_dir, drop_pretrained, exit_on_input_error, load_config
from .errors import InputError, closest, did_you_mean, one_line_error

__all__ = [
    'InputError', 'one_line_error', 'closest', 'did_you_mean', 'load_config',
    'default_work_dir', 'exit_on_input_error', 'drop_pretrained'
]
