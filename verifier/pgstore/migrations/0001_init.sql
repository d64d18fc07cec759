-- The verifier's store (verifier/pgstore): what the bbolt file holds.
-- Sessions (ephemeral key sealed), results (outcome code in clear, the
-- full result sealed) and reviews (reason sealed), as the same JSON
-- documents, keyed by session id.
CREATE TABLE sessions (
    id   text COLLATE "C" PRIMARY KEY,
    data jsonb NOT NULL
);
CREATE TABLE results (
    session_id text COLLATE "C" PRIMARY KEY,
    data       jsonb NOT NULL
);
CREATE TABLE reviews (
    session_id text COLLATE "C" PRIMARY KEY,
    data       jsonb NOT NULL
);
