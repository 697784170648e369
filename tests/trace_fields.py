"""The Trace's fields as docs/design.md lists them, written out here once for every test that checks a trace.

Kept apart from app/core/trace/plain.py on purpose: a test holds the code to
this list, so a field the code drops fails the tests instead of vanishing from both.
"""

# The Trace of docs/design.md ("The Trace"): what trace_document / trace_to_plain write.
TRACE_FIELDS = frozenset(
    "architecture task steps labels target_labels symbols x h c gates logits readout_terms y target loss_mask "
    "loss_kind losses loss grad_h grad_c grad_x grad_flow grad_flow_c matrix_grad_norms parameter_grad_norms "
    "nonfinite".split()
)

# What POST /api/models/{name}/trace adds: which model, what input, how far it had trained.
API_TRACE_FIELDS = TRACE_FIELDS | {"model", "input", "total_steps"}
