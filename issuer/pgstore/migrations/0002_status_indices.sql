-- Status index claims, one row per index (ClaimStatusIndex): concurrent
-- issuances insert different rows instead of rewriting the list's one
-- allocator value, which made every pair of them conflict. The column
-- keeps the allocator state as put (PutStatusList,
-- PutStatusListAllocator), whose used indices count as claimed; it is
-- renamed so that an instance of an earlier version, which would
-- allocate from it alone, fails instead of reusing a claimed index.
ALTER TABLE status_lists RENAME COLUMN allocator TO allocator_base;
CREATE TABLE status_indices (
    list_id text COLLATE "C" NOT NULL, -- a status_lists id (checked by the insert)
    idx     integer NOT NULL,
    PRIMARY KEY (list_id, idx)
);
