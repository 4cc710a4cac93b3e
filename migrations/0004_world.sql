-- Issue 15 ("World"): the customer's language, and ticket transcripts.

-- The customer's `/language` choice ('en', 'ru', 'fa'); NULL = not chosen.
ALTER TABLE users ADD COLUMN language TEXT CHECK (language IN ('en', 'ru', 'fa'));
-- The Discord client locale of the customer's last interaction (e.g. 'ru', 'en-US'): the
-- language of DMs sent later, when there is no interaction to read it from.
ALTER TABLE users ADD COLUMN discord_locale TEXT;

-- Every message the bot saw in a ticket channel (live, caught up, or read back before the
-- channel was deleted): the transcript's lines. Receipts themselves are kept in `payments`.
CREATE TABLE ticket_messages (
    message_id   INTEGER PRIMARY KEY,                 -- Discord message id
    order_id     INTEGER NOT NULL REFERENCES orders (id),
    author_id    INTEGER NOT NULL,                    -- Discord user id
    author_name  TEXT NOT NULL,
    author_bot   INTEGER NOT NULL CHECK (author_bot IN (0, 1)),
    content      TEXT NOT NULL,
    attachments  TEXT NOT NULL,                       -- file names, one per line
    created_at   INTEGER NOT NULL                     -- Unix ms (from the message id)
) STRICT;
CREATE INDEX ticket_messages_order ON ticket_messages (order_id, message_id);

-- A ticket whose channel is gone: when it was archived and from what.
CREATE TABLE transcripts (
    order_id     INTEGER PRIMARY KEY REFERENCES orders (id),
    archived_at  INTEGER NOT NULL,                    -- Unix ms
    source       TEXT NOT NULL CHECK (source IN ('history', 'seen'))
) STRICT;
