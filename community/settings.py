"""Configuration from the environment (and an optional `.env`), with embedded defaults.

Every setting can be overridden by an environment variable of the same name in upper case,
e.g. `DATABASE_URL=postgresql+psycopg://127.0.0.1/test`.
"""

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'nuanxin.db'}"
    timezone: str = "Asia/Shanghai"
    bot_username: str = ""  # for invite links (t.me/<bot>?start=join-<code>)

    # Requests
    description_max_chars: int = 500
    duplicate_window_seconds: int = 60
    urge_interval_seconds: int = 3600
    # A photo sent this soon after ordering joins that order (issue 14); later, it goes to
    # the person on call as before.
    photo_after_order_minutes: int = 10

    # Routing and offers
    offer_top_k: int = 5
    # Unclaimed for this long: widen the offer and tell the grid leader (escalation 1) ...
    widen_after_hours: float = 2
    # ... and for this long: red flag in the staff queue, staff told (escalation 2).
    red_flag_after_hours: float = 24
    default_max_load: int = 3

    # Follow-ups (community.followups), all in the community's time zone
    appointment_remind_volunteer_minutes: int = 60  # remind the volunteer this long before
    appointment_remind_resident_at: str = "20:00"  # remind the resident the evening before
    offer_lead_before_appointment_hours: float = 3  # widen at the latest this long before
    red_flag_lead_before_appointment_hours: float = 1
    overdue_leader_after_hours: float = 24  # after the volunteer was nudged at the due time
    rate_reminder_after_hours: float = 24
    close_unrated_after_hours: float = 72
    digest_at: str = "08:00"
    # 智慧督查 (community.district): each district community's past week measured daily at this
    # local time; a median time to claim above this many minutes is a warning.
    district_check_at: str = "08:30"
    claim_target_minutes: float = 120
    month_summary_at: str = "09:00"  # on the 1st: each volunteer's thank-you for the month before
    care_lead_hours: float = 24  # a care visit becomes a request this long before it
    quiet_start: str = "21:30"  # non-urgent messages wait until quiet_end
    quiet_end: str = "08:00"
    scheduler_max_sleep_seconds: float = 30  # rows written by other processes are seen this soon

    # Ledger
    points_per_hour: int = 10


@lru_cache
def get_settings() -> Settings:
    return Settings()
