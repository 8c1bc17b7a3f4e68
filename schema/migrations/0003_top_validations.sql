-- The best current validations (GET /api/v1/products/top), for the API's SQL stores and for Supabase
-- through PostgREST (/rest/v1/rpc/top_validations). Safe to run twice; no BEGIN/COMMIT (the runner
-- wraps the file in a transaction).

-- One index range per verdict and scoring version, already in score order: a page reads only the
-- entries it returns (and the ones it skips). expires_at is a key column so that the expiry is checked
-- on the index entry itself, before any row is fetched. Replaces 0001's (verdict, score, validated_at).
DROP INDEX IF EXISTS validations_verdict_score_idx;
CREATE INDEX IF NOT EXISTS validations_verdict_score_idx
  ON validations (verdict, scoring_version, score DESC NULLS LAST, validated_at DESC, id DESC, expires_at);

-- The category filter reads the payload; without statistics on that expression the planner guesses 0.5%
-- of rows match, and then prefers reading a whole verdict and sorting it to walking the index in order.
CREATE STATISTICS IF NOT EXISTS validations_category_stats ON (lower(payload -> 'product' ->> 'category')) FROM validations;

-- One page of the best validations still within their TTL, best first, after a keyset cursor
-- (p_after_*: the last row of the previous page; 101, 'infinity' and the largest bigint start at the top,
-- so the comparison stays an index condition). Each verdict is its own index scan; the pages are merged.
-- A validation is left out when a newer one of the same product and market is still live: the archive
-- would serve that one. LANGUAGE sql, STABLE, no SET clause: PostgreSQL inlines it into the caller's
-- query, so the planner sees the index conditions (test/store/indexes.test.ts EXPLAINs it).
CREATE OR REPLACE FUNCTION top_validations(
  p_verdicts text[],
  p_scoring_version text,
  p_now timestamptz,
  p_min_score integer,
  p_after_score integer,
  p_after_validated_at timestamptz,
  p_after_id bigint,
  p_limit integer,
  p_country text DEFAULT NULL,
  p_currency text DEFAULT NULL,
  p_category text DEFAULT NULL
)
RETURNS TABLE (
  id bigint,
  product_id text,
  country text,
  currency text,
  score integer,
  verdict text,
  confidence double precision,
  validated_at timestamptz,
  expires_at timestamptz,
  scoring_version text,
  product jsonb,
  components jsonb,
  economics jsonb
)
LANGUAGE sql
STABLE
AS $$
  SELECT t.id, t.product_id, t.country, t.currency, t.score, t.verdict, t.confidence, t.validated_at, t.expires_at,
    t.scoring_version, t.product, t.components, t.economics
  FROM unnest(p_verdicts) AS wanted (verdict)
  CROSS JOIN LATERAL (
    SELECT v.id, v.product_id, v.country::text AS country, v.currency::text AS currency, v.score::integer AS score,
      v.verdict, v.confidence::double precision AS confidence, v.validated_at, v.expires_at, v.scoring_version,
      v.payload -> 'product' AS product, v.payload -> 'score' -> 'components' AS components, v.payload -> 'economics' AS economics
    FROM validations v
    WHERE v.verdict = wanted.verdict
      AND v.scoring_version = p_scoring_version
      AND v.score >= p_min_score
      AND (v.score, v.validated_at, v.id) < (p_after_score, p_after_validated_at, p_after_id)
      AND v.expires_at > p_now
      -- Compared as the columns' char(n): as text, the planner loses their statistics and sorts everything.
      AND (p_country IS NULL OR v.country = p_country::char(2))
      AND (p_currency IS NULL OR v.currency = p_currency::char(3))
      AND (p_category IS NULL OR lower(v.payload -> 'product' ->> 'category') = lower(p_category))
      AND NOT EXISTS (
        SELECT 1 FROM validations newer
        WHERE newer.product_id = v.product_id AND newer.country = v.country AND newer.currency = v.currency
          AND newer.validated_at > v.validated_at AND newer.expires_at > p_now
      )
    ORDER BY v.score DESC NULLS LAST, v.validated_at DESC, v.id DESC
    LIMIT p_limit
  ) t
  ORDER BY t.score DESC, t.validated_at DESC, t.id DESC
  LIMIT p_limit
$$;

-- Callable by the roles that may read validations (RLS still applies: it runs as the caller).
GRANT EXECUTE ON FUNCTION top_validations(text[], text, timestamptz, integer, integer, timestamptz, bigint, integer, text, text, text)
  TO anon, authenticated, service_role;

-- PostgREST caches the schema: ask it to see the new function (a no-op where nothing listens).
NOTIFY pgrst, 'reload schema';
