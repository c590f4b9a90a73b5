"""Settings for the service desk, read from the environment (prefix-free names)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDERS = {"changeme", "change-me", "secret", "password", "token", "xxx"}


class Settings(BaseSettings):
    """Every knob of the service. Secrets have no defaults outside development."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    environment: str = Field(default="development", alias="ANXIN_ENV")
    # The browsable API docs (Swagger UI loads its scripts from a public CDN): on in
    # development, off elsewhere unless asked for. The OpenAPI description stays.
    api_docs: bool | None = Field(default=None, alias="ANXIN_API_DOCS")
    database_url: str = Field(default="sqlite:///var/anxin.db", alias="DATABASE_URL")
    redis_url: str = Field(default="redis://127.0.0.1:6390/0", alias="REDIS_URL")
    redis_prefix: str = Field(default="anxin", alias="ANXIN_REDIS_PREFIX")
    rasa_url: str = Field(default="http://127.0.0.1:5005", alias="RASA_URL")
    rasa_token: str = Field(default="", alias="RASA_TOKEN")
    rasa_timeout_s: float = Field(default=20.0, alias="RASA_TIMEOUT_S")
    service_token: str = Field(default="", alias="ANXIN_SERVICE_TOKEN")
    public_url: str = Field(default="http://127.0.0.1:8000", alias="ANXIN_PUBLIC_URL")
    # Other origins whose pages may open the console's WebSocket (comma-separated);
    # ANXIN_PUBLIC_URL's origin and the request's own are always allowed.
    allowed_origins: str = Field(default="", alias="ANXIN_ALLOWED_ORIGINS")
    worker_enabled: bool = Field(default=True, alias="ANXIN_WORKER")
    # SQLite only: FULL syncs every commit to disk. NORMAL (for a process that only runs
    # the worker, whose writes are all made again from the inbox after a power cut)
    # leaves its commits to be synced by the next FULL commit or checkpoint.
    sqlite_synchronous: str = Field(
        default="FULL", pattern="^(FULL|NORMAL)$", alias="ANXIN_SQLITE_SYNCHRONOUS"
    )
    inbox_lease_s: float = Field(default=60.0, alias="ANXIN_INBOX_LEASE_S")
    worker_concurrency: int = Field(default=8, alias="ANXIN_WORKER_CONCURRENCY")
    max_message_chars: int = Field(default=2000, alias="ANXIN_MAX_MESSAGE_CHARS")
    # A message still unanswered after this long gets "we are busy, you are in line" (0: never)
    busy_after_s: float = Field(default=15.0, ge=0, alias="ANXIN_BUSY_AFTER_S")
    # Web chat messages per minute (0: no limit)
    # Messages one customer may send the assistant per minute on any channel; past it
    # they are stored (an agent sees them) but not answered, after one notice.
    sender_per_min: int = Field(default=30, ge=1, alias="ANXIN_SENDER_PER_MIN")
    webchat_per_visitor: int = Field(default=30, alias="ANXIN_WEBCHAT_PER_VISITOR_PER_MIN")
    webchat_per_address: int = Field(default=300, alias="ANXIN_WEBCHAT_PER_ADDRESS_PER_MIN")
    # Sign-in: wrong passwords for one account from any addresses within an hour that
    # lock it until an admin unlocks it (0: never); who hears of it.
    login_lock_at: int = Field(default=50, ge=0, alias="ANXIN_LOGIN_LOCK_AT")
    security_emails: str = Field(default="", alias="ANXIN_SECURITY_EMAILS")
    # Web-chat sessions: new ones per address per minute; idle and absolute lifetimes.
    webchat_sessions_per_address: int = Field(
        default=60, alias="ANXIN_WEBCHAT_SESSIONS_PER_ADDRESS_PER_MIN"
    )
    webchat_idle_minutes: float = Field(default=30.0, gt=0, alias="ANXIN_WEBCHAT_IDLE_MINUTES")
    webchat_session_hours: float = Field(default=12.0, gt=0, alias="ANXIN_WEBCHAT_SESSION_HOURS")
    # SLA ladder (targets per priority live in the sla_policies table)
    sla_scan_s: float = Field(default=5.0, alias="ANXIN_SLA_SCAN_S")
    p1_ack_minutes: float = Field(default=15.0, alias="ANXIN_P1_ACK_MINUTES")
    page_levels: int = Field(default=2, alias="ANXIN_PAGE_LEVELS")
    warn_at: str = Field(default="0.5,0.75", alias="ANXIN_WARN_AT")
    warn_before_minutes: float = Field(default=15.0, alias="ANXIN_WARN_BEFORE_MINUTES")
    business_hours: str = Field(default="09:00-18:00", alias="ANXIN_BUSINESS_HOURS")
    oncall_emails: str = Field(default="", alias="ANXIN_ONCALL_EMAILS")
    supervisor_email: str = Field(default="", alias="ANXIN_SUPERVISOR_EMAIL")
    agent_emails: str = Field(default="", alias="ANXIN_AGENT_EMAILS")
    team_supervisor_emails: str = Field(default="", alias="ANXIN_TEAM_SUPERVISOR_EMAILS")
    smtp_host: str = Field(default="", alias="SMTP_HOST")
    smtp_port: int = Field(default=25, alias="SMTP_PORT")
    smtp_from: str = Field(default="anxin@localhost", alias="SMTP_FROM")
    smtp_user: str = Field(default="", alias="SMTP_USER")
    smtp_password: str = Field(default="", alias="SMTP_PASSWORD")
    smtp_starttls: bool = Field(default=False, alias="SMTP_STARTTLS")
    display_timezone: str = Field(default="Asia/Shanghai", alias="ANXIN_TIMEZONE")
    # The bank's service targets (bot.sla.targets): hours on the wall clock, shares 0-1.
    target_answer_hours: float = Field(default=24.0, gt=0, alias="ANXIN_TARGET_ANSWER_HOURS")
    target_answered_share: float = Field(default=1.0, ge=0, le=1, alias="ANXIN_TARGET_ANSWERED")
    target_handling_hours: float = Field(default=12.0, gt=0, alias="ANXIN_TARGET_HANDLING_HOURS")
    target_major_hours: float = Field(default=4.0, gt=0, alias="ANXIN_TARGET_MAJOR_HOURS")
    target_major_share: float = Field(default=1.0, ge=0, le=1, alias="ANXIN_TARGET_MAJOR")
    target_revisit_share: float = Field(default=0.95, ge=0, le=1, alias="ANXIN_TARGET_REVISIT")
    target_satisfaction_share: float = Field(
        default=0.90, ge=0, le=1, alias="ANXIN_TARGET_SATISFACTION"
    )
    # The weekly targets report by e-mail: the weekday (0 = Monday) and hour it goes out.
    weekly_report_weekday: int = Field(default=0, ge=0, le=6, alias="ANXIN_WEEKLY_REPORT_DAY")
    weekly_report_hour: int = Field(default=9, ge=0, le=23, alias="ANXIN_WEEKLY_REPORT_HOUR")
    # The knowledge base (bot/kb/changes.py, bot/kb/reminders.py): an editor's change
    # waits for a second person; an owned entry is due for review this many days after
    # it was last approved, and its owner is told, as when its end of validity is near.
    kb_four_eyes: bool = Field(default=True, alias="ANXIN_KB_FOUR_EYES")
    kb_review_days: int = Field(default=180, ge=1, le=3650, alias="ANXIN_KB_REVIEW_DAYS")
    log_level: str = Field(default="INFO", alias="ANXIN_LOG_LEVEL")
    # Where the launcher writes each process's log (rotated daily; the retention purge
    # deletes rotated files past the logs' retention).
    log_dir: str = Field(default="var/log", alias="ANXIN_LOG_DIR")
    # The nightly retention purge (bot/privacy): the hour it starts in the service's
    # time zone; off (false) where another replica or a cron job runs it.
    retention_purge: bool = Field(default=True, alias="ANXIN_RETENTION_PURGE")
    retention_hour: int = Field(default=2, ge=0, le=23, alias="ANXIN_RETENTION_HOUR")
    log_format: str = Field(default="json", pattern="^(json|text)$", alias="ANXIN_LOG_FORMAT")
    data_key: str = Field(default="", alias="ANXIN_DATA_KEY")
    # How long an SMS one-time code's proof of identity lets a channel identity be told
    # about its customer's tickets.
    identity_valid_hours: float = Field(default=24.0, gt=0, alias="ANXIN_IDENTITY_VALID_HOURS")
    delivery_give_up_s: float = Field(default=24 * 3600, alias="ANXIN_DELIVERY_GIVE_UP_S")
    delivery_max_backoff_s: float = Field(default=300, alias="ANXIN_DELIVERY_MAX_BACKOFF_S")
    # Handoff: how long an agent has to accept an offered chat before the next one gets it
    offer_seconds: float = Field(default=30.0, gt=0, alias="ANXIN_OFFER_SECONDS")

    # WeChat Official Account (off unless token, app id and secret are set)
    wechat_token: str = Field(default="", alias="WECHAT_TOKEN")
    wechat_app_id: str = Field(default="", alias="WECHAT_APP_ID")
    wechat_app_secret: str = Field(default="", alias="WECHAT_APP_SECRET")
    wechat_aes_key: str = Field(default="", alias="WECHAT_AES_KEY")
    wechat_api_base_url: str = Field(
        default="https://api.weixin.qq.com", alias="WECHAT_API_BASE_URL"
    )
    wechat_template_id: str = Field(default="", alias="WECHAT_TEMPLATE_ID")
    # WeCom customer service (微信客服)
    wecom_corp_id: str = Field(default="", alias="WECOM_CORP_ID")
    wecom_secret: str = Field(default="", alias="WECOM_SECRET")
    wecom_token: str = Field(default="", alias="WECOM_TOKEN")
    wecom_aes_key: str = Field(default="", alias="WECOM_AES_KEY")
    wecom_api_base_url: str = Field(
        default="https://qyapi.weixin.qq.com", alias="WECOM_API_BASE_URL"
    )
    # SMS: Twilio, or a generic HTTP gateway for domestic providers
    twilio_account_sid: str = Field(default="", alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: str = Field(default="", alias="TWILIO_AUTH_TOKEN")
    twilio_from: str = Field(default="", alias="TWILIO_FROM")
    twilio_api_base_url: str = Field(default="https://api.twilio.com", alias="TWILIO_API_BASE_URL")
    sms_public_url: str = Field(default="", alias="SMS_PUBLIC_URL")
    sms_gateway_url: str = Field(default="", alias="SMS_GATEWAY_URL")
    sms_gateway_token: str = Field(default="", alias="SMS_GATEWAY_TOKEN")
    sms_max_chars: int = Field(default=670, alias="SMS_MAX_CHARS")
    # Telegram
    telegram_bot_token: str = Field(default="", alias="TELEGRAM_BOT_TOKEN")
    telegram_secret_token: str = Field(default="", alias="TELEGRAM_SECRET_TOKEN")
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org", alias="TELEGRAM_API_BASE_URL"
    )

    @property
    def wechat_enabled(self) -> bool:
        return bool(self.wechat_token and self.wechat_app_id and self.wechat_app_secret)

    @property
    def wecom_enabled(self) -> bool:
        return bool(
            self.wecom_corp_id and self.wecom_secret and self.wecom_token and self.wecom_aes_key
        )

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from)

    @property
    def sms_enabled(self) -> bool:
        return self.twilio_enabled or bool(self.sms_gateway_url)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token and self.telegram_secret_token)

    @field_validator("service_token")
    @classmethod
    def _no_placeholder(cls, value: str) -> str:
        if value.strip().lower() in _PLACEHOLDERS:
            raise ValueError("ANXIN_SERVICE_TOKEN must be a generated secret, not a placeholder")
        return value

    def require_secrets(self) -> None:
        """Refuse to start outside development without the service token."""
        if self.environment != "development" and len(self.service_token) < 24:
            raise RuntimeError(
                "ANXIN_SERVICE_TOKEN (24+ characters) is required outside development"
            )

    @property
    def api_docs_on(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.environment == "development"


def rasa_key_prefix(redis_prefix: str) -> str:
    """The key prefix Rasa's tracker and lock stores use in the service's Redis (Rasa
    wants it alphanumeric); a tracker is ``<this>:tracker:<conversation public id>``."""
    return ("".join(ch for ch in redis_prefix if ch.isalnum()) or "anxin") + "rasa"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
