-- 0006_growth: trials, promo codes, referrals, gift subscriptions. Every limit that matters for
-- money is a constraint here, so no code path (or race) can break it: one trial per Discord
-- account ever, a promo code never used past max_uses nor twice by one customer, one referral
-- per referee and one reward per referral, one redemption per gift.
-- Forward-only: never edit this file once released; add a new file instead.

-- The one free trial of a Discord account (never deleted, so it can never be granted again).
CREATE TABLE trials (
    user_id     INTEGER PRIMARY KEY REFERENCES users (discord_id),
    order_id    INTEGER NOT NULL UNIQUE REFERENCES orders (id),
    granted_at  INTEGER NOT NULL
) STRICT;

-- Promo codes created by staff.
CREATE TABLE promo_codes (
    code              TEXT PRIMARY KEY COLLATE NOCASE
                      CHECK (length(code) BETWEEN 4 AND 32 AND code NOT GLOB '*[^A-Za-z0-9_-]*'),
    -- percent: value % off; amount: value minor units off (in `currency`); days: value extra
    -- days; plan: the whole plan `plan_id` for free.
    kind              TEXT NOT NULL CHECK (kind IN ('percent', 'amount', 'days', 'plan')),
    value             INTEGER NOT NULL CHECK (value > 0),
    currency          TEXT CHECK (currency IS NULL OR length(currency) = 3),
    plan_id           TEXT,                 -- plan kind: the plan granted; others: only this plan
    max_uses          INTEGER CHECK (max_uses IS NULL OR max_uses > 0),
    uses              INTEGER NOT NULL DEFAULT 0, -- reserved + consumed
    first_order_only  INTEGER NOT NULL DEFAULT 0 CHECK (first_order_only IN (0, 1)),
    valid_from        INTEGER,              -- Unix ms; NULL = now
    valid_until       INTEGER,              -- Unix ms; NULL = forever
    created_by        INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    disabled_at       INTEGER,
    CHECK (kind <> 'percent' OR value <= 100),
    CHECK (kind <> 'amount' OR currency IS NOT NULL),
    CHECK (kind <> 'plan' OR plan_id IS NOT NULL),
    CHECK (max_uses IS NULL OR uses <= max_uses),
    CHECK (uses >= 0)
) STRICT;

-- A code applied to an order: reserved when the order is created, consumed when it is approved,
-- released when it closes unpaid. One live use per customer and code.
CREATE TABLE promo_redemptions (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL REFERENCES promo_codes (code),
    user_id         INTEGER NOT NULL REFERENCES users (discord_id),
    order_id        INTEGER NOT NULL UNIQUE REFERENCES orders (id),
    status          TEXT NOT NULL DEFAULT 'reserved'
                    CHECK (status IN ('reserved', 'consumed', 'released')),
    discount_minor  INTEGER NOT NULL DEFAULT 0 CHECK (discount_minor >= 0),
    extra_days      INTEGER NOT NULL DEFAULT 0 CHECK (extra_days >= 0),
    created_at      INTEGER NOT NULL,
    settled_at      INTEGER
) STRICT;
CREATE UNIQUE INDEX promo_redemptions_once_per_customer ON promo_redemptions (code, user_id)
    WHERE status IN ('reserved', 'consumed');

-- What an order's price was before a code (list price) and which code it used.
ALTER TABLE orders ADD COLUMN list_price_minor INTEGER;
ALTER TABLE orders ADD COLUMN promo_code TEXT;

-- A customer's own referral code (shown by /referral).
CREATE TABLE referral_codes (
    user_id     INTEGER PRIMARY KEY REFERENCES users (discord_id),
    code        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at  INTEGER NOT NULL
) STRICT;

-- Who referred whom (bound before the referee's first order), and the reward, given once.
CREATE TABLE referrals (
    referee_id             INTEGER PRIMARY KEY REFERENCES users (discord_id),
    referrer_id            INTEGER NOT NULL REFERENCES users (discord_id),
    bound_at               INTEGER NOT NULL,
    -- The referee's first approved paid payment; set once, in its approval's transaction.
    qualifying_payment_id  INTEGER UNIQUE REFERENCES payments (id),
    -- none → pending (earned, to add to the referrer) → applied | capped (monthly cap reached)
    reward_status          TEXT NOT NULL DEFAULT 'none'
                           CHECK (reward_status IN ('none', 'pending', 'applied', 'capped')),
    reward_days            INTEGER,
    reward_target_expiry   INTEGER,          -- absolute expiry chosen before the panel call
    earned_at              INTEGER,
    applied_at             INTEGER,
    CHECK (referee_id <> referrer_id)
) STRICT;
CREATE INDEX referrals_referrer_earned ON referrals (referrer_id, earned_at);
CREATE INDEX referrals_reward_status ON referrals (reward_status);

-- Gift subscriptions: bought by one customer, redeemed by another with a token only its hash
-- of is stored.
CREATE TABLE gifts (
    id              INTEGER PRIMARY KEY,
    token_sha256    TEXT NOT NULL UNIQUE CHECK (length(token_sha256) = 64),
    buyer_id        INTEGER NOT NULL REFERENCES users (discord_id),
    order_id        INTEGER NOT NULL UNIQUE REFERENCES orders (id),  -- the purchase
    plan_id         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'issued'
                    CHECK (status IN ('issued', 'redeemed', 'revoked')),
    redeemed_by     INTEGER REFERENCES users (discord_id),
    redeemed_order  INTEGER UNIQUE REFERENCES orders (id),
    redeemed_at     INTEGER,
    expires_at      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    revoked_by      INTEGER,
    CHECK ((status = 'redeemed') = (redeemed_by IS NOT NULL)),
    CHECK (redeemed_by IS NULL OR redeemed_by <> buyer_id)
) STRICT;

-- Why a receipt was rejected, as a code the customer's language can render (the text stays in
-- `reason`).
ALTER TABLE payments ADD COLUMN reason_code TEXT;

-- When temporary access was granted on this payment's receipt (Unix ms): approval raises the
-- same client to the full plan, rejection disables it.
ALTER TABLE payments ADD COLUMN provisional_at INTEGER;
