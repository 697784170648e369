"""The engine of Unrolled: pure PyTorch and the standard library.

Nothing under app.core may import a web package (fastapi, pydantic, starlette);
tests/core/test_layering.py fails if it does. The server in app.api is a thin
layer on top of this package.
"""
