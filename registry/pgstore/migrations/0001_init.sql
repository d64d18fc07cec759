-- The registry's store (registry/pgstore): what the bbolt file holds.
-- The working state is one JSON document (the authority's public
-- configuration and the registry, all of it published anyway) with its
-- revision beside it; snapshots are the signed compact JWS, newest
-- registry.KeepSnapshots kept.
CREATE TABLE state (
    id       smallint PRIMARY KEY CHECK (id = 1),
    revision bigint NOT NULL,
    data     jsonb NOT NULL
);
CREATE TABLE snapshots (
    version bigint PRIMARY KEY,
    compact text NOT NULL
);
