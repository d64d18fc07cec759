-- The wallet agent's store (wallet/pgstore): what the bbolt file holds.
-- Holders are the same JSON documents (opaque ids, salts, KDF
-- parameters, wrapped data keys, lockout counters); the recovery index
-- maps a keyed hash to a holder id; records are the sealed bytes the
-- wallet package encrypted, addressed by (holder id, kind, record id).
CREATE TABLE holders (
    id   text COLLATE "C" PRIMARY KEY,
    data jsonb NOT NULL
);
CREATE TABLE recovery (
    lookup    text COLLATE "C" PRIMARY KEY,
    holder_id text COLLATE "C" NOT NULL
);
CREATE TABLE records (
    holder_id text COLLATE "C" NOT NULL,
    kind      text COLLATE "C" NOT NULL,
    id        text COLLATE "C" NOT NULL,
    sealed    bytea NOT NULL,
    PRIMARY KEY (holder_id, kind, id)
);
