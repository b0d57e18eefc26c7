-- The data model. Everything user-visible lives in schema lead_management; the SQL API that users
-- call unqualified is created by pgrx in the extension's schema (public).
--
-- Document numbers use COLLATE "C" so that "document_number order" is bytewise and identical in
-- PostgreSQL (ORDER BY) and in the Rust core, whatever the database's locale.

CREATE SCHEMA lead_management;
COMMENT ON SCHEMA lead_management IS 'lead_assigner: leads, sellers, their assignments, history and audit trail';

-- A known time zone name, or 22023 with a hint (used by the sellers.time_zone CHECK). Fast: it
-- asks the time zone cache (AT TIME ZONE) instead of listing pg_timezone_names, which reads every
-- zone file (tens of milliseconds a row). A bare abbreviation (PST) or offset (+05) is not a zone.
CREATE FUNCTION lead_management.is_time_zone(name text) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF name IS NULL THEN
        RETURN true;
    END IF;
    IF name ~ '^[A-Za-z]' AND (name IN ('UTC', 'GMT') OR NOT EXISTS (SELECT FROM pg_timezone_abbrevs a WHERE a.abbrev = name)) THEN
        BEGIN
            PERFORM now() AT TIME ZONE name;
            RETURN true;
        EXCEPTION WHEN invalid_parameter_value THEN
            NULL;
        END;
    END IF;
    RAISE EXCEPTION 'time zone "%" is not a known IANA time zone', name
        USING ERRCODE = 'invalid_parameter_value',
              HINT = 'Use a name such as ''America/Bogota'' or ''UTC'': SELECT name FROM pg_timezone_names.';
END
$$;
COMMENT ON FUNCTION lead_management.is_time_zone(text) IS 'true for a known IANA time zone name; raises 22023 with a hint otherwise';

-- A CHECK constraint's own error has no hint. The checks people trip on read
-- `cheap test OR lead_management.refuse(message, hint)`: OR stops at the first true, so a valid
-- row costs what the plain test costs, and an invalid one gets 23514 with a message and a hint.
CREATE FUNCTION lead_management.refuse(message text, hint text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION '%', message USING ERRCODE = 'check_violation', HINT = hint;
END
$$;
COMMENT ON FUNCTION lead_management.refuse(text, text) IS 'Raises 23514 with the message and hint; the right-hand side of CHECK constraints, evaluated only when their test fails';

CREATE TABLE lead_management.countries (
    country_id serial PRIMARY KEY,
    name text NOT NULL CONSTRAINT countries_name_valid CHECK (btrim(name) <> '' AND length(name) <= 100),
    code text NOT NULL CONSTRAINT countries_code_valid CHECK (code ~ '^[A-Z]{2}$'),
    CONSTRAINT countries_name_key UNIQUE (name),
    CONSTRAINT countries_code_key UNIQUE (code)
);
COMMENT ON TABLE lead_management.countries IS 'Countries a lead can come from (ISO 3166-1 alpha-2 code)';

CREATE TABLE lead_management.document_types (
    document_type_id serial PRIMARY KEY,
    name text NOT NULL CONSTRAINT document_types_name_valid CHECK (btrim(name) <> '' AND length(name) <= 100),
    CONSTRAINT document_types_name_key UNIQUE (name)
);
COMMENT ON TABLE lead_management.document_types IS 'Kinds of identity document a lead''s document number belongs to';

CREATE TABLE lead_management.business_lines (
    business_line_id serial PRIMARY KEY,
    name text NOT NULL CONSTRAINT business_lines_name_valid CHECK (btrim(name) <> '' AND length(name) <= 100),
    description text CONSTRAINT business_lines_description_length CHECK (length(description) <= 1000),
    CONSTRAINT business_lines_name_key UNIQUE (name)
);
COMMENT ON TABLE lead_management.business_lines IS 'Product lines; every lead and every seller belongs to exactly one';

CREATE TABLE lead_management.assignment_statuses (
    assignment_status_id serial PRIMARY KEY,
    name text NOT NULL CONSTRAINT assignment_statuses_name_valid CHECK (btrim(name) <> '' AND length(name) <= 100),
    occupies_capacity boolean NOT NULL DEFAULT false
);
-- get_status_id() looks names up case-insensitively and trimmed: make that the uniqueness rule too.
CREATE UNIQUE INDEX assignment_statuses_name_key ON lead_management.assignment_statuses (lower(btrim(name)));
COMMENT ON TABLE lead_management.assignment_statuses IS 'Assignment states; those with occupies_capacity count against a seller''s max_leads_count';
COMMENT ON COLUMN lead_management.assignment_statuses.occupies_capacity IS 'true: an assignment in this status holds one of its seller''s slots';

CREATE TABLE lead_management.leads (
    document_number text COLLATE "C" PRIMARY KEY
        CONSTRAINT leads_document_number_valid CHECK (document_number ~ '^[A-Za-z0-9][A-Za-z0-9-]{0,31}$'),
    given_name text NOT NULL CONSTRAINT leads_given_name_valid CHECK (btrim(given_name) <> '' AND length(given_name) <= 100),
    surname text NOT NULL CONSTRAINT leads_surname_valid CHECK (btrim(surname) <> '' AND length(surname) <= 100),
    phone text NOT NULL CONSTRAINT leads_phone_valid CHECK (phone ~ '^\+?[0-9][0-9 ()-]{5,24}$'),
    email text NOT NULL CONSTRAINT leads_email_valid CHECK (length(email) <= 254 AND email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    business_line_id integer NOT NULL REFERENCES lead_management.business_lines,
    country_id integer NOT NULL REFERENCES lead_management.countries,
    document_type_id integer NOT NULL REFERENCES lead_management.document_types,
    created_at timestamptz NOT NULL DEFAULT now(),
    priority smallint NOT NULL DEFAULT 0,
    CONSTRAINT leads_email_key UNIQUE (email)
);
CREATE INDEX leads_business_line_id_idx ON lead_management.leads (business_line_id);
CREATE INDEX leads_country_id_idx ON lead_management.leads (country_id);
CREATE INDEX leads_document_type_id_idx ON lead_management.leads (document_type_id);
COMMENT ON TABLE lead_management.leads IS 'Prospective customers, unique by document number; each gets an assignments row on insert';
COMMENT ON COLUMN lead_management.leads.priority IS 'Higher is assigned first; equal priorities go in document_number order';

CREATE TABLE lead_management.sellers (
    document_number text COLLATE "C" PRIMARY KEY
        CONSTRAINT sellers_document_number_valid CHECK (document_number ~ '^[A-Za-z0-9][A-Za-z0-9-]{0,31}$'),
    given_name text NOT NULL CONSTRAINT sellers_given_name_valid CHECK (btrim(given_name) <> '' AND length(given_name) <= 100),
    surname text NOT NULL CONSTRAINT sellers_surname_valid CHECK (btrim(surname) <> '' AND length(surname) <= 100),
    phone text NOT NULL CONSTRAINT sellers_phone_valid CHECK (phone ~ '^\+?[0-9][0-9 ()-]{5,24}$'),
    email text NOT NULL CONSTRAINT sellers_email_valid CHECK (length(email) <= 254 AND email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    max_leads_count integer NOT NULL DEFAULT 10 CONSTRAINT sellers_max_leads_count_valid CHECK (max_leads_count >= 0
        OR lead_management.refuse(format('max_leads_count %s is negative', max_leads_count), 'A seller holds 0 or more open leads; 0 gives them no new leads (deactivate_seller() also puts their open leads back).')),
    is_active boolean NOT NULL DEFAULT true,
    business_line_id integer NOT NULL REFERENCES lead_management.business_lines,
    created_at timestamptz NOT NULL DEFAULT now(),
    away_until timestamptz,
    time_zone text NOT NULL DEFAULT 'UTC' CONSTRAINT sellers_time_zone_valid CHECK (lead_management.is_time_zone(time_zone)),
    daily_cap integer CONSTRAINT sellers_daily_cap_valid CHECK (daily_cap IS NULL OR daily_cap >= 0
        OR lead_management.refuse(format('daily_cap %s is negative', daily_cap), 'Use 0 or more leads a day, or NULL for no daily cap.')),
    weight integer NOT NULL DEFAULT 1 CONSTRAINT sellers_weight_valid CHECK (weight BETWEEN 1 AND 100
        OR lead_management.refuse(format('weight %s is not between 1 and 100', weight), 'round_robin gives turns in proportion to weight: use 1 to 100 (1 is the default); to give a seller no leads, deactivate_seller() or set away_until.')),
    CONSTRAINT sellers_email_key UNIQUE (email)
);
CREATE INDEX sellers_business_line_id_idx ON lead_management.sellers (business_line_id, document_number);
COMMENT ON TABLE lead_management.sellers IS 'Sellers; each works one business line and holds at most max_leads_count open leads';
COMMENT ON COLUMN lead_management.sellers.is_active IS 'false: gets no new leads (see deactivate_seller()), without deleting the seller';
COMMENT ON COLUMN lead_management.sellers.away_until IS 'Gets no new leads while now() < away_until (keeps the open ones); NULL: not away';
COMMENT ON COLUMN lead_management.sellers.time_zone IS 'IANA time zone of the seller''s working hours (seller_hours)';
COMMENT ON COLUMN lead_management.sellers.daily_cap IS 'At most this many leads assigned in the last 24 hours (counted by the hour), whatever their status now; NULL: no cap';
COMMENT ON COLUMN lead_management.sellers.weight IS 'round_robin gives each seller turns in proportion to its weight (1-100)';

CREATE TABLE lead_management.seller_hours (
    seller_document_number text COLLATE "C" NOT NULL
        REFERENCES lead_management.sellers ON UPDATE CASCADE ON DELETE CASCADE,
    weekday smallint NOT NULL CONSTRAINT seller_hours_weekday_valid CHECK (weekday BETWEEN 1 AND 7
        OR lead_management.refuse(format('weekday %s is not between 1 and 7', weekday), 'Weekdays are ISO: 1 = Monday ... 7 = Sunday (extract(isodow FROM date)).')),
    starts_at time NOT NULL,
    ends_at time NOT NULL,
    CONSTRAINT seller_hours_window_valid CHECK (starts_at < ends_at
        OR lead_management.refuse(format('working hours %s to %s do not end after they start', starts_at, ends_at), 'A window ends after it starts, within one day: split a night shift into two windows, one on each weekday.')),
    CONSTRAINT seller_hours_pkey PRIMARY KEY (seller_document_number, weekday, starts_at)
);
COMMENT ON TABLE lead_management.seller_hours IS 'Working hours in the seller''s time_zone (ISO weekday 1 = Monday); a seller with no rows is always available, one with rows only inside one of them';

-- Territories: a seller with rows takes only leads of those countries; one without covers all.
CREATE TABLE lead_management.seller_countries (
    seller_document_number text COLLATE "C" NOT NULL
        REFERENCES lead_management.sellers ON UPDATE CASCADE ON DELETE CASCADE,
    country_id integer NOT NULL REFERENCES lead_management.countries,
    CONSTRAINT seller_countries_pkey PRIMARY KEY (seller_document_number, country_id)
);
CREATE INDEX seller_countries_country_id_idx ON lead_management.seller_countries (country_id);
COMMENT ON TABLE lead_management.seller_countries IS 'Territories: a seller with rows here takes only leads from those countries; a seller without rows covers every country (set them with set_seller_countries())';

CREATE TABLE lead_management.assignments (
    assignment_id bigserial PRIMARY KEY,
    assigned_at timestamptz,
    seller_document_number text COLLATE "C" REFERENCES lead_management.sellers ON UPDATE CASCADE,
    lead_document_number text COLLATE "C" NOT NULL
        REFERENCES lead_management.leads ON UPDATE CASCADE ON DELETE CASCADE,
    assignment_status_id integer NOT NULL REFERENCES lead_management.assignment_statuses,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT assignments_lead_document_number_key UNIQUE (lead_document_number),
    CONSTRAINT assignments_seller_has_time CHECK ((seller_document_number IS NULL) = (assigned_at IS NULL))
);
-- Serves both the seller FK and the open-lead count per seller.
CREATE INDEX assignments_seller_status_idx ON lead_management.assignments (seller_document_number, assignment_status_id);
-- Serves the status FK and finds the leads whose acceptance timed out without reading the others.
CREATE INDEX assignments_status_assigned_at_idx ON lead_management.assignments (assignment_status_id, assigned_at);
COMMENT ON TABLE lead_management.assignments IS 'The current assignment of every lead (exactly one row per lead; Pending until assigned)';

CREATE TABLE lead_management.assignment_records (
    assignment_record_id bigserial PRIMARY KEY,
    assigned_at timestamptz,
    seller_document_number text COLLATE "C",
    lead_document_number text COLLATE "C" NOT NULL,
    assignment_status_id integer NOT NULL,
    updated_at timestamptz NOT NULL,
    -- No foreign keys: history outlives the assignment, lead or seller it describes.
    assignment_id bigint NOT NULL
);
CREATE INDEX assignment_records_assignment_id_idx ON lead_management.assignment_records (assignment_id);
CREATE INDEX assignment_records_lead_idx ON lead_management.assignment_records (lead_document_number);
COMMENT ON TABLE lead_management.assignment_records IS 'Every version of every assignment, written by a trigger on each insert and update';

-- Partitioned by month so that retention drops whole partitions (maintain()); the DEFAULT
-- partition takes any row no monthly partition covers, so an insert never fails for want of one.
-- Each partition has its own primary key on audit_log_id (ids come from one sequence). A key on
-- the partitioned table itself would be cloned onto partitions as they attach, and pg_dump, which
-- dumps the partitions maintain() creates but not the extension's own table, would then restore
-- it twice.
-- The audit triggers fill every column once per statement; the defaults serve direct inserts.
CREATE TABLE lead_management.audit_logs (
    audit_log_id bigserial,
    table_name text NOT NULL,
    action text NOT NULL CONSTRAINT audit_logs_action_valid CHECK (action IN ('INSERT', 'UPDATE', 'DELETE', 'PRUNE')),
    old_value jsonb,
    new_value jsonb,
    changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- NULL over a unix socket, where there is no client address.
    ip_address inet DEFAULT inet_client_addr(),
    -- session_user: the audit trigger runs as its owner, so current_user would name the owner.
    db_user text NOT NULL DEFAULT session_user,
    application_name text DEFAULT current_setting('application_name'),
    transaction_id bigint NOT NULL DEFAULT txid_current()
) PARTITION BY RANGE (changed_at);
CREATE TABLE lead_management.audit_logs_default PARTITION OF lead_management.audit_logs
    (CONSTRAINT audit_logs_default_pkey PRIMARY KEY (audit_log_id)) DEFAULT;
COMMENT ON TABLE lead_management.audit_logs_default IS 'Audit rows outside every monthly partition (maintain() creates those ahead of time)';
COMMENT ON TABLE lead_management.audit_logs IS 'Append-only record of every insert, update and delete on the lead_management tables, partitioned by month (maintain() prunes past lead_assigner.audit_retention, logging a PRUNE row)';

CREATE TABLE lead_management.assignment_runs (
    run_id bigserial PRIMARY KEY,
    kind text NOT NULL CONSTRAINT assignment_runs_kind_valid CHECK (kind IN ('assign', 'simulate', 'insert')),
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    strategy text NOT NULL,
    pending_before integer NOT NULL,
    eligible_sellers integer NOT NULL,
    assigned integer NOT NULL,
    -- simulate_cycle() only: leads generated, inserted, and skipped as duplicates.
    generated integer,
    inserted integer,
    skipped integer,
    requeued integer NOT NULL DEFAULT 0
);
CREATE INDEX assignment_runs_started_at_idx ON lead_management.assignment_runs (started_at);
COMMENT ON COLUMN lead_management.assignment_runs.pending_before IS 'Pending leads the run read: per business line at most as many as its sellers had room for';
COMMENT ON COLUMN lead_management.assignment_runs.requeued IS 'Leads put back to Pending because they sat in Assigned longer than lead_assigner.accept_timeout';
COMMENT ON TABLE lead_management.assignment_runs IS 'One row per committed assign_leads() or simulate_cycle() run (a failed run rolls back with its row; see the server log and cron.job_run_details)';

CREATE TABLE lead_management.round_robin_cursors (
    business_line_id integer PRIMARY KEY REFERENCES lead_management.business_lines ON DELETE CASCADE,
    last_seller_document_number text COLLATE "C" NOT NULL
);
COMMENT ON TABLE lead_management.round_robin_cursors IS 'Where the round_robin strategy stopped in each business line: the last seller that got a lead';

-- Derived state, kept exact in the same transaction by the statement-level triggers on
-- assignments and seller_hours (and by the rule triggers), so that a run costs what it moves, not the size of the
-- book. Not audited: they restate what assignments already says. check_invariants() compares
-- them with a recount; maintain() rebuilds them after a load with triggers off.
CREATE TABLE lead_management.seller_loads (
    seller_document_number text COLLATE "C" PRIMARY KEY,
    -- No CHECK (open_leads >= 0): INSERT ... ON CONFLICT checks the proposed row, which holds a
    -- statement's (possibly negative) difference; check_invariants() compares with a recount.
    open_leads integer NOT NULL
);
COMMENT ON TABLE lead_management.seller_loads IS 'Derived: per seller, the assignments in a status that occupies capacity (no row = 0)';

CREATE TABLE lead_management.assignment_queue (
    lead_document_number text COLLATE "C" PRIMARY KEY,
    business_line_id integer NOT NULL,
    priority smallint NOT NULL,
    enqueued_by xid8 NOT NULL DEFAULT pg_current_xact_id(),
    country_id integer NOT NULL
);
-- A run reads, per business line with room, the first leads in this order and no others.
CREATE INDEX assignment_queue_order_idx ON lead_management.assignment_queue (business_line_id, priority DESC, lead_document_number);
-- ... or, for a line a run emptied, only what arrived since (see assignment_queue_watermarks).
CREATE INDEX assignment_queue_arrival_idx ON lead_management.assignment_queue (business_line_id, enqueued_by);
COMMENT ON TABLE lead_management.assignment_queue IS 'Derived: every Pending lead with its business line and priority, in the order runs take them';
COMMENT ON COLUMN lead_management.assignment_queue.enqueued_by IS 'The transaction that queued the lead (or last moved it to another line or priority)';
-- A line whose sellers with room include some with territories is read per country, the first
-- leads of each covered country in queue order and none of a country nobody with room covers.
CREATE INDEX assignment_queue_country_order_idx ON lead_management.assignment_queue (business_line_id, country_id, priority DESC, lead_document_number);
COMMENT ON COLUMN lead_management.assignment_queue.country_id IS 'The lead''s country: runs read the queue per country when territories restrict the sellers with room';

-- Why: the leads a run takes stay in the queue's indexes as dead entries until VACUUM, and a
-- read in queue order walks them all. After a run that emptied a line, the next one reads only
-- the entries queued since (assignment_queue_arrival_idx) and walks none of the dead ones.
CREATE UNLOGGED TABLE lead_management.assignment_queue_watermarks (
    business_line_id integer PRIMARY KEY,
    enqueued_since xid8 NOT NULL
);
COMMENT ON TABLE lead_management.assignment_queue_watermarks IS 'Derived hint, safe to lose (unlogged, not dumped): every lead queued in the business line was queued by a transaction enqueued_since or later, because the last run that emptied the line saw every older one';

CREATE TABLE lead_management.seller_hourly_assignments (
    seller_document_number text COLLATE "C" NOT NULL,
    hour timestamptz NOT NULL,
    assigned integer NOT NULL,
    CONSTRAINT seller_hourly_assignments_pkey PRIMARY KEY (seller_document_number, hour)
);
COMMENT ON TABLE lead_management.seller_hourly_assignments IS 'Derived: leads assigned per seller and hour, for daily caps (the last 25 hours are read; maintain() drops older hours)';

CREATE TABLE lead_management.seller_schedules (
    seller_document_number text COLLATE "C" PRIMARY KEY,
    windows bigint[] NOT NULL
);
COMMENT ON TABLE lead_management.seller_schedules IS 'Derived: per seller with working hours, its seller_hours windows packed one bigint each (weekday << 34 | starts_at << 17 | ends_at, in seconds since local midnight), so a run reads one row per seller';

-- Why: every run reads the sellers with room, but their own columns and hours change far less
-- often than their loads. Each backend keeps them between runs (db::sellers) and reads them again
-- only when a line's version differs from the one it read them at: every statement that changes
-- sellers or seller_hours gives the lines it touched a new version from the sequence, which no
-- other transaction ever gets, even when this one rolls back.
CREATE SEQUENCE lead_management.seller_roster_version_seq;
COMMENT ON SEQUENCE lead_management.seller_roster_version_seq IS 'Versions for seller_roster_versions (a value is never handed out twice)';
CREATE TABLE lead_management.seller_roster_versions (
    business_line_id integer PRIMARY KEY,
    version bigint NOT NULL
);
COMMENT ON TABLE lead_management.seller_roster_versions IS 'Derived: per business line, the version of its sellers, working hours and territories, renewed by every statement that changes them (and by repair_assignments()); a backend reads the sellers again only when a version changed';

CREATE TABLE lead_management.assignment_exclusions (
    lead_document_number text COLLATE "C" NOT NULL
        REFERENCES lead_management.leads ON UPDATE CASCADE ON DELETE CASCADE,
    seller_document_number text COLLATE "C" NOT NULL
        REFERENCES lead_management.sellers ON UPDATE CASCADE ON DELETE CASCADE,
    excluded_at timestamptz NOT NULL,
    CONSTRAINT assignment_exclusions_pkey PRIMARY KEY (lead_document_number, seller_document_number)
);
CREATE INDEX assignment_exclusions_seller_idx ON lead_management.assignment_exclusions (seller_document_number);
COMMENT ON TABLE lead_management.assignment_exclusions IS 'A seller who let a lead sit in Assigned past lead_assigner.accept_timeout is never offered it again';

-- pg_dump backs up extension tables only when they are registered; reference tables keep only
-- the rows a user added after install (the install script creates the first ones again).
SELECT pg_catalog.pg_extension_config_dump('lead_management.countries', 'WHERE country_id > 5');
SELECT pg_catalog.pg_extension_config_dump('lead_management.countries_country_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.document_types', 'WHERE document_type_id > 4');
SELECT pg_catalog.pg_extension_config_dump('lead_management.document_types_document_type_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.business_lines', 'WHERE business_line_id > 4');
SELECT pg_catalog.pg_extension_config_dump('lead_management.business_lines_business_line_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.assignment_statuses', 'WHERE assignment_status_id > 5');
SELECT pg_catalog.pg_extension_config_dump('lead_management.assignment_statuses_assignment_status_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.leads', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.sellers', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.assignments', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.assignments_assignment_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.assignment_records', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.assignment_records_assignment_record_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.audit_logs', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.audit_logs_default', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.audit_logs_audit_log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.assignment_runs', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.assignment_runs_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.round_robin_cursors', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.seller_loads', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.assignment_queue', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.seller_hours', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.seller_hourly_assignments', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.seller_schedules', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.assignment_exclusions', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.seller_countries', '');
