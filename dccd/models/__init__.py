from . import (backbones, decode_heads, heads, layers, losses, necks,  # noqa: F401
               segmentors, text_encoders)
