-- 0002_converge: what the bot needs to make Discord converge on the database after faults and
-- downtime. Columns only (ALTER TABLE ADD COLUMN: no table rebuild), plus the conversion of
-- queued 0001 view deliveries into their projections.
-- Forward-only: never edit this file once released; add 0003_*.sql instead.

-- When the order last started waiting for a receipt (creation, or a rejection that reopened it):
-- abandonment counts from here, not from created_at.
ALTER TABLE orders ADD COLUMN waiting_since INTEGER;
UPDATE orders SET waiting_since = coalesce(
    (SELECT max(p.decided_at) FROM payments p
      WHERE p.order_id = orders.id AND p.status = 'rejected' AND orders.status = 'pending_payment'),
    created_at);
CREATE INDEX orders_status_waiting ON orders (status, waiting_since);
-- The newest message of the ticket channel the bot has handled (a Discord snowflake): catch-up
-- after downtime reads the messages posted after it.
ALTER TABLE orders ADD COLUMN last_message_id INTEGER;
-- The ticket channel was deleted while the order was provisioning (Unix ms): the order completes
-- and is delivered by DM, or, if provisioning fails, is closed like any order whose ticket is gone.
ALTER TABLE orders ADD COLUMN ticket_deleted_at INTEGER;

-- The connection the customer was last sent: `/status` and "Show my link" show it even while the
-- panel cannot be asked.
ALTER TABLE users ADD COLUMN access_link TEXT;
ALTER TABLE users ADD COLUMN access_subscription_url TEXT;

-- Views (ticket permissions, review cards) are queued once per entity and re-armed on every new
-- state; the revision tells the worker whether the state changed while it was delivering.
ALTER TABLE outbox ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

-- 0001 queued view deliveries as snapshots (lock/unlock, card state). Their projections replace
-- them: one per ticket and one per card, rendered from the database when delivered.
INSERT INTO outbox (idempotency_key, kind, payload, next_attempt_at, created_at)
SELECT 'ticket_view:order:' || o.id, 'ticket_view',
       json_object('kind', 'ticket_view', 'order_id', o.id),
       min(ob.next_attempt_at), min(ob.created_at)
  FROM outbox ob JOIN orders o ON o.ticket_channel_id = json_extract(ob.payload, '$.channel_id')
 WHERE ob.kind = 'ticket_lock' AND ob.status = 'pending'
 GROUP BY o.id
    ON CONFLICT (idempotency_key) DO NOTHING;
INSERT INTO outbox (idempotency_key, kind, payload, next_attempt_at, created_at)
SELECT 'review_card:payment:' || json_extract(ob.payload, '$.payment_id'), 'review_card',
       json_object('kind', 'review_card', 'payment_id', json_extract(ob.payload, '$.payment_id')),
       min(ob.next_attempt_at), min(ob.created_at)
  FROM outbox ob
 WHERE ob.kind = 'review_card_update' AND ob.status = 'pending'
 GROUP BY json_extract(ob.payload, '$.payment_id')
    ON CONFLICT (idempotency_key) DO UPDATE SET status = 'pending', revision = revision + 1,
       next_attempt_at = min(next_attempt_at, excluded.next_attempt_at);
UPDATE outbox SET status = 'failed', last_error = 'replaced by its projection (migration 0002)'
 WHERE kind IN ('ticket_lock', 'review_card_update') AND status = 'pending';
