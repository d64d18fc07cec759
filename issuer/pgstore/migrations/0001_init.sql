-- The issuer's store (issuer/pgstore): what the bbolt file holds, table
-- by table. Offers, tokens, records and reservations are the same JSON
-- documents as in bbolt (offer claims sealed; records without claim
-- values); codes, tokens and nonces are keyed hashes.
CREATE TABLE offers (
    id   text COLLATE "C" PRIMARY KEY,
    data jsonb NOT NULL
);
CREATE TABLE codes (
    code_hash text COLLATE "C" PRIMARY KEY,
    offer_id  text COLLATE "C" NOT NULL
);
CREATE TABLE tokens (
    hash text COLLATE "C" PRIMARY KEY,
    data jsonb NOT NULL
);
CREATE TABLE nonces (
    hash       text COLLATE "C" PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE TABLE records (
    credential_id text COLLATE "C" PRIMARY KEY,
    data          jsonb NOT NULL
);
CREATE TABLE reservations (
    credential_id text COLLATE "C" PRIMARY KEY,
    data          jsonb NOT NULL
);
CREATE TABLE status_lists (
    id        text COLLATE "C" PRIMARY KEY,
    size      integer NOT NULL,
    revision  bigint NOT NULL,
    bits      bytea NOT NULL,
    allocator bytea NOT NULL
);
CREATE TABLE meta (
    key   text COLLATE "C" PRIMARY KEY,
    value text NOT NULL
);
