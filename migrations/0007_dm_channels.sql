-- The DM channel Discord gave for a customer (POST /users/@me/channels answers the same channel
-- every time), kept so later DMs skip that rate-limited call; NULL = not known yet.
ALTER TABLE users ADD COLUMN dm_channel_id INTEGER;
