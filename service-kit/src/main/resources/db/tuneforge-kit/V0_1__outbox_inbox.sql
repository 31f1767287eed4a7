-- Shared by every service (service-kit). Version 0.1 so a service's own migrations start at V1.

-- Transactional outbox: a service writes its state change and its outgoing events in one
-- transaction; OutboxRelay publishes pending rows in seq order and then marks them sent.
CREATE TABLE tf_outbox (
    seq        BIGSERIAL PRIMARY KEY,
    event_id   UUID        NOT NULL UNIQUE,
    topic      TEXT        NOT NULL,
    event_key  TEXT        NOT NULL,
    event_type TEXT        NOT NULL,
    source     TEXT        NOT NULL,
    subject    TEXT        NOT NULL,
    event_time TIMESTAMPTZ NOT NULL,
    payload    TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at    TIMESTAMPTZ
);
CREATE INDEX tf_outbox_pending ON tf_outbox (seq) WHERE sent_at IS NULL;

-- Inbox: every consumed event id, recorded in the same transaction as its effect, so a
-- redelivered event has no second effect.
CREATE TABLE tf_inbox (
    consumer    TEXT        NOT NULL,
    event_id    UUID        NOT NULL,
    event_type  TEXT        NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
