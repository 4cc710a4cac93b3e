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
