-- Room on each page for the next version of a session row, so that
-- marking a session fetched or answered is a HOT update that adds no
-- index entry: under SERIALIZABLE an index entry added to a page another
-- transaction read is a conflict with it.
ALTER TABLE sessions SET (fillfactor = 70);
