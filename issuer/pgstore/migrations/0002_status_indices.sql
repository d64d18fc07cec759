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
-- Room on each page for the next version of a row, so that updating an
-- offer (redeemed) or a token (used) is a HOT update that adds no index
-- entry: under SERIALIZABLE an index entry added to a page another
-- transaction read is a conflict with it.
ALTER TABLE offers SET (fillfactor = 70);
ALTER TABLE tokens SET (fillfactor = 70);
