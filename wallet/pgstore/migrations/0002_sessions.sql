-- Wallet sessions shared by every agent instance (issue 13): one row per
-- open session, keyed by the public half of the session token. data is
-- the wallet.SessionRecord JSON: the holder id, the epoch, the times and
-- the data key wrapped under a key derived from the token's secret half,
-- which is never stored. until (when the session ends unless used again)
-- is kept apart for the expiry sweep.
CREATE TABLE sessions (
    id        text COLLATE "C" PRIMARY KEY,
    holder_id text COLLATE "C" NOT NULL,
    until     timestamptz NOT NULL,
    data      jsonb NOT NULL
);
CREATE INDEX sessions_holder ON sessions (holder_id);
CREATE INDEX sessions_until ON sessions (until);
