"""Print the routes the public listener serves (`fangkong serve --public-port`), read from the app: the list in
docs/operations.md ("Two listeners"), which tests/reliability/test_listeners.py keeps equal to this."""

from fangkong.api import app
from fangkong.edge import public_routes

if __name__ == "__main__":
    print("\n".join(public_routes(app.routes)))
