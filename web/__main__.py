"""`python -m web` serves the dashboard and the Open311 API; `python -m web --help` lists the
web's admin commands (login links, API keys)."""

from web.cli import app

if __name__ == "__main__":
    app()
