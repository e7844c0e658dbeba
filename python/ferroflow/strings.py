"""``ferroflow.strings``: the string operations of ``tf.strings`` the pipelines use."""

from ._ops import as_string, join, length, lower, split, strip, substr, to_number, upper
from ._strings_python import format, reduce_join, unicode_split
from ._text import regex_full_match, regex_replace, to_hash_bucket_fast

__all__ = [
    "as_string",
    "format",
    "join",
    "length",
    "lower",
    "reduce_join",
    "regex_full_match",
    "regex_replace",
    "split",
    "strip",
    "substr",
    "to_hash_bucket_fast",
    "to_number",
    "unicode_split",
    "upper",
]
