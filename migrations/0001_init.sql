-- 0001_init: the whole schema of the first release.
--
-- Conventions
-- * Times are INTEGER Unix milliseconds (UTC). Columns ending in `_at` are times.
-- * Discord ids (snowflakes, u64) are stored as INTEGER with the same bit pattern (i64).
-- * Money is INTEGER minor units (cents) plus a three-letter ISO 4217 currency.
-- * Status columns are TEXT with CHECK constraints spelled as in src/domain/status.rs.
-- * audit_logs and revenue_ledger are append-only: triggers refuse UPDATE and DELETE.
-- Forward-only: never edit this file once released; add 0002_*.sql instead.

-- 'VTB1': marks the file as a vpn-ticket-bot database (checked by backup and restore).
PRAGMA application_id = 1448362545;

-- Customers and their one panel client (subscription).
CREATE TABLE users (
    discord_id          INTEGER PRIMARY KEY,           -- Discord user id
    panel_client_uuid   TEXT UNIQUE,                   -- 3x-ui client id (uuid) once chosen
    panel_email         TEXT UNIQUE COLLATE NOCASE,    -- 3x-ui client email (unique on the panel)
    panel_sub_id        TEXT UNIQUE,                   -- 3x-ui subId
    inbound_id          INTEGER,                       -- 3x-ui inbound holding the client
    expiry_at           INTEGER,                       -- expiryTime: Unix ms; negative = -ms counted from first connection (3x-ui); NULL = none
    traffic_limit_bytes INTEGER NOT NULL DEFAULT 0 CHECK (traffic_limit_bytes >= 0), -- totalGB in bytes; 0 = unlimited
    device_limit        INTEGER NOT NULL DEFAULT 0 CHECK (device_limit >= 0),        -- limitIp; 0 = unlimited
    status              TEXT NOT NULL DEFAULT 'none'
                        CHECK (status IN ('none', 'active', 'expired', 'revoked')),
    banned              INTEGER NOT NULL DEFAULT 0 CHECK (banned IN (0, 1)),
    ban_reason          TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
) STRICT;
CREATE INDEX users_status_expiry ON users (status, expiry_at);

-- One purchase attempt, in one ticket channel. The plan is copied (snapshot) so later config
-- changes do not alter what was sold.
CREATE TABLE orders (
    id                       INTEGER PRIMARY KEY,
    user_id                  INTEGER NOT NULL REFERENCES users (discord_id),
    kind                     TEXT NOT NULL CHECK (kind IN ('new', 'renewal')),
    status                   TEXT NOT NULL DEFAULT 'pending_payment'
                             CHECK (status IN ('pending_payment', 'under_review', 'provisioning',
                                               'completed', 'cancelled', 'abandoned')),
    plan_id                  TEXT NOT NULL,
    plan_name                TEXT NOT NULL,
    plan_days                INTEGER NOT NULL CHECK (plan_days > 0),
    plan_traffic_gib         INTEGER NOT NULL CHECK (plan_traffic_gib >= 0),
    plan_device_limit        INTEGER NOT NULL CHECK (plan_device_limit >= 0),
    plan_price_minor         INTEGER NOT NULL CHECK (plan_price_minor > 0),
    plan_currency            TEXT NOT NULL CHECK (length(plan_currency) = 3),
    plan_start_on_first_use  INTEGER NOT NULL CHECK (plan_start_on_first_use IN (0, 1)),
    payment_method           TEXT,                     -- payment method id, once picked
    guild_id                 INTEGER,
    ticket_channel_id        INTEGER UNIQUE,           -- Discord channel id of the ticket
    created_at               INTEGER NOT NULL,
    updated_at               INTEGER NOT NULL,
    closed_at                INTEGER,                  -- completed / cancelled / abandoned time
    close_reason             TEXT
) STRICT;
CREATE INDEX orders_user_status ON orders (user_id, status);
CREATE INDEX orders_status_created ON orders (status, created_at);
-- At most one open order per customer, whatever the code above does.
CREATE UNIQUE INDEX orders_one_open_per_user ON orders (user_id)
    WHERE status IN ('pending_payment', 'under_review', 'provisioning');

-- A receipt for an order, and its review.
CREATE TABLE payments (
    id                      INTEGER PRIMARY KEY,
    order_id                INTEGER NOT NULL REFERENCES orders (id),
    user_id                 INTEGER NOT NULL REFERENCES users (discord_id),
    method                  TEXT NOT NULL,             -- payment method id
    amount_minor            INTEGER NOT NULL CHECK (amount_minor > 0),
    currency                TEXT NOT NULL CHECK (length(currency) = 3),
    receipt_sha256          TEXT NOT NULL UNIQUE CHECK (length(receipt_sha256) = 64), -- hex
    receipt_phash           TEXT NOT NULL,             -- perceptual hash, hex
    receipt_path            TEXT,                      -- relative to data_dir; NULL once retention deleted it
    receipt_content_type    TEXT NOT NULL,
    receipt_size            INTEGER NOT NULL CHECK (receipt_size > 0),
    near_duplicate_of       INTEGER REFERENCES payments (id), -- earlier payment with a close phash
    near_duplicate_distance INTEGER,
    review_channel_id       INTEGER,
    review_message_id       INTEGER,
    status                  TEXT NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'approving', 'provisioning_pending',
                                              'approved', 'rejected')),
    reviewer_id             INTEGER,                   -- Discord id of the deciding admin
    reason                  TEXT,                      -- reject reason / failure reason
    -- Provisioning state machine: the client identity is stored before the panel is called.
    client_uuid             TEXT,
    client_email            TEXT,
    client_sub_id           TEXT,
    client_created          INTEGER NOT NULL DEFAULT 0 CHECK (client_created IN (0, 1)), -- this attempt created the panel client
    provision_step          TEXT,                      -- last step reached (service-defined)
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    decided_at              INTEGER
) STRICT;
CREATE INDEX payments_order ON payments (order_id);
CREATE INDEX payments_user ON payments (user_id);
CREATE INDEX payments_status_created ON payments (status, created_at);
CREATE INDEX payments_phash ON payments (receipt_phash);
CREATE INDEX payments_review_message ON payments (review_message_id);
-- One payment in flight per order.
CREATE UNIQUE INDEX payments_one_open_per_order ON payments (order_id)
    WHERE status IN ('pending', 'approving', 'provisioning_pending');

-- One-time confirmation tokens for admin actions (5 minutes).
CREATE TABLE admin_sessions (
    id           INTEGER PRIMARY KEY,
    token        TEXT NOT NULL UNIQUE,                -- 128-bit random, hex
    admin_id     INTEGER NOT NULL,                    -- Discord id it is bound to
    action       TEXT NOT NULL CHECK (action IN ('approve', 'reject')),
    payment_id   INTEGER NOT NULL REFERENCES payments (id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    consumed_at  INTEGER
) STRICT;
CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at);
CREATE INDEX admin_sessions_payment ON admin_sessions (payment_id);

-- Every admin action and security-relevant refusal. Append-only.
CREATE TABLE audit_logs (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    actor_id     INTEGER,                             -- Discord id; NULL = the bot itself
    action       TEXT NOT NULL,                       -- e.g. payment.approve, receipt.duplicate
    target_type  TEXT,                                -- payment, order, user...
    target_id    TEXT,
    session_id   INTEGER,                             -- admin_sessions.id (no FK: sessions are purged, the log stays)
    payload      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload))
) STRICT;
CREATE INDEX audit_logs_at ON audit_logs (at);
CREATE INDEX audit_logs_actor_at ON audit_logs (actor_id, at);
CREATE INDEX audit_logs_action_at ON audit_logs (action, at);
CREATE INDEX audit_logs_target ON audit_logs (target_type, target_id);
CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only');
END;
CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only');
END;

-- Money received and given back. Append-only: refunds are new rows with negative amounts.
CREATE TABLE revenue_ledger (
    id            INTEGER PRIMARY KEY,
    payment_id    INTEGER REFERENCES payments (id),
    kind          TEXT NOT NULL CHECK (kind IN ('sale', 'refund')),
    amount_minor  INTEGER NOT NULL CHECK ((kind = 'sale' AND amount_minor > 0)
                                          OR (kind = 'refund' AND amount_minor < 0)),
    currency      TEXT NOT NULL CHECK (length(currency) = 3),
    at            INTEGER NOT NULL,
    note          TEXT
) STRICT;
CREATE INDEX revenue_ledger_currency_at ON revenue_ledger (currency, at);
CREATE INDEX revenue_ledger_at ON revenue_ledger (at);
-- One sale per payment, however many times approval is attempted.
CREATE UNIQUE INDEX revenue_ledger_one_sale_per_payment ON revenue_ledger (payment_id)
    WHERE kind = 'sale';
CREATE TRIGGER revenue_ledger_no_update BEFORE UPDATE ON revenue_ledger
BEGIN
    SELECT RAISE(ABORT, 'revenue_ledger is append-only');
END;
CREATE TRIGGER revenue_ledger_no_delete BEFORE DELETE ON revenue_ledger
BEGIN
    SELECT RAISE(ABORT, 'revenue_ledger is append-only');
END;

-- Totals per period, rebuilt from the ledger (a cache: safe to delete and refill).
CREATE TABLE revenue_cache (
    period        TEXT NOT NULL CHECK (period IN ('day', 'month', 'quarter', 'year')),
    period_key    TEXT NOT NULL,                      -- 2026-11-21, 2026-11, 2026-Q4, 2026 (shop time zone)
    currency      TEXT NOT NULL CHECK (length(currency) = 3),
    total_minor   INTEGER NOT NULL,
    sales         INTEGER NOT NULL,                   -- number of sale rows
    refreshed_at  INTEGER NOT NULL,
    PRIMARY KEY (period, period_key, currency)
) STRICT, WITHOUT ROWID;

-- Small persistent settings of the running bot (dashboard message id...).
CREATE TABLE bot_config (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Messages the bot posted that must be deleted later (TTL).
CREATE TABLE bot_messages (
    id            INTEGER PRIMARY KEY,
    channel_id    INTEGER NOT NULL,
    message_id    INTEGER NOT NULL,
    purpose       TEXT NOT NULL,
    delete_after  INTEGER,                            -- NULL = keep
    created_at    INTEGER NOT NULL,
    UNIQUE (channel_id, message_id)
) STRICT;
CREATE INDEX bot_messages_delete_after ON bot_messages (delete_after) WHERE delete_after IS NOT NULL;

-- Deliveries to do (DMs, card updates...), at least once, with an idempotency key.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    idempotency_key  TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL,                   -- deliverer-defined, e.g. dm_link
    payload          TEXT NOT NULL CHECK (json_valid(payload)),
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    delivered_at     INTEGER
) STRICT;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- Delays that must survive a restart (delete a ticket channel at time T...).
CREATE TABLE scheduled_jobs (
    id           INTEGER PRIMARY KEY,
    dedupe_key   TEXT NOT NULL UNIQUE,                -- e.g. delete_channel:<channel id>
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    run_at       INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'cancelled')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    created_at   INTEGER NOT NULL,
    finished_at  INTEGER
) STRICT;
CREATE INDEX scheduled_jobs_due ON scheduled_jobs (status, run_at);
