-- Keyed hashes (HMAC-SHA256) of the proofs of jpt presentations seen,
-- kept until their session expires, to refuse a replayed bearer
-- presentation. Never the proof itself.
CREATE TABLE seen_proofs (
    digest text COLLATE "C" PRIMARY KEY,
    data   jsonb NOT NULL
);
