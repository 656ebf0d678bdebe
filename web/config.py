"""Web settings (pydantic-settings): environment variables of the same name in upper case,
e.g. WEB_SECRET_KEY, WEB_ENV=production, WEB_BASE_URL=https://nuanxin.example.org."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "nuanxin-dev-secret-key-do-not-use-in-production"


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    web_env: str = "development"  # "production" refuses to start without WEB_SECRET_KEY
    web_secret_key: str = ""  # signs session cookies; a long random string in production
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    web_base_url: str = ""  # printed in login links; default http://{host}:{port}
    web_login_token_minutes: int = 15  # a login link works once, for this long
    web_session_hours: float = 8  # a signed-in session lasts this long
    web_cookie_secure: bool = False  # set true behind HTTPS
    web_page_size: int = 50
    # GET without an api_key, as the GeoReport spec has it; what is read is public either way
    # (descriptions redacted, building only, no names, phones or media).
    open311_public_read: bool = True
    open311_contact: str = ""  # the discovery document's contact line
    open311_max_results: int = 1000
    open311_default_days: int = 90  # GET requests.json without dates: the last 90 days

    @property
    def base_url(self) -> str:
        return (self.web_base_url or f"http://{self.web_host}:{self.web_port}").rstrip("/")

    def secret_key(self) -> str:
        if self.web_secret_key:
            return self.web_secret_key
        if self.web_env == "production":
            raise RuntimeError(
                "WEB_SECRET_KEY is not set. In production set it to a long random string, e.g. "
                "WEB_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return DEV_SECRET_KEY


@lru_cache
def get_web_settings() -> WebSettings:
    return WebSettings()
