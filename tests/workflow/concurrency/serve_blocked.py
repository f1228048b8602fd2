"""Serve the app in a process of its own whose engine blocks mid-solve (the test kills it).

``python serve_blocked.py DATABASE_URI FLAG_DIR``: prints the URL it listens on, then serves.
The engine writes ``FLAG_DIR/solving`` and waits for ever.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from werkzeug.serving import make_server

import matching
from web import create_app


def main() -> None:
    uri, flag_dir = sys.argv[1], Path(sys.argv[2])

    def blocked_solve(instance, **kw):
        (flag_dir / "solving").write_text("solving")
        threading.Event().wait()

    matching.solve = blocked_solve
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": uri,
            "RUN_EXECUTOR": "thread",
            "RATELIMIT_ENABLED": False,
            "MAIL_FILE_DIR": str(flag_dir),
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
