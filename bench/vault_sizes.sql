-- The vault's tables for a city of 10,000 holders x 40 entries, filled as
-- offices fill them (run by bench/bench_vault.sh in a database of its own,
-- after `laufmappe vault init`): 400,000 records, typical entries sealed
-- (9 in 10 entries of 112-126 bytes seal to 156 bytes, 1 in 10 of 127-190
-- bytes to 220: tests/vectors/entries), 1 in 100 entries deleted (a
-- tombstone instead), first pushes spread over 180 days and last pushes
-- over 30 (distinct times: no index deduplication flatters the sizes).
SET ROLE lm_vault_owner;
INSERT INTO lm_vault.records (tag, ref, sealed, first_push, last_push)
SELECT substr(sha256(int4send(h)), 1, 16),
       substr(sha256(int4send(h) || int4send(e)), 1, 16),
       substr(sha256(int4send(h) || int4send(e) || '\x01') || sha256(int4send(e) || '\x02') ||
              sha256(int4send(e) || '\x03') || sha256(int4send(e) || '\x04') ||
              sha256(int4send(e) || '\x05') || sha256(int4send(e) || '\x06') ||
              sha256(int4send(e) || '\x07'), 1, CASE WHEN (h + e) % 10 = 0 THEN 220 ELSE 156 END),
       now() - make_interval(secs => (h * 40 + e) * 38.8), now() - make_interval(secs => (h * 40 + e) * 6.48)
FROM generate_series(1, 10000) h, generate_series(1, 40) e
WHERE (h * 40 + e) % 100 <> 0
ORDER BY random();
INSERT INTO lm_vault.tombstones (tag, ref, time)
SELECT substr(sha256(int4send(h)), 1, 16), substr(sha256(int4send(h) || int4send(e)), 1, 16), now()
FROM generate_series(1, 10000) h, generate_series(1, 40) e
WHERE (h * 40 + e) % 100 = 0;
RESET ROLE;
VACUUM ANALYZE lm_vault.records;
VACUUM ANALYZE lm_vault.tombstones;
SELECT c.relname AS relation, c.reltuples::bigint AS rows, pg_size_pretty(pg_relation_size(c.oid)) AS size,
       pg_relation_size(c.oid) AS bytes
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'lm_vault' AND c.relkind IN ('r', 'i', 't')
   OR c.oid IN (SELECT reltoastrelid FROM pg_class WHERE relname IN ('records', 'tombstones'))
ORDER BY bytes DESC;
SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) AS "all vault tables with indexes"
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'lm_vault' AND c.relkind = 'r';
