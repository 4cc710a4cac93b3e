-- 0003_payment_sources: a payment is backed by a receipt *or* by something else (a Crypto Pay
-- invoice now; a promo code, a trial or a gift later), and orders may be free (trial, 100 % promo,
-- gift redemption). SQLite cannot relax a CHECK or a NOT NULL in place, so `orders` and `payments`
-- are rebuilt (the 12-step procedure of https://www.sqlite.org/lang_altertable.html): the
-- migration runner turns `foreign_keys` off around the migration and runs `foreign_key_check`
-- before it commits (`store::migrations::migrate`).
-- Forward-only: never edit this file once released; add 0004_*.sql instead.

CREATE TABLE orders_new (
    id                       INTEGER PRIMARY KEY,
    user_id                  INTEGER NOT NULL REFERENCES users (discord_id),
    -- new / renewal: bought; trial: the one free trial; gift: bought for someone else (issues a
    -- token instead of a client); redemption: a gift token redeemed.
    kind                     TEXT NOT NULL
                             CHECK (kind IN ('new', 'renewal', 'trial', 'gift', 'redemption')),
    status                   TEXT NOT NULL DEFAULT 'pending_payment'
                             CHECK (status IN ('pending_payment', 'under_review', 'provisioning',
                                               'completed', 'cancelled', 'abandoned')),
    plan_id                  TEXT NOT NULL,
    plan_name                TEXT NOT NULL,
    plan_days                INTEGER NOT NULL CHECK (plan_days > 0),
    plan_traffic_gib         INTEGER NOT NULL CHECK (plan_traffic_gib >= 0),
    plan_device_limit        INTEGER NOT NULL CHECK (plan_device_limit >= 0),
    -- 0 only for orders nobody pays for (trial, redemption, a 100 % promo).
    plan_price_minor         INTEGER NOT NULL CHECK (plan_price_minor >= 0),
    plan_currency            TEXT NOT NULL CHECK (length(plan_currency) = 3),
    plan_start_on_first_use  INTEGER NOT NULL CHECK (plan_start_on_first_use IN (0, 1)),
    payment_method           TEXT,
    guild_id                 INTEGER,
    ticket_channel_id        INTEGER UNIQUE,
    created_at               INTEGER NOT NULL,
    updated_at               INTEGER NOT NULL,
    closed_at                INTEGER,
    close_reason             TEXT,
    waiting_since            INTEGER,
    last_message_id          INTEGER,
    ticket_deleted_at        INTEGER
) STRICT;
INSERT INTO orders_new (id, user_id, kind, status, plan_id, plan_name, plan_days,
    plan_traffic_gib, plan_device_limit, plan_price_minor, plan_currency, plan_start_on_first_use,
    payment_method, guild_id, ticket_channel_id, created_at, updated_at, closed_at, close_reason,
    waiting_since, last_message_id, ticket_deleted_at)
SELECT id, user_id, kind, status, plan_id, plan_name, plan_days,
    plan_traffic_gib, plan_device_limit, plan_price_minor, plan_currency, plan_start_on_first_use,
    payment_method, guild_id, ticket_channel_id, created_at, updated_at, closed_at, close_reason,
    waiting_since, last_message_id, ticket_deleted_at
  FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE INDEX orders_user_status ON orders (user_id, status);
CREATE INDEX orders_status_created ON orders (status, created_at);
CREATE INDEX orders_status_waiting ON orders (status, waiting_since);
CREATE UNIQUE INDEX orders_one_open_per_user ON orders (user_id)
    WHERE status IN ('pending_payment', 'under_review', 'provisioning');

CREATE TABLE payments_new (
    id                      INTEGER PRIMARY KEY,
    order_id                INTEGER NOT NULL REFERENCES orders (id),
    user_id                 INTEGER NOT NULL REFERENCES users (discord_id),
    method                  TEXT NOT NULL,
    -- What backs the payment: a receipt reviewed by an admin, a paid Crypto Pay invoice
    -- (`crypto_invoices.payment_id`), or nothing paid (promo, trial, gift redemption).
    source                  TEXT NOT NULL DEFAULT 'receipt'
                            CHECK (source IN ('receipt', 'cryptobot', 'promo', 'trial', 'gift')),
    amount_minor            INTEGER NOT NULL
                            CHECK (amount_minor >= 0
                                   AND (amount_minor > 0 OR source NOT IN ('receipt', 'cryptobot'))),
    currency                TEXT NOT NULL CHECK (length(currency) = 3),
    receipt_sha256          TEXT UNIQUE CHECK (receipt_sha256 IS NULL OR length(receipt_sha256) = 64),
    receipt_phash           TEXT,
    receipt_path            TEXT,
    receipt_content_type    TEXT,
    receipt_size            INTEGER CHECK (receipt_size IS NULL OR receipt_size > 0),
    near_duplicate_of       INTEGER REFERENCES payments (id),
    near_duplicate_distance INTEGER,
    review_channel_id       INTEGER,
    review_message_id       INTEGER,
    status                  TEXT NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'approving', 'provisioning_pending',
                                              'approved', 'rejected')),
    reviewer_id             INTEGER,
    reason                  TEXT,
    client_uuid             TEXT,
    client_email            TEXT,
    client_sub_id           TEXT,
    client_created          INTEGER NOT NULL DEFAULT 0 CHECK (client_created IN (0, 1)),
    provision_step          TEXT,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    decided_at              INTEGER,
    -- A receipt payment has its whole receipt; no other payment has any of it.
    CHECK (source <> 'receipt' OR (receipt_sha256 IS NOT NULL AND receipt_phash IS NOT NULL
                                   AND receipt_content_type IS NOT NULL AND receipt_size IS NOT NULL)),
    CHECK (source = 'receipt' OR (receipt_sha256 IS NULL AND receipt_phash IS NULL
                                  AND receipt_path IS NULL AND receipt_content_type IS NULL
                                  AND receipt_size IS NULL AND near_duplicate_of IS NULL))
) STRICT;
INSERT INTO payments_new (id, order_id, user_id, method, source, amount_minor, currency,
    receipt_sha256, receipt_phash, receipt_path, receipt_content_type, receipt_size,
    near_duplicate_of, near_duplicate_distance, review_channel_id, review_message_id, status,
    reviewer_id, reason, client_uuid, client_email, client_sub_id, client_created, provision_step,
    created_at, updated_at, decided_at)
SELECT id, order_id, user_id, method, 'receipt', amount_minor, currency,
    receipt_sha256, receipt_phash, receipt_path, receipt_content_type, receipt_size,
    near_duplicate_of, near_duplicate_distance, review_channel_id, review_message_id, status,
    reviewer_id, reason, client_uuid, client_email, client_sub_id, client_created, provision_step,
    created_at, updated_at, decided_at
  FROM payments;
DROP TABLE payments;
ALTER TABLE payments_new RENAME TO payments;
CREATE INDEX payments_order ON payments (order_id);
CREATE INDEX payments_user ON payments (user_id);
CREATE INDEX payments_status_created ON payments (status, created_at);
CREATE INDEX payments_phash ON payments (receipt_phash) WHERE receipt_phash IS NOT NULL;
CREATE INDEX payments_review_message ON payments (review_message_id);
CREATE UNIQUE INDEX payments_one_open_per_order ON payments (order_id)
    WHERE status IN ('pending', 'approving', 'provisioning_pending');

-- Crypto Pay invoices (https://help.crypt.bot/crypto-pay-api). The row is written before the
-- API is called (`creating`, with its unique payload), so a crash between the two leaves a row
-- the bot can settle; the invoice id, pay URL and expiry are stored when the API answers. The
-- poller asks the API about every `active` invoice; the API's answer is the truth.
CREATE TABLE crypto_invoices (
    id              INTEGER PRIMARY KEY,
    order_id        INTEGER NOT NULL REFERENCES orders (id),
    -- Crypto Pay's invoice_id; NULL while `creating` (or when creation failed).
    invoice_id      INTEGER UNIQUE,
    -- creating → active → paid | expired | cancelled (deleted because the order closed) |
    -- mismatch (paid, but not what we asked for: never provisioned); creating → failed.
    status          TEXT NOT NULL DEFAULT 'creating'
                    CHECK (status IN ('creating', 'active', 'paid', 'expired', 'cancelled',
                                      'mismatch', 'failed')),
    currency_type   TEXT NOT NULL CHECK (currency_type IN ('crypto', 'fiat')),
    asset           TEXT,                    -- crypto invoices: USDT, TON...
    fiat            TEXT,                    -- fiat invoices: USD, EUR...
    amount          TEXT NOT NULL,           -- decimal string sent to createInvoice ("12.50")
    amount_minor    INTEGER NOT NULL CHECK (amount_minor > 0), -- the order's price, minor units
    currency        TEXT NOT NULL CHECK (length(currency) = 3), -- the order's currency
    payload         TEXT NOT NULL UNIQUE,    -- vtb:<order id>:<nonce>, sent as `payload`
    pay_url         TEXT,                    -- bot_invoice_url
    payment_id      INTEGER UNIQUE REFERENCES payments (id), -- set when paid and matched
    paid_asset      TEXT,
    paid_amount     TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    expires_at      INTEGER,                 -- Unix ms
    paid_at         INTEGER,                 -- Unix ms, when we saw it paid
    last_error      TEXT,
    CHECK ((status IN ('creating', 'failed')) OR invoice_id IS NOT NULL),
    CHECK ((status = 'paid') = (payment_id IS NOT NULL))
) STRICT;
CREATE INDEX crypto_invoices_status ON crypto_invoices (status);
CREATE INDEX crypto_invoices_order ON crypto_invoices (order_id);
-- One live invoice per order.
CREATE UNIQUE INDEX crypto_invoices_one_live_per_order ON crypto_invoices (order_id)
    WHERE status IN ('creating', 'active');
