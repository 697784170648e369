"""Unrolled: a web-based visual explorer for recurrent neural networks."""

__version__ = "0.1.0"
