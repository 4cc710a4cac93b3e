-- 0005_backends: first-use activation (seed 001). Columns only (ALTER TABLE ADD COLUMN: no table
-- rebuild), plus a partial index for the activation job's one query.
-- Forward-only: never edit this file once released; add 0006_*.sql instead.

-- When the customer's first-use clock started (Unix ms): set once, by the activation job, when
-- the panel turned the negative expiry absolute, the client had traffic the panel did not count,
-- or the deadline passed. NULL = not started, or started before this column existed (unknown).
ALTER TABLE users ADD COLUMN activated_at INTEGER;
-- After this time (Unix ms) the first-use clock starts even without a connection
-- (`orders.first_use_deadline_days`); set by the activation job the first time it sees the
-- customer waiting. NULL = no deadline (yet).
ALTER TABLE users ADD COLUMN first_use_deadline_at INTEGER;

-- Customers waiting for their first connection: what the activation job reads every pass.
CREATE INDEX users_first_use_waiting ON users (discord_id) WHERE status = 'active' AND expiry_at < 0;

-- Several panels (seed 003). The panel (`[[panels]]` id) the customer's client lives on; NULL =
-- the first configured panel for a customer who has a client (everyone before this column).
ALTER TABLE users ADD COLUMN panel_id TEXT;
CREATE INDEX users_panel ON users (panel_id, status);
-- Clients left on a panel that was down when their customer was moved to another one (failover):
-- deleted by reconciliation once that panel answers again.
CREATE TABLE panel_tombstones (
    panel_id   TEXT NOT NULL,
    email      TEXT NOT NULL,                          -- the client key on that panel
    user_id    INTEGER NOT NULL REFERENCES users (discord_id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (panel_id, email)
) STRICT;
