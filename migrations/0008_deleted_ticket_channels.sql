-- The ticket channel an order had when that channel was deleted (`ticket_channel_id` is cleared
-- then). Discord may still deliver a message of the channel after the bot handled its deletion
-- (the events are handled concurrently): it is recorded in that order's transcript all the same.
ALTER TABLE orders ADD COLUMN deleted_ticket_channel_id INTEGER;
CREATE INDEX orders_deleted_ticket_channel ON orders (deleted_ticket_channel_id)
    WHERE deleted_ticket_channel_id IS NOT NULL;
