"""Pydantic models at the API edge, one module per resource.

Every field has a description and the models carry examples, so /docs is a
usable reference on its own.
"""
