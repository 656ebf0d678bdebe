"""`python -m web`: the staff dashboard and Open311 API on WEB_HOST:WEB_PORT (default
127.0.0.1:8000), on DATABASE_URL (default the embedded SQLite file)."""

import uvicorn

from web.app import create_app
from web.config import get_web_settings


def main() -> None:
    settings = get_web_settings()
    try:
        app = create_app(settings=settings)
    except RuntimeError as exc:  # e.g. production without WEB_SECRET_KEY: say what to set, no traceback
        raise SystemExit(f"nuanxin web: {exc}") from None
    uvicorn.run(app, host=settings.web_host, port=settings.web_port, log_level="info")


if __name__ == "__main__":
    main()
