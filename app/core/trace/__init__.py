"""Exact forward + BPTT capture of one sequence (see capture.py and bptt.py)."""

from app.core.trace.capture import GRAD_FLOW_MAX_STEPS, Trace, trace
from app.core.trace.plain import trace_document, trace_to_plain

__all__ = ["GRAD_FLOW_MAX_STEPS", "Trace", "trace", "trace_document", "trace_to_plain"]
