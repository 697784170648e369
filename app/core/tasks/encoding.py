"""Shared helpers for turning typed text into steps and steps into tensors.

Every task reads a person's input through one of these, so the error messages
("unknown symbol 'Q' at position 4; ...") read the same across tasks. Positions
in messages count from 1, the way a person counts steps.
"""

from __future__ import annotations

import difflib
import math
import re

import torch

from .base import TaskInputError

# Commas or whitespace separate typed numbers: "0.2 0.7*, 0.1".
_NUMBER_SEPARATORS = re.compile(r"[\s,]+")
# Words are runs of anything but spaces and the punctuation we treat as words.
_WORD_TOKENS = re.compile(r"[^\s,.]+|[,.]")
# How a character that would be invisible or ambiguous in a label is shown.
_VISIBLE = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}


def one_hot(indices: list[int], size: int) -> torch.Tensor:
    """(T, size) float32 one-hot rows for a list of T indices."""
    # rows of the identity: two small tensor ops however long the sequence (measured the quickest way
    # for 7 to 120 symbols; zeros then an indexed write costs four)
    return torch.eye(size)[torch.tensor(indices, dtype=torch.int64)]  # (T, size)


def multi_hot(index_sets: list[set[int]], size: int) -> torch.Tensor:
    """(T, size) float32 rows with a 1 at every index of each set."""
    rows = [[0.0] * size for _ in index_sets]
    for row, indices in zip(rows, index_sets, strict=True):
        for index in indices:
            row[index] = 1.0
    # one tensor from plain lists: element-wise tensor writes cost ~15 us each, and every
    # Reber step has one or two of them (a sampled batch, the analysis's 500 sequences)
    return torch.tensor(rows, dtype=torch.float32).reshape(len(index_sets), size)  # (T, size)


def require_text(text: object, example: str) -> str:
    if not isinstance(text, str):
        raise TaskInputError(f"the input must be text, got {type(text).__name__}")
    if not text.strip():
        raise TaskInputError(f"the input is empty; type something such as {example}")
    return text


def parse_symbols(text: str, alphabet: tuple[str, ...], alphabet_name: str, example: str) -> list[str]:
    """Single-character symbols, case-insensitive, spaces ignored; unknown ones raise."""
    require_text(text, example)
    by_key = {symbol.lower(): symbol for symbol in alphabet}
    symbols = []
    for char in text:
        if char.isspace():
            continue
        symbol = by_key.get(char.lower())
        if symbol is None:
            raise TaskInputError(
                f"unknown symbol {char!r} at position {len(symbols) + 1}; "
                f"the {alphabet_name} symbols are {', '.join(alphabet)}"
            )
        symbols.append(symbol)
    return symbols


def parse_characters(text: str, alphabet: tuple[str, ...], example: str) -> list[str]:
    """Every character counts (spaces included, case-sensitive); each must be in the alphabet."""
    require_text(text, example)
    known = set(alphabet)
    for position, char in enumerate(text, start=1):
        if char not in known:
            raise TaskInputError(
                f"unknown character {char!r} at position {position}; the text's characters are "
                f"{''.join(visible(c) for c in alphabet)}"
            )
    return list(text)


def parse_words(text: str, vocabulary: tuple[str, ...], example: str) -> list[str]:
    """Lower-case words split on spaces, with ',' and '.' as words of their own."""
    require_text(text, example)
    known = set(vocabulary)
    words = _WORD_TOKENS.findall(text.lower())
    for position, word in enumerate(words, start=1):
        if word not in known:
            close = difflib.get_close_matches(word, vocabulary, n=3, cutoff=0.5)
            hint = close or [w for w in vocabulary if w not in {",", "."}][:5]
            raise TaskInputError(f"unknown word {word!r} at word {position}; known words include {', '.join(hint)}")
    return words


def parse_numbers(text: str, example: str, allow_marks: bool = False) -> tuple[list[float], list[bool]]:
    """Numbers separated by spaces or commas; with allow_marks a trailing '*' marks one.

    Returns the values and, per value, whether it was marked.
    """
    require_text(text, example)
    values, marks = [], []
    for position, token in enumerate(t for t in _NUMBER_SEPARATORS.split(text.strip()) if t):
        marked = allow_marks and token.endswith("*")
        number_text = token[:-1] if marked else token
        try:
            value = float(number_text)
        except ValueError:
            raise TaskInputError(f"{token!r} at position {position + 1} is not a number") from None
        if not math.isfinite(value):
            raise TaskInputError(f"{token!r} at position {position + 1} is not a finite number")
        values.append(value)
        marks.append(marked)
    return values, marks


def format_number(value: float) -> str:
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text  # a rounded-away minus sign only confuses


def visible(char: str) -> str:
    """A character as a label a person can see (a space is '␣')."""
    return _VISIBLE.get(char, char)


def set_label(symbols: list[str]) -> str:
    """A set of legal symbols as one label, e.g. 'T|P'; '' for the empty set."""
    return "|".join(symbols)
