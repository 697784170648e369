"""The HTTP and WebSocket layer: FastAPI routers, pydantic schemas, dependencies.

Imports go one way, api -> core; nothing in app.core knows this package exists.
"""
