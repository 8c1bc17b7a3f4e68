-- The products most worth keeping warm (`npm run warm -- --top N`): the product-market pairs validated
-- most often since an instant, the most recently validated first among equals. A row is written each
-- time a validation is built (a cache miss), so a product asked for all day long has one per expiry.
-- A function because the Supabase store reaches the database through PostgREST, which cannot group
-- rows; the SQL stores call the same function, so the ranking has one definition. LANGUAGE sql,
-- STABLE, not STRICT and without SET: PostgreSQL inlines it into the caller's query, where the range
-- condition on validated_at uses validations_validated_at_idx.
CREATE OR REPLACE FUNCTION popular_products(
  since timestamptz,
  max_rows integer,
  only_country bpchar DEFAULT NULL,
  only_currency bpchar DEFAULT NULL
)
RETURNS TABLE (product_id text, country text, currency text, validations integer, last_validated_at timestamptz)
LANGUAGE sql
STABLE
AS $$
  SELECT v.product_id, v.country::text, v.currency::text, count(*)::integer, max(v.validated_at)
  FROM validations v
  WHERE v.validated_at >= since
    AND (only_country IS NULL OR v.country = only_country)
    AND (only_currency IS NULL OR v.currency = only_currency)
  GROUP BY v.product_id, v.country, v.currency
  ORDER BY count(*) DESC, max(v.validated_at) DESC, v.product_id, v.country, v.currency
  LIMIT max_rows
$$;

-- Only the service role ranks products; the frontend's roles read the tables themselves.
REVOKE EXECUTE ON FUNCTION popular_products(timestamptz, integer, bpchar, bpchar) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION popular_products(timestamptz, integer, bpchar, bpchar) TO service_role;
