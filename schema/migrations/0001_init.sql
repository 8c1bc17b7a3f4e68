-- Products and their validations. Written to apply unchanged to a Supabase project, a plain
-- PostgreSQL and the embedded PGlite, and to be safe to run twice (the Supabase SQL editor has no
-- migrations table). No BEGIN/COMMIT here: the runner wraps each file in its own transaction.

-- Supabase has these roles; a plain PostgreSQL or PGlite does not, and the policies below name them.
-- Creating a role is cluster-wide, so two databases migrating at once can race: the loser's error is
-- the proof that the role exists. service_role gets BYPASSRLS as on Supabase, which needs a superuser.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    BEGIN CREATE ROLE anon NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    BEGIN CREATE ROLE authenticated NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    BEGIN CREATE ROLE service_role NOLOGIN BYPASSRLS; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
  END IF;
END
$$;

CREATE TABLE IF NOT EXISTS products (
  product_id text PRIMARY KEY CONSTRAINT products_product_id_digits CHECK (product_id ~ '^[0-9]{1,20}$'),
  title text NOT NULL,
  image_url text,
  category text,
  shop_id text,
  first_validated_at timestamptz NOT NULL,
  last_validated_at timestamptz NOT NULL,
  CONSTRAINT products_validated_order CHECK (last_validated_at >= first_validated_at)
);

CREATE TABLE IF NOT EXISTS validations (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  product_id text NOT NULL REFERENCES products (product_id) ON DELETE CASCADE,
  country char(2) NOT NULL CONSTRAINT validations_country_upper CHECK (country ~ '^[A-Z]{2}$'),
  currency char(3) NOT NULL CONSTRAINT validations_currency_upper CHECK (currency ~ '^[A-Z]{3}$'),
  score smallint CONSTRAINT validations_score_range CHECK (score BETWEEN 0 AND 100),
  components jsonb NOT NULL CONSTRAINT validations_components_object CHECK (jsonb_typeof(components) = 'object'),
  verdict text NOT NULL
    CONSTRAINT validations_verdict_known CHECK (verdict IN ('strong', 'promising', 'risky', 'avoid', 'insufficient_data')),
  confidence numeric(4, 3) NOT NULL CONSTRAINT validations_confidence_range CHECK (confidence BETWEEN 0 AND 1),
  signals jsonb NOT NULL CONSTRAINT validations_signals_object CHECK (jsonb_typeof(signals) = 'object'),
  -- The whole validation as the API answered it, so a stored one is served back byte-for-byte equal.
  payload jsonb NOT NULL CONSTRAINT validations_payload_object CHECK (jsonb_typeof(payload) = 'object'),
  scoring_version text NOT NULL CONSTRAINT validations_scoring_version_set CHECK (scoring_version <> ''),
  validated_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  inserted_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT validations_expiry_after_validation CHECK (expires_at > validated_at),
  -- The idempotency key of every upsert (a retried batch adds nothing). Its index also serves the
  -- latest validation of a product in a market and the market-filtered history, scanned backwards.
  CONSTRAINT validations_product_market_time_key UNIQUE (product_id, country, currency, validated_at)
);

-- History of a product across all markets, newest first, with the market as the tie-breaker of the
-- pagination cursor.
CREATE INDEX IF NOT EXISTS validations_product_history_idx
  ON validations (product_id, validated_at DESC, country DESC, currency DESC);
-- Listings for the frontend and operators: best products of a verdict, and everything recent.
CREATE INDEX IF NOT EXISTS validations_verdict_score_idx
  ON validations (verdict, score DESC NULLS LAST, validated_at DESC);
CREATE INDEX IF NOT EXISTS validations_validated_at_idx ON validations (validated_at DESC);
CREATE INDEX IF NOT EXISTS products_last_validated_at_idx ON products (last_validated_at DESC);

-- Upserts of products come from several writers (our SQL, PostgREST's merge-duplicates) and can arrive
-- out of order after a retry. The table keeps the earliest first_validated_at and the details of the
-- newest validation whoever writes, so no writer has to get this right.
CREATE OR REPLACE FUNCTION products_keep_newest() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
  NEW.first_validated_at := LEAST(OLD.first_validated_at, NEW.first_validated_at);
  IF NEW.last_validated_at < OLD.last_validated_at THEN
    NEW.title := OLD.title;
    NEW.image_url := OLD.image_url;
    NEW.category := OLD.category;
    NEW.shop_id := OLD.shop_id;
    NEW.last_validated_at := OLD.last_validated_at;
  END IF;
  RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS products_keep_newest ON products;
CREATE TRIGGER products_keep_newest BEFORE UPDATE ON products
  FOR EACH ROW EXECUTE FUNCTION products_keep_newest();

-- Row-level security: the frontend reads with the anon or a signed-in user's key; nobody but the
-- service role (which bypasses RLS on Supabase) writes, because no write policy exists.
ALTER TABLE products ENABLE ROW LEVEL SECURITY;
ALTER TABLE validations ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS products_read ON products;
CREATE POLICY products_read ON products FOR SELECT TO anon, authenticated USING (true);
DROP POLICY IF EXISTS validations_read ON validations;
CREATE POLICY validations_read ON validations FOR SELECT TO anon, authenticated USING (true);

-- Supabase grants everything on new tables to these roles by default; RLS already blocks their writes,
-- and taking the privileges away as well means a policy added by mistake still cannot open them.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON products, validations FROM anon, authenticated;
GRANT SELECT ON products, validations TO anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON products, validations TO service_role;
