"""Contact addresses that are personal data (phone numbers) are never stored in clear.

A conversation is keyed by a pseudonym (keyed HMAC of the address). The number itself,
needed to reply, is kept encrypted (Fernet) with a key of that person's own
(``vault_keys``, one row per pseudonym, the key sealed with ANXIN_DATA_KEY): erasing a
customer destroys their key, and with it every copy of their sealed number, wherever it
was copied (crypto-shredding). Short-lived secrets (a one-time code on its way, a
ticket's query code until told) are sealed with ANXIN_DATA_KEY's own key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Connection, DateTime, Engine, String, Text, column, delete, select, table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

# ``vault_keys`` (bot.core.models.VaultKey), named here without the models: the channels
# use the vault's pseudonyms and stay clear of the database layer.
VAULT_KEYS = table(
    "vault_keys",
    column("pseudonym", String(64)),
    column("wrapped", Text()),
    column("created_at", DateTime(timezone=True)),
)
PERSONAL = "k1|"  # "k1|<pseudonym>|<token>": sealed with that person's key


class VaultError(Exception):
    pass


def sealed_pseudonym(sealed: str | None) -> str | None:
    """The pseudonym whose key sealed ``sealed`` (None: the service key's)."""
    if not sealed or not sealed.startswith(PERSONAL):
        return None
    return sealed[len(PERSONAL) :].split("|", 1)[0]


def destroy_keys(connection: Connection, pseudonyms: list[str]) -> int:
    """Destroy these people's keys: what was sealed with them cannot be opened again."""
    if not pseudonyms:
        return 0
    result = connection.execute(delete(VAULT_KEYS).where(VAULT_KEYS.c.pseudonym.in_(pseudonyms)))
    return int(result.rowcount or 0)


class ContactVault:
    def __init__(self, secret: str, engine: Engine | None = None) -> None:
        if len(secret) < 16:
            raise VaultError("ANXIN_DATA_KEY (16+ characters) is required to store phone numbers")
        self._mac_key = hashlib.sha256(b"anxin-pseudonym:" + secret.encode()).digest()
        fernet_key = base64.urlsafe_b64encode(
            hashlib.sha256(b"anxin-seal:" + secret.encode()).digest()
        )
        self._fernet = Fernet(fernet_key)
        self.engine = engine

    def pseudonym(self, address: str) -> str:
        """A stable, non-reversible id for an address (same address, same id)."""
        return "p-" + hmac.new(self._mac_key, address.encode(), hashlib.sha256).hexdigest()[:40]

    def seal(self, address: str) -> str:
        """Sealed with the service's key: for secrets that are erased once used."""
        return self._fernet.encrypt(address.encode()).decode()

    def seal_phone(self, phone: str, connection: Connection | None = None) -> str:
        """Seal a person's phone number with their own key (made on first use), inside
        the caller's transaction when ``connection`` is given."""
        pseudonym = self.pseudonym(phone)
        if connection is not None:
            key = self._key(connection, pseudonym, create=True)
        else:
            with self._engine().begin() as own:
                key = self._key(own, pseudonym, create=True)
        assert key is not None
        return f"{PERSONAL}{pseudonym}|{key.encrypt(phone.encode()).decode()}"

    def open(self, sealed: str, connection: Connection | None = None) -> str:
        token, key = sealed, self._fernet
        pseudonym = sealed_pseudonym(sealed)
        if pseudonym is not None:
            token = sealed.split("|", 2)[2]
            if connection is not None:
                found = self._key(connection, pseudonym, create=False)
            else:
                with self._engine().connect() as own:
                    found = self._key(own, pseudonym, create=False)
            if found is None:
                raise VaultError("this number's key was destroyed (the customer was erased)")
            key = found
        try:
            return key.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise VaultError("sealed address cannot be opened with this ANXIN_DATA_KEY") from exc

    def _engine(self) -> Engine:
        if self.engine is None:
            raise VaultError("the contact vault needs the database to reach a person's key")
        return self.engine

    def _key(self, connection: Connection, pseudonym: str, *, create: bool) -> Fernet | None:
        query = select(VAULT_KEYS.c.wrapped).where(VAULT_KEYS.c.pseudonym == pseudonym)
        wrapped = connection.execute(query).scalar()
        if wrapped is None and create:
            fresh = self._fernet.encrypt(Fernet.generate_key()).decode()
            values = {"pseudonym": pseudonym, "wrapped": fresh, "created_at": datetime.now(UTC)}
            add = (
                pg_insert(VAULT_KEYS).values(**values).on_conflict_do_nothing()
                if connection.dialect.name == "postgresql"
                else sqlite_insert(VAULT_KEYS).values(**values).on_conflict_do_nothing()
            )
            connection.execute(add)  # someone else's key, made meanwhile, wins
            wrapped = connection.execute(query).scalar()
        if wrapped is None:
            return None
        try:
            return Fernet(self._fernet.decrypt(wrapped.encode()))
        except InvalidToken as exc:
            raise VaultError("a vault key cannot be opened with this ANXIN_DATA_KEY") from exc
