/// Versioned schema migrations, applied in order at start under an advisory lock.
///
/// Indexes follow seeds 000 and 004 where they serve a query campaignd runs. Migrations that may run on a
/// live database build indexes CONCURRENTLY, which PostgreSQL forbids inside a transaction, so those run alone.
public enum Migrations {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: String
        /// Runs outside a transaction (CREATE INDEX CONCURRENTLY).
        public let concurrently: Bool
    }

    public static let all: [Migration] = [
        Migration(version: 1, name: "core tables", sql: """
            CREATE EXTENSION IF NOT EXISTS pgcrypto;
            CREATE TABLE tenants (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                name text NOT NULL UNIQUE,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE users (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tenant_id bigint NOT NULL REFERENCES tenants(id),
                email text NOT NULL UNIQUE,
                password_hash text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE sessions (
                token text PRIMARY KEY,
                user_id bigint NOT NULL REFERENCES users(id),
                tenant_id bigint NOT NULL,
                expires_at timestamptz NOT NULL
            );
            CREATE TABLE contacts (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tenant_id bigint NOT NULL REFERENCES tenants(id),
                email text NOT NULL,
                first_name text,
                last_name text,
                company text,
                source text,
                status text NOT NULL DEFAULT 'active',
                tags text[] NOT NULL DEFAULT '{}',
                custom_fields jsonb NOT NULL DEFAULT '{}',
                created_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (tenant_id, email)
            );
            CREATE TABLE segments (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tenant_id bigint NOT NULL REFERENCES tenants(id),
                name text NOT NULL,
                conditions jsonb NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE campaigns (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tenant_id bigint NOT NULL REFERENCES tenants(id),
                owner_id bigint NOT NULL REFERENCES users(id),
                name text NOT NULL,
                subject text NOT NULL,
                template text NOT NULL DEFAULT '',
                status text NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'scheduled', 'sending', 'sent', 'paused')),
                segment_id bigint REFERENCES segments(id),
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            """, concurrently: false),
        // Seed 000 "Campaign Performance Indexes": (tenant_id, status) and created_at DESC, here combined with
        // the tenant because every list query is tenant-scoped; seed 004 idx_leads_workspace_created_at likewise.
        Migration(version: 2, name: "campaign indexes", sql: """
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_campaigns_status_tenant ON campaigns (tenant_id, status);
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_campaigns_tenant_created ON campaigns (tenant_id, created_at DESC, id DESC);
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_campaigns_owner_status ON campaigns (owner_id, status);
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_contacts_tenant_created ON contacts (tenant_id, created_at DESC);
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_expires ON sessions (expires_at);
            """, concurrently: true),
        // Seed 000 "Partitioning for Email Logs" and seed 004 "Email Sends Partitioning": monthly range partitions,
        // created by a function as seed 000's create_monthly_partition does, plus a DEFAULT partition so a send
        // never fails for a missing month. The partition key is the send's start, shared by all of a campaign's
        // rows, so the primary key (which must contain it) still means one row per campaign and contact.
        // Indexes on these new tables are built in the transaction: CONCURRENTLY is not supported on partitioned
        // tables, and the tables are empty here.
        Migration(version: 3, name: "sends, events, webhooks, counters", sql: """
            ALTER TABLE campaigns ADD COLUMN send_started_at timestamptz, ADD COLUMN recipients int NOT NULL DEFAULT 0,
                ADD COLUMN resolved_through bigint NOT NULL DEFAULT 0, ADD COLUMN resolve_done boolean NOT NULL DEFAULT false;
            ALTER TABLE contacts ADD CONSTRAINT contacts_status_check CHECK (status IN ('active', 'unsubscribed', 'bounced'));
            CREATE TABLE email_sends (
                campaign_id bigint NOT NULL,
                contact_id bigint NOT NULL,
                tenant_id bigint NOT NULL,
                email text NOT NULL,
                status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'bounced', 'failed')),
                attempts int NOT NULL DEFAULT 0,
                next_attempt_at timestamptz NOT NULL DEFAULT now(),
                enqueued_at timestamptz NOT NULL DEFAULT now(),
                last_error text,
                created_at timestamptz NOT NULL,
                sent_at timestamptz,
                finished_at timestamptz,
                delivered_at timestamptz,
                opened_at timestamptz,
                clicked_at timestamptz,
                PRIMARY KEY (campaign_id, contact_id, created_at)
            ) PARTITION BY RANGE (created_at);
            CREATE TABLE email_sends_default PARTITION OF email_sends DEFAULT;
            CREATE INDEX idx_email_sends_outbox ON email_sends (next_attempt_at) WHERE status = 'queued';
            CREATE INDEX idx_email_sends_campaign_sent ON email_sends (campaign_id, sent_at);
            CREATE FUNCTION ensure_email_sends_partition(at timestamptz) RETURNS text LANGUAGE plpgsql AS $$
            DECLARE
                start_date date := date_trunc('month', at);
                part text := 'email_sends_y' || to_char(at, 'YYYY') || 'm' || to_char(at, 'MM');
            BEGIN
                IF to_regclass(part) IS NULL THEN
                    EXECUTE format('CREATE TABLE %I PARTITION OF email_sends FOR VALUES FROM (%L) TO (%L)',
                                   part, start_date, start_date + interval '1 month');
                END IF;
                RETURN part;
            END $$;
            SELECT ensure_email_sends_partition(now());
            SELECT ensure_email_sends_partition(now() + interval '1 month');
            CREATE TABLE campaign_links (
                campaign_id bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
                idx int NOT NULL,
                url text NOT NULL,
                PRIMARY KEY (campaign_id, idx)
            );
            CREATE TABLE events (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tenant_id bigint NOT NULL,
                campaign_id bigint NOT NULL,
                contact_id bigint NOT NULL,
                kind text NOT NULL CHECK (kind IN ('open', 'click')),
                url text,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX idx_events_campaign_created ON events (campaign_id, created_at);
            -- Seed 002 idx_webhook_queue_priority: the processor claims pending rows by priority, then age.
            CREATE TABLE webhook_queue (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                priority smallint NOT NULL DEFAULT 5,
                payload jsonb NOT NULL,
                items int NOT NULL,
                status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
                created_at timestamptz NOT NULL DEFAULT now(),
                processed_at timestamptz
            );
            CREATE INDEX idx_webhook_queue_priority ON webhook_queue (priority, id) WHERE status = 'pending';
            -- Dashboard counts kept by statement-level triggers, so GET /api/stats costs O(1), not a count(*)
            -- over every campaign and contact of the tenant.
            CREATE TABLE tenant_counters (
                tenant_id bigint NOT NULL,
                name text NOT NULL,
                n bigint NOT NULL DEFAULT 0,
                PRIMARY KEY (tenant_id, name)
            );
            CREATE FUNCTION bump_counters(deltas jsonb) RETURNS void LANGUAGE sql AS $$
                INSERT INTO tenant_counters (tenant_id, name, n)
                SELECT (d->>0)::bigint, d->>1, sum((d->>2)::bigint) FROM jsonb_array_elements(deltas) d GROUP BY 1, 2
                ON CONFLICT (tenant_id, name) DO UPDATE SET n = tenant_counters.n + EXCLUDED.n
            $$;
            -- One trigger function for both tables: TG_ARGV[0] 'contacts' keeps a count per tenant, 'campaigns' one
            -- per tenant and status. Inserted rows add, deleted rows subtract, an update does both.
            CREATE FUNCTION count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    PERFORM bump_counters(coalesce((SELECT jsonb_agg(jsonb_build_array(tenant_id, k, c)) FROM (
                        SELECT tenant_id, CASE TG_ARGV[0] WHEN 'contacts' THEN 'contacts' ELSE 'campaigns:' || status END k, count(*) c
                        FROM new_rows GROUP BY 1, 2) x), '[]'));
                END IF;
                IF TG_OP IN ('DELETE', 'UPDATE') THEN
                    PERFORM bump_counters(coalesce((SELECT jsonb_agg(jsonb_build_array(tenant_id, k, -c)) FROM (
                        SELECT tenant_id, CASE TG_ARGV[0] WHEN 'contacts' THEN 'contacts' ELSE 'campaigns:' || status END k, count(*) c
                        FROM old_rows GROUP BY 1, 2) x), '[]'));
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER contacts_counted_ins AFTER INSERT ON contacts REFERENCING NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION count_rows('contacts');
            CREATE TRIGGER contacts_counted_del AFTER DELETE ON contacts REFERENCING OLD TABLE AS old_rows
                FOR EACH STATEMENT EXECUTE FUNCTION count_rows('contacts');
            CREATE TRIGGER campaigns_counted_ins AFTER INSERT ON campaigns REFERENCING NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION count_rows('campaigns');
            CREATE TRIGGER campaigns_counted_del AFTER DELETE ON campaigns REFERENCING OLD TABLE AS old_rows
                FOR EACH STATEMENT EXECUTE FUNCTION count_rows('campaigns');
            CREATE TRIGGER campaigns_counted_upd AFTER UPDATE ON campaigns REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION count_rows('campaigns');
            INSERT INTO tenant_counters SELECT tenant_id, 'contacts', count(*) FROM contacts GROUP BY 1;
            INSERT INTO tenant_counters SELECT tenant_id, 'campaigns:' || status, count(*) FROM campaigns GROUP BY 1, 2;
            """, concurrently: false),
        // Seed 004's contact indexes, for the segment and search queries: the partial composite
        // idx_leads_workspace_status_email, GIN on tags and custom_fields, and (tenant, id) for keyset pages.
        Migration(version: 4, name: "contact indexes", sql: """
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_contacts_tenant_status_email ON contacts (tenant_id, status, email)
                WHERE status IN ('active', 'unsubscribed', 'bounced');
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_contacts_tenant_id ON contacts (tenant_id, id);
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_contacts_tags ON contacts USING gin (tags);
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_contacts_custom_fields ON contacts USING gin (custom_fields jsonb_path_ops);
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_segments_tenant ON segments (tenant_id, id);
            """, concurrently: true),
        // A webhook delivery that cannot be applied is parked with its error; a campaign whose recipients cannot
        // be resolved fails with its reason. Neither holds up the others.
        Migration(version: 5, name: "parked webhooks, failed campaigns", sql: """
            ALTER TABLE webhook_queue DROP CONSTRAINT webhook_queue_status_check,
                ADD CONSTRAINT webhook_queue_status_check CHECK (status IN ('pending', 'done', 'failed')), ADD COLUMN error text;
            ALTER TABLE campaigns DROP CONSTRAINT campaigns_status_check,
                ADD CONSTRAINT campaigns_status_check CHECK (status IN ('draft', 'scheduled', 'sending', 'sent', 'paused', 'failed')),
                ADD COLUMN failure text, ADD COLUMN resolve_failures int NOT NULL DEFAULT 0;
            """, concurrently: false),
        // Server secrets every instance shares: the key that signs tracking tokens, and a bcrypt hash that logins
        // for unknown emails check against, so they cost what known ones do. Sessions are kept as SHA-256 of
        // their token: a leaked table opens no session.
        Migration(version: 6, name: "server secrets, hashed sessions", sql: """
            CREATE TABLE server_secrets (name text PRIMARY KEY, value text NOT NULL);
            INSERT INTO server_secrets VALUES ('tracking_key', encode(gen_random_bytes(32), 'hex')),
                                              ('login_dummy', crypt(encode(gen_random_bytes(16), 'hex'), gen_salt('bf', 6)));
            UPDATE sessions SET token = encode(digest(token, 'sha256'), 'hex');
            """, concurrently: false),
        // Substring search on email (`email=smith9`, LIKE '%smith9%') read every contact of the tenant: p95 252 ms
        // on 2M. A trigram index answers it. Merged entry by entry, it cost a 100k import about 1 s; with
        // fastupdate and a pending list large enough for an import, new entries are appended there (searches
        // still see them) and merged after the import, off its request (`PostgresContactStore.mergePendingSearchEntries`).
        Migration(version: 7, name: "trigram search on email", sql: """
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_contacts_email_trgm ON contacts USING gin (email gin_trgm_ops)
                WITH (fastupdate = on, gin_pending_list_limit = 262144);
            """, concurrently: true),
        // One counter row per tenant and status serialised every campaign write of a tenant on its lock, held to
        // commit: in the api mix, INSERT INTO campaigns took 16 ms and a PATCH 23 ms on average, mostly waiting,
        // and pool connections waited with them. Each change now lands on one of 16 shards (summed when read), and
        // an update that moves no count (a renamed campaign) writes none.
        Migration(version: 8, name: "sharded dashboard counters", sql: """
            ALTER TABLE tenant_counters ADD COLUMN shard smallint NOT NULL DEFAULT 0;
            ALTER TABLE tenant_counters DROP CONSTRAINT tenant_counters_pkey;
            ALTER TABLE tenant_counters ADD PRIMARY KEY (tenant_id, name, shard);
            CREATE OR REPLACE FUNCTION bump_counters(deltas jsonb) RETURNS void LANGUAGE sql AS $$
                INSERT INTO tenant_counters (tenant_id, name, shard, n)
                SELECT t, k, floor(random() * 16)::smallint, n FROM (
                    SELECT (d->>0)::bigint t, d->>1 k, sum((d->>2)::bigint) n FROM jsonb_array_elements(deltas) d GROUP BY 1, 2) x
                WHERE n <> 0
                ON CONFLICT (tenant_id, name, shard) DO UPDATE SET n = tenant_counters.n + EXCLUDED.n
            $$;
            CREATE OR REPLACE FUNCTION count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE deltas jsonb := '[]';
            BEGIN
                IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    deltas := deltas || coalesce((SELECT jsonb_agg(jsonb_build_array(tenant_id, k, c)) FROM (
                        SELECT tenant_id, CASE TG_ARGV[0] WHEN 'contacts' THEN 'contacts' ELSE 'campaigns:' || status END k, count(*) c
                        FROM new_rows GROUP BY 1, 2) x), '[]');
                END IF;
                IF TG_OP IN ('DELETE', 'UPDATE') THEN
                    deltas := deltas || coalesce((SELECT jsonb_agg(jsonb_build_array(tenant_id, k, -c)) FROM (
                        SELECT tenant_id, CASE TG_ARGV[0] WHEN 'contacts' THEN 'contacts' ELSE 'campaigns:' || status END k, count(*) c
                        FROM old_rows GROUP BY 1, 2) x), '[]');
                END IF;
                PERFORM bump_counters(deltas);
                RETURN NULL;
            END $$;
            """, concurrently: false),
        // Campaigns are written one row at a time, and the statement trigger cost each write its transition
        // tables, JSON deltas and a fresh plan of the SQL function bump_counters: a PATCH plus an INSERT took
        // 661-709 µs of CPU with it, 347-360 µs with row triggers (pgbench, 4 clients); in the api mix at 1,400 req/s
        // the trigger was a tenth of PostgreSQL's CPU. A row trigger's INSERT keeps its plan, and an update that
        // does not set status, or sets it to what it was, fires nothing. Contacts arrive by the thousand per
        // statement and keep the statement trigger.
        Migration(version: 9, name: "campaign counters per row", sql: """
            CREATE FUNCTION count_campaign() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP <> 'DELETE' THEN
                    INSERT INTO tenant_counters (tenant_id, name, shard, n)
                    VALUES (NEW.tenant_id, 'campaigns:' || NEW.status, floor(random() * 16)::smallint, 1)
                    ON CONFLICT (tenant_id, name, shard) DO UPDATE SET n = tenant_counters.n + 1;
                END IF;
                IF TG_OP <> 'INSERT' THEN
                    INSERT INTO tenant_counters (tenant_id, name, shard, n)
                    VALUES (OLD.tenant_id, 'campaigns:' || OLD.status, floor(random() * 16)::smallint, -1)
                    ON CONFLICT (tenant_id, name, shard) DO UPDATE SET n = tenant_counters.n - 1;
                END IF;
                RETURN NULL;
            END $$;
            DROP TRIGGER campaigns_counted_ins ON campaigns;
            DROP TRIGGER campaigns_counted_del ON campaigns;
            DROP TRIGGER campaigns_counted_upd ON campaigns;
            CREATE TRIGGER campaigns_counted_ins AFTER INSERT ON campaigns FOR EACH ROW EXECUTE FUNCTION count_campaign();
            CREATE TRIGGER campaigns_counted_del AFTER DELETE ON campaigns FOR EACH ROW EXECUTE FUNCTION count_campaign();
            CREATE TRIGGER campaigns_counted_upd AFTER UPDATE OF status ON campaigns FOR EACH ROW
                WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION count_campaign();
            """, concurrently: false),
        // The trigram index on contacts.email cost every import its rows' trigrams inside the request: 2.37 s for
        // 100k on 2M contacts, 1.94 s without it. The index now lives on contact_search, which
        // `ContactSearchIndexer` fills in the background up to `contact_search_progress.upto`; searches read the
        // contacts beyond that from contacts. Every insert into contacts holds advisory lock 727275 shared until it
        // ends, so the indexer can tell when no insert is in flight and every id up to the highest is final.
        Migration(version: 10, name: "email search off the insert path", sql: """
            -- No foreign key: its check would lock every indexed contact row. A deleted contact's row is
            -- harmless (searches fetch the candidates from contacts) and no route deletes contacts.
            CREATE TABLE contact_search (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, email text NOT NULL);
            CREATE INDEX idx_contact_search_email_trgm ON contact_search USING gin (email gin_trgm_ops)
                WITH (fastupdate = on, gin_pending_list_limit = 262144);
            CREATE TABLE contact_search_progress (upto bigint NOT NULL);
            INSERT INTO contact_search_progress VALUES (0);
            CREATE FUNCTION hold_contacts_insert_lock() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock_shared(727275);
                RETURN NULL;
            END $$;
            CREATE TRIGGER contacts_insert_lock BEFORE INSERT ON contacts FOR EACH STATEMENT EXECUTE FUNCTION hold_contacts_insert_lock();
            -- No route changes an email today; one that did would leave the search row behind without this.
            CREATE FUNCTION reindex_contact_email() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE contact_search SET email = NEW.email WHERE id = NEW.id;
                RETURN NULL;
            END $$;
            CREATE TRIGGER contacts_email_reindexed AFTER UPDATE OF email ON contacts FOR EACH ROW
                WHEN (OLD.email IS DISTINCT FROM NEW.email) EXECUTE FUNCTION reindex_contact_email();
            DROP INDEX idx_contacts_email_trgm;
            """, concurrently: false),
        // The foreign key from contacts to tenants checked every imported row on its own: 328-336 ms of a 100k
        // import's 1.69-1.72 s INSERT on 2M contacts (EXPLAIN ANALYZE). Contacts arrive by the thousand per
        // statement, all of one tenant, so one check per statement does the same work: the same FOR KEY SHARE
        // lock on the tenant (it cannot be deleted until the rows commit), the same error, and the tenant side's
        // refusal to delete a tenant that has contacts. A contact never changes tenant.
        Migration(version: 11, name: "contacts' tenant checked per statement", sql: """
            ALTER TABLE contacts DROP CONSTRAINT contacts_tenant_id_fkey;
            CREATE FUNCTION check_contact_tenants() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE named bigint[] := ARRAY(SELECT tenant_id FROM new_rows GROUP BY 1);
                missing bigint;
            BEGIN
                PERFORM 1 FROM tenants WHERE id = ANY (named) FOR KEY SHARE;
                SELECT n INTO missing FROM unnest(named) n WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = n) LIMIT 1;
                IF FOUND THEN
                    RAISE EXCEPTION 'insert on table "contacts" names a tenant that does not exist'
                        USING ERRCODE = 'foreign_key_violation', DETAIL = format('Key (tenant_id)=(%s) is not present in table "tenants".', missing);
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER contacts_tenant_checked AFTER INSERT ON contacts REFERENCING NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION check_contact_tenants();
            CREATE FUNCTION refuse_contact_tenant_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'a contact cannot move to another tenant' USING ERRCODE = 'foreign_key_violation',
                    DETAIL = format('Contact %s belongs to tenant %s.', OLD.id, OLD.tenant_id);
            END $$;
            CREATE TRIGGER contacts_tenant_fixed BEFORE UPDATE OF tenant_id ON contacts FOR EACH ROW
                WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id) EXECUTE FUNCTION refuse_contact_tenant_change();
            CREATE FUNCTION keep_tenant_with_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN RETURN NEW; END IF;
                IF EXISTS (SELECT 1 FROM contacts WHERE tenant_id = OLD.id) THEN
                    RAISE EXCEPTION 'tenant % still has contacts', OLD.id USING ERRCODE = 'foreign_key_violation',
                        DETAIL = format('Key (id)=(%s) is still referenced from table "contacts".', OLD.id);
                END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER tenants_keep_contacts BEFORE DELETE OR UPDATE OF id ON tenants FOR EACH ROW
                EXECUTE FUNCTION keep_tenant_with_contacts();
            """, concurrently: false),
        // A message's row is written twice: queued by the resolver, then updated once delivered. Full pages (the
        // default fillfactor, 100) sent every such update to another page, and PostgreSQL then logs a tuple lock
        // before the update itself: WAL showed two locks per message (one the claim's), 192,574 for 94,877 messages.
        // Half-full pages keep the new version beside the old: 106,072 locks, 13% fewer WAL bytes. And every row
        // entered (campaign_id, sent_at) twice, with a NULL when queued; only sent rows are looked up there (the
        // hourly send chart), so only they are indexed.
        Migration(version: 12, name: "outbox rows updated in place", sql: """
            DO $$
            DECLARE part regclass;
            BEGIN
                FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'email_sends'::regclass LOOP
                    EXECUTE format('ALTER TABLE %s SET (fillfactor = 50)', part);
                END LOOP;
            END $$;
            CREATE OR REPLACE FUNCTION ensure_email_sends_partition(at timestamptz) RETURNS text LANGUAGE plpgsql AS $$
            DECLARE
                start_date date := date_trunc('month', at);
                part text := 'email_sends_y' || to_char(at, 'YYYY') || 'm' || to_char(at, 'MM');
            BEGIN
                IF to_regclass(part) IS NULL THEN
                    EXECUTE format('CREATE TABLE %I PARTITION OF email_sends FOR VALUES FROM (%L) TO (%L) WITH (fillfactor = 50)',
                                   part, start_date, start_date + interval '1 month');
                END IF;
                RETURN part;
            END $$;
            DROP INDEX idx_email_sends_campaign_sent;
            CREATE INDEX idx_email_sends_campaign_sent ON email_sends (campaign_id, sent_at) WHERE sent_at IS NOT NULL;
            """, concurrently: false),
        // The campaign list pages by id, newest first, within a tenant; no index had that order, so PostgreSQL walked
        // the primary key back through every tenant's campaigns, or fetched and sorted all of the tenant's. With
        // (tenant_id, id) a page reads its own rows, once campaigns has statistics; before its first analyze the
        // planner still sorts the tenant's (2.0 ms a page after 40 s of `mailstorm run basic` at 250 iterations/s,
        // on a stack that started empty). It replaces (tenant_id, created_at DESC, id DESC), which no query used:
        // ids are given in creation order.
        Migration(version: 13, name: "campaign list by tenant and id", sql: """
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_campaigns_tenant_id ON campaigns (tenant_id, id);
            DROP INDEX CONCURRENTLY IF EXISTS idx_campaigns_tenant_created;
            """, concurrently: true),
        // The outbox is claimed a batch at a time (Sender.claimSQL), not a row at a time through an index on queued
        // rows. That index named the status every delivery changes, as (campaign_id, sent_at) named sent_at, so no
        // delivered update could be HOT: each wrote three index entries, and each claim first walked the index's dead
        // entries. pg_stat_statements over a 300,000-message HTTP send: 1,571 WAL records per 500 delivered, 503 more
        // per claim of 500. The hourly chart now reads a campaign's rows by the primary key, as its totals already did.
        // Rows queued before this migration are batched by campaign, 50 to a batch.
        Migration(version: 14, name: "outbox claimed by batch", sql: """
            CREATE TABLE send_batches (
                id bigserial PRIMARY KEY,
                campaign_id bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
                created_at timestamptz NOT NULL,
                first_contact bigint NOT NULL,
                last_contact bigint NOT NULL,
                messages int NOT NULL,
                next_attempt_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX idx_send_batches_due ON send_batches (next_attempt_at);
            CREATE INDEX idx_send_batches_campaign ON send_batches (campaign_id);
            INSERT INTO send_batches (campaign_id, created_at, first_contact, last_contact, messages, next_attempt_at)
                SELECT campaign_id, created_at, min(contact_id), max(contact_id), count(*), min(next_attempt_at)
                FROM (SELECT campaign_id, created_at, contact_id, next_attempt_at,
                             (row_number() OVER (PARTITION BY campaign_id, created_at ORDER BY contact_id) - 1) / 50 AS run
                      FROM email_sends WHERE status = 'queued') q
                GROUP BY campaign_id, created_at, run;
            DROP INDEX idx_email_sends_outbox;
            DROP INDEX idx_email_sends_campaign_sent;
            """, concurrently: false),
        // A message's merge fields are copied into its row when it is resolved (the resolver reads the contact anyway),
        // so a delivery reads its batch's rows alone rather than looking up each contact. Rows already queued get
        // theirs here.
        Migration(version: 15, name: "merge fields resolved with the message", sql: """
            ALTER TABLE email_sends ADD COLUMN first_name text, ADD COLUMN last_name text, ADD COLUMN company text;
            UPDATE email_sends s SET first_name = c.first_name, last_name = c.last_name, company = c.company
            FROM contacts c WHERE c.id = s.contact_id AND s.status = 'queued';
            """, concurrently: false),
        // Seed 004's (tenant, status, email) index named every status the table allows, so it held every contact and
        // every import paid for it: COPY of 100k contacts into 2M took 2.75-3.13 s with it and 2.00-2.59 s without
        // (psql, 6 each); over HTTP 0.83 of the time without (90% interval 0.73-0.96, 8 alternated pairs). It now
        // holds the statuses few contacts have, the partial index for unsubscribed leads that seed 004 lists:
        // counting them stays an index-only scan (30k in about 20 ms over the API; 351 ms reading the table), and
        // counting active contacts reads the table either way (433-593 ms with the old index, 547-567 without).
        Migration(version: 16, name: "status index for the rarer statuses", sql: """
            CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_contacts_tenant_rare_status_email ON contacts (tenant_id, status, email)
                WHERE status IN ('unsubscribed', 'bounced');
            DROP INDEX CONCURRENTLY IF EXISTS idx_contacts_tenant_status_email;
            """, concurrently: true),
    ]
}

extension Database {
    /// Applies every migration not yet recorded in schema_migrations; safe when several instances start at once.
    public func migrate() async throws -> [Int] {
        try await withConnection { conn in
            try conn.execute("SELECT pg_advisory_lock(727274)")
            defer { try? conn.execute("SELECT pg_advisory_unlock(727274)") }
            try conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
            let done = Set(try conn.query("SELECT version FROM schema_migrations").rows.compactMap { $0[0].flatMap(Int.init) })
            var applied: [Int] = []
            for m in Migrations.all where !done.contains(m.version) {
                if m.concurrently {
                    // One statement at a time: CONCURRENTLY cannot run in the implicit transaction of a multi-statement string.
                    for stmt in m.sql.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }) where !stmt.isEmpty {
                        try conn.execute(stmt)
                    }
                    _ = try conn.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [String(m.version), m.name])
                } else {
                    try conn.execute("BEGIN")
                    do {
                        try conn.execute(m.sql)
                        _ = try conn.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [String(m.version), m.name])
                        try conn.execute("COMMIT")
                    } catch {
                        try? conn.execute("ROLLBACK")
                        throw error
                    }
                }
                applied.append(m.version)
            }
            return applied
        }
    }
}
