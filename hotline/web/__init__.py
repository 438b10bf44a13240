"""The aiohttp web console: status, accounts, wallboard, agent desk, portals, Open311.

See ``hotline.web.app.create_app``; each module serves one part.
"""

from hotline.web.app import create_app

__all__ = ["create_app"]
