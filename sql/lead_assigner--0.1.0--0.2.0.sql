-- lead_assigner 0.1.0 -> 0.2.0, run by ALTER EXTENSION lead_assigner UPDATE.
-- Every step leaves the catalog exactly as a fresh 0.2.0 install has it (the upgrade test compares
-- them) and keeps every row, audit row and history row.
\echo Use "ALTER EXTENSION lead_assigner UPDATE" to load this file. \quit

-- Lead priority (routing rules): higher first, then document_number.
ALTER TABLE lead_management.leads ADD COLUMN priority smallint NOT NULL DEFAULT 0;
COMMENT ON COLUMN lead_management.leads.priority IS 'Higher is assigned first; equal priorities go in document_number order';

-- Derived state: seller loads and the queue of Pending leads, built from the data as it is.
CREATE TABLE lead_management.seller_loads (
    seller_document_number text COLLATE "C" PRIMARY KEY,
    open_leads integer NOT NULL
);
COMMENT ON TABLE lead_management.seller_loads IS 'Derived: per seller, the assignments in a status that occupies capacity (no row = 0)';

CREATE TABLE lead_management.assignment_queue (
    lead_document_number text COLLATE "C" PRIMARY KEY,
    business_line_id integer NOT NULL,
    priority smallint NOT NULL,
    enqueued_by xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX assignment_queue_order_idx ON lead_management.assignment_queue (business_line_id, priority DESC, lead_document_number);
-- For a line a run emptied, the next run reads only what arrived since (assignment_queue_watermarks).
CREATE INDEX assignment_queue_arrival_idx ON lead_management.assignment_queue (business_line_id, enqueued_by);
COMMENT ON TABLE lead_management.assignment_queue IS 'Derived: every Pending lead with its business line and priority, in the order runs take them';
COMMENT ON COLUMN lead_management.assignment_queue.enqueued_by IS 'The transaction that queued the lead (or last moved it to another line or priority)';

-- Why: the leads a run takes stay in the queue's indexes as dead entries until VACUUM, and a
-- read in queue order walks them all. After a run that emptied a line, the next one reads only
-- the entries queued since (assignment_queue_arrival_idx) and walks none of the dead ones.
CREATE UNLOGGED TABLE lead_management.assignment_queue_watermarks (
    business_line_id integer PRIMARY KEY,
    enqueued_since xid8 NOT NULL
);
COMMENT ON TABLE lead_management.assignment_queue_watermarks IS 'Derived hint, safe to lose (unlogged, not dumped): every lead queued in the business line was queued by a transaction enqueued_since or later, because the last run that emptied the line saw every older one';

INSERT INTO lead_management.seller_loads (seller_document_number, open_leads)
SELECT a.seller_document_number, count(*)
FROM lead_management.assignments a JOIN lead_management.assignment_statuses st USING (assignment_status_id)
WHERE st.occupies_capacity AND a.seller_document_number IS NOT NULL
GROUP BY a.seller_document_number;

INSERT INTO lead_management.assignment_queue (lead_document_number, business_line_id, priority)
SELECT a.lead_document_number, l.business_line_id, l.priority
FROM lead_management.assignments a JOIN lead_management.leads l ON l.document_number = a.lead_document_number
JOIN lead_management.assignment_statuses st USING (assignment_status_id)
WHERE lower(btrim(st.name)) = 'pending';

SELECT pg_catalog.pg_extension_config_dump('lead_management.seller_loads', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.assignment_queue', '');

-- Routing rules: availability, working hours, daily caps, weights, acceptance timeout.
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

ALTER TABLE lead_management.sellers
    ADD COLUMN away_until timestamptz,
    ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC' CONSTRAINT sellers_time_zone_valid CHECK (lead_management.is_time_zone(time_zone)),
    ADD COLUMN daily_cap integer CONSTRAINT sellers_daily_cap_valid CHECK (daily_cap >= 0),
    ADD COLUMN weight integer NOT NULL DEFAULT 1 CONSTRAINT sellers_weight_valid CHECK (weight BETWEEN 1 AND 100);
COMMENT ON COLUMN lead_management.sellers.away_until IS 'Gets no new leads while now() < away_until (keeps the open ones); NULL: not away';
COMMENT ON COLUMN lead_management.sellers.time_zone IS 'IANA time zone of the seller''s working hours (seller_hours)';
COMMENT ON COLUMN lead_management.sellers.daily_cap IS 'At most this many leads assigned in the last 24 hours (counted by the hour), whatever their status now; NULL: no cap';
COMMENT ON COLUMN lead_management.sellers.weight IS 'round_robin gives each seller turns in proportion to its weight (1-100)';

CREATE TABLE lead_management.seller_hours (
    seller_document_number text COLLATE "C" NOT NULL
        REFERENCES lead_management.sellers ON UPDATE CASCADE ON DELETE CASCADE,
    weekday smallint NOT NULL CONSTRAINT seller_hours_weekday_valid CHECK (weekday BETWEEN 1 AND 7),
    starts_at time NOT NULL,
    ends_at time NOT NULL,
    CONSTRAINT seller_hours_window_valid CHECK (starts_at < ends_at),
    CONSTRAINT seller_hours_pkey PRIMARY KEY (seller_document_number, weekday, starts_at)
);
COMMENT ON TABLE lead_management.seller_hours IS 'Working hours in the seller''s time_zone (ISO weekday 1 = Monday); a seller with no rows is always available, one with rows only inside one of them';

ALTER TABLE lead_management.assignment_runs ADD COLUMN requeued integer NOT NULL DEFAULT 0;
ALTER TABLE lead_management.assignment_runs DROP CONSTRAINT assignment_runs_kind_valid,
    ADD CONSTRAINT assignment_runs_kind_valid CHECK (kind IN ('assign', 'simulate', 'insert'));
COMMENT ON COLUMN lead_management.assignment_runs.pending_before IS 'Pending leads the run read: per business line at most as many as its sellers had room for';
COMMENT ON COLUMN lead_management.assignment_runs.requeued IS 'Leads put back to Pending because they sat in Assigned longer than lead_assigner.accept_timeout';

-- The status index now serves the status FK and the acceptance timeout (pending leads are read
-- from assignment_queue).
DROP INDEX lead_management.assignments_status_lead_idx;
CREATE INDEX assignments_status_assigned_at_idx ON lead_management.assignments (assignment_status_id, assigned_at);

CREATE TABLE lead_management.seller_hourly_assignments (
    seller_document_number text COLLATE "C" NOT NULL,
    hour timestamptz NOT NULL,
    assigned integer NOT NULL,
    CONSTRAINT seller_hourly_assignments_pkey PRIMARY KEY (seller_document_number, hour)
);
COMMENT ON TABLE lead_management.seller_hourly_assignments IS 'Derived: leads assigned per seller and hour, for daily caps (the last 25 hours are read; maintain() drops older hours)';

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

-- Daily caps count from the start: the last 25 hours of history, one count per assignment.
INSERT INTO lead_management.seller_hourly_assignments (seller_document_number, hour, assigned)
SELECT seller_document_number, date_trunc('hour', assigned_at, 'UTC'), count(*)
FROM (SELECT DISTINCT assignment_id, seller_document_number, assigned_at FROM lead_management.assignment_records
      WHERE seller_document_number IS NOT NULL AND assigned_at >= now() - interval '26 hours') AS assignments_made
GROUP BY 1, 2;
SELECT pg_catalog.pg_extension_config_dump('lead_management.seller_hours', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.seller_hourly_assignments', '');

-- seller_hours is new, so its packed copy starts empty too.
CREATE TABLE lead_management.seller_schedules (
    seller_document_number text COLLATE "C" PRIMARY KEY,
    windows bigint[] NOT NULL
);
COMMENT ON TABLE lead_management.seller_schedules IS 'Derived: per seller with working hours, its seller_hours windows packed one bigint each (weekday << 34 | starts_at << 17 | ends_at, in seconds since local midnight), so a run reads one row per seller';
SELECT pg_catalog.pg_extension_config_dump('lead_management.seller_schedules', '');

-- Per business line, the version of its sellers and working hours (see schema.sql); backends
-- keep the sellers between runs and read them again when a version changes.
CREATE SEQUENCE lead_management.seller_roster_version_seq;
COMMENT ON SEQUENCE lead_management.seller_roster_version_seq IS 'Versions for seller_roster_versions (a value is never handed out twice)';
CREATE TABLE lead_management.seller_roster_versions (
    business_line_id integer PRIMARY KEY,
    version bigint NOT NULL
);
COMMENT ON TABLE lead_management.seller_roster_versions IS 'Derived: per business line, the version of its sellers and working hours, renewed by every statement that changes them (and by repair_assignments()); a backend reads the sellers again only when a version changed';
SELECT pg_catalog.pg_extension_config_dump('lead_management.assignment_exclusions', '');

-- audit_logs becomes partitioned by month. Its rows move to the new table's DEFAULT partition
-- (maintain() later moves them into their months); the id sequence carries on.
ALTER EXTENSION lead_assigner DROP TABLE lead_management.audit_logs;
ALTER TABLE lead_management.audit_logs RENAME TO audit_logs_0_1_0;
ALTER TABLE lead_management.audit_logs_0_1_0 RENAME CONSTRAINT audit_logs_pkey TO audit_logs_0_1_0_pkey;
ALTER TABLE lead_management.audit_logs_0_1_0 RENAME CONSTRAINT audit_logs_action_valid TO audit_logs_0_1_0_action_valid;
-- PostgreSQL 18 keeps NOT NULL constraints in pg_constraint, named after their table
-- (audit_logs_action_not_null): rename the old table's too, or the new table's would get a "1"
-- appended and differ from a fresh install's. Before 18 there are none to rename.
DO $$
DECLARE
    old_name name;
BEGIN
    FOR old_name IN
        SELECT conname FROM pg_catalog.pg_constraint
        WHERE conrelid = 'lead_management.audit_logs_0_1_0'::regclass AND contype = 'n'
    LOOP
        EXECUTE format('ALTER TABLE lead_management.audit_logs_0_1_0 RENAME CONSTRAINT %I TO %I',
                       old_name, 'audit_logs_0_1_0' || substr(old_name, length('audit_logs') + 1));
    END LOOP;
END
$$;

CREATE TABLE lead_management.audit_logs (
    audit_log_id bigint NOT NULL DEFAULT nextval('lead_management.audit_logs_audit_log_id_seq'::regclass),
    table_name text NOT NULL,
    action text NOT NULL CONSTRAINT audit_logs_action_valid CHECK (action IN ('INSERT', 'UPDATE', 'DELETE', 'PRUNE')),
    old_value jsonb,
    new_value jsonb,
    changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    ip_address inet DEFAULT inet_client_addr(),
    db_user text NOT NULL DEFAULT session_user,
    application_name text DEFAULT current_setting('application_name'),
    transaction_id bigint NOT NULL DEFAULT txid_current()
) PARTITION BY RANGE (changed_at);
ALTER SEQUENCE lead_management.audit_logs_audit_log_id_seq OWNED BY lead_management.audit_logs.audit_log_id;
CREATE TABLE lead_management.audit_logs_default PARTITION OF lead_management.audit_logs
    (CONSTRAINT audit_logs_default_pkey PRIMARY KEY (audit_log_id)) DEFAULT;
COMMENT ON TABLE lead_management.audit_logs_default IS 'Audit rows outside every monthly partition (maintain() creates those ahead of time)';
COMMENT ON TABLE lead_management.audit_logs IS 'Append-only record of every insert, update and delete on the lead_management tables, partitioned by month (maintain() prunes past lead_assigner.audit_retention, logging a PRUNE row)';
INSERT INTO lead_management.audit_logs SELECT * FROM lead_management.audit_logs_0_1_0;
DROP TABLE lead_management.audit_logs_0_1_0;
SELECT pg_catalog.pg_extension_config_dump('lead_management.audit_logs', '');
SELECT pg_catalog.pg_extension_config_dump('lead_management.audit_logs_default', '');

-- Per-statement triggers with transition tables replace the per-row ones.
DROP TRIGGER audit_row_change ON lead_management.countries;
DROP TRIGGER audit_row_change ON lead_management.document_types;
DROP TRIGGER audit_row_change ON lead_management.business_lines;
DROP TRIGGER audit_row_change ON lead_management.assignment_statuses;
DROP TRIGGER audit_row_change ON lead_management.leads;
DROP TRIGGER audit_row_change ON lead_management.sellers;
DROP TRIGGER audit_row_change ON lead_management.assignments;
DROP TRIGGER audit_row_change ON lead_management.assignment_records;
DROP TRIGGER audit_row_change ON lead_management.assignment_runs;
DROP TRIGGER audit_row_change ON lead_management.round_robin_cursors;
DROP TRIGGER create_pending_assignment ON lead_management.leads;
DROP TRIGGER record_assignment_version ON lead_management.assignments;
DROP TRIGGER enforce_assignment_rules ON lead_management.leads;

CREATE FUNCTION lead_management."track_assignment_state"()
	RETURNS TRIGGER
	LANGUAGE c
	AS 'MODULE_PATHNAME', 'track_assignment_state_wrapper';
-- The set-based trigger functions run without JIT (see triggers.sql).
ALTER FUNCTION lead_management.audit_row_change() SET jit = off;
ALTER FUNCTION lead_management.record_assignment_version() SET jit = off;
ALTER FUNCTION lead_management.create_pending_assignment() SET jit = off SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION lead_management.track_assignment_state() SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off;
CREATE FUNCTION lead_management."track_seller_schedule"()
	RETURNS TRIGGER
	LANGUAGE c
	AS 'MODULE_PATHNAME', 'track_seller_schedule_wrapper';
ALTER FUNCTION lead_management.track_seller_schedule() SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off;
CREATE FUNCTION lead_management."track_seller_roster"()
	RETURNS TRIGGER
	LANGUAGE c
	AS 'MODULE_PATHNAME', 'track_seller_roster_wrapper';
ALTER FUNCTION lead_management.track_seller_roster() SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off;

-- The three per-statement triggers of one function on one table (as in triggers.sql).
CREATE FUNCTION lead_management.attach_statement_triggers(target text, prefix text, trigger_function text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON lead_management.%I REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION lead_management.%I()', prefix || '_insert', target, trigger_function);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON lead_management.%I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION lead_management.%I()', prefix || '_update', target, trigger_function);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON lead_management.%I REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION lead_management.%I()', prefix || '_delete', target, trigger_function);
END
$$;
REVOKE EXECUTE ON FUNCTION lead_management.attach_statement_triggers(text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION lead_management.attach_statement_triggers(text, text, text) IS
    'Internal: attaches prefix_insert, prefix_update and prefix_delete, per statement with their transition tables, running lead_management.trigger_function() on a lead_management table';

COMMENT ON FUNCTION lead_management.audit_row_change() IS
    'Trigger (Rust), per statement: writes one audit_logs row per changed row with its old and new images as jsonb, in one INSERT for the whole statement';
COMMENT ON FUNCTION lead_management.record_assignment_version() IS
    'Trigger (Rust), per statement: copies every inserted or updated assignments row into assignment_records';
COMMENT ON FUNCTION lead_management.create_pending_assignment() IS
    'Trigger (Rust), per statement: gives every new lead its Pending assignments row and, with lead_assigner.assign_on_insert, assigns the statement''s leads (one run per statement)';
COMMENT ON FUNCTION lead_management.track_assignment_state() IS
    'Trigger (Rust), per statement: keeps seller_loads, assignment_queue and seller_hourly_assignments equal to what assignments says';
COMMENT ON FUNCTION lead_management.track_seller_schedule() IS
    'Trigger (Rust), per statement: keeps seller_schedules equal to seller_hours for the sellers the statement touched (empty after TRUNCATE)';
COMMENT ON FUNCTION lead_management.track_seller_roster() IS
    'Trigger (Rust), per statement: gives the business lines whose sellers or working hours the statement changed a new version in seller_roster_versions (every line on TRUNCATE)';
COMMENT ON FUNCTION lead_management.enforce_assignment_rules() IS
    'Trigger (Rust): direct UPDATEs keep the rules: a lead or seller changing business line, or a seller deactivated, releases open leads to Pending; a Pending lead changing business line or priority moves in the queue; capacity cannot drop below open leads; a status in use keeps its occupies_capacity';

SELECT lead_management.attach_statement_triggers(audited, 'audit', 'audit_row_change')
FROM unnest(ARRAY['countries', 'document_types', 'business_lines', 'assignment_statuses', 'leads', 'sellers',
                  'seller_hours', 'assignments', 'assignment_records', 'assignment_runs', 'round_robin_cursors',
                  'assignment_exclusions']) AS audited;

CREATE TRIGGER create_pending_assignment AFTER INSERT ON lead_management.leads
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.create_pending_assignment();
CREATE TRIGGER enforce_assignment_rules AFTER UPDATE OF business_line_id, priority ON lead_management.leads
    FOR EACH ROW EXECUTE FUNCTION lead_management.enforce_assignment_rules();
CREATE TRIGGER record_assignment_version_insert AFTER INSERT ON lead_management.assignments
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.record_assignment_version();
CREATE TRIGGER record_assignment_version_update AFTER UPDATE ON lead_management.assignments
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.record_assignment_version();
SELECT lead_management.attach_statement_triggers('assignments', 'track_assignment_state', 'track_assignment_state');
SELECT lead_management.attach_statement_triggers('seller_hours', 'track_seller_schedule', 'track_seller_schedule');
SELECT lead_management.attach_statement_triggers(changed, 'track_seller_roster', 'track_seller_roster')
FROM unnest(ARRAY['sellers', 'seller_hours']) AS changed;
CREATE TRIGGER track_seller_schedule_truncate AFTER TRUNCATE ON lead_management.seller_hours
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.track_seller_schedule();
CREATE TRIGGER track_seller_roster_truncate AFTER TRUNCATE ON lead_management.sellers
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.track_seller_roster();
CREATE TRIGGER track_seller_roster_truncate AFTER TRUNCATE ON lead_management.seller_hours
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.track_seller_roster();
CREATE TRIGGER refuse_history_rewrite BEFORE UPDATE OR DELETE ON lead_management.audit_logs
    FOR EACH ROW EXECUTE FUNCTION lead_management.refuse_history_rewrite();
CREATE TRIGGER refuse_history_truncate BEFORE TRUNCATE ON lead_management.audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.refuse_history_rewrite();

-- The SQL API's new functions (as cargo pgrx generates them for 0.2.0).
CREATE  FUNCTION "preview_assignments"() RETURNS TABLE (
	"lead" TEXT,
	"seller" TEXT,
	"strategy" TEXT
)
STRICT STABLE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'preview_assignments_wrapper';
CREATE  FUNCTION "explain_lead"(
	"lead" TEXT
) RETURNS TABLE (
	"seller" TEXT,
	"eligible" bool,
	"reason" TEXT
)
STABLE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'explain_lead_wrapper';
CREATE  FUNCTION "seller_availability"() RETURNS TABLE (
	"seller" TEXT,
	"availability" TEXT,
	"assigned_last_day" bigint
)
STRICT STABLE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'seller_availability_wrapper';
CREATE  FUNCTION "check_invariants"() RETURNS TABLE (
	"invariant" TEXT,
	"violations" bigint
)
STRICT VOLATILE SECURITY DEFINER PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'check_invariants_wrapper';
CREATE  FUNCTION "repair_assignments"() RETURNS TABLE (
	"pending_rows_created" bigint,
	"seller_loads_corrected" bigint,
	"queue_entries_corrected" bigint,
	"schedules_corrected" bigint
)
STRICT VOLATILE SECURITY DEFINER PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'repair_assignments_wrapper';
CREATE  FUNCTION "maintain"() RETURNS TABLE (
	"action" TEXT,
	"partition" TEXT,
	"rows" bigint
)
STRICT VOLATILE SECURITY DEFINER PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'maintain_wrapper';

-- start_simulation(interval) loses its '10 seconds' default: start_simulation() picks the finest
-- interval the installed pg_cron supports (a default cannot be dropped in place).
DROP FUNCTION start_simulation(interval);
CREATE  FUNCTION "start_simulation"(
	"every" interval
) RETURNS TEXT
VOLATILE SECURITY DEFINER PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'start_simulation_wrapper';
CREATE  FUNCTION "start_simulation"() RETURNS TEXT
STRICT VOLATILE SECURITY DEFINER PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'start_simulation_at_finest_interval_wrapper';
REVOKE EXECUTE ON FUNCTION start_simulation(interval), start_simulation() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION start_simulation(interval), start_simulation() TO lead_assigner_admin;

-- Runs keep generic plans (see api.sql).
ALTER FUNCTION assign_leads() SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION simulate_cycle(integer) SET plan_cache_mode = force_generic_plan;

-- Every function's description (several now name the roles that may call them).
COMMENT ON FUNCTION assign_leads() IS
    'Assigns every pending lead it can to an active seller of its business line with free capacity (strategy: lead_assigner.strategy); returns how many it assigned. Safe to call from many sessions at once. Roles: lead_assigner_app, lead_assigner_admin.';
COMMENT ON FUNCTION simulate_cycle(integer) IS
    'Inserts n realistic random leads (NULL: a weighted random count in [lead_assigner.leads_min, lead_assigner.leads_max]), skips duplicates, then runs assign_leads(); all or nothing. Roles: lead_assigner_app, lead_assigner_admin.';
COMMENT ON FUNCTION get_status_id(text) IS
    'Id of the named assignment status (trimmed, case-insensitive); creates it, not occupying capacity, when missing. Roles: lead_assigner_app, lead_assigner_admin.';
COMMENT ON FUNCTION set_assignment_status(text, text) IS
    'Moves a lead''s assignment to a status (e.g. In Progress, Won, Lost, Pending); statuses that do not occupy capacity free the seller''s slot. Returns the status name. Roles: lead_assigner_app, lead_assigner_admin.';
COMMENT ON FUNCTION deactivate_seller(text) IS
    'Deactivates a seller and puts their open leads back to Pending for the next assign_leads(); returns how many. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION activate_seller(text) IS
    'Makes a seller eligible for new leads again; returns false if they already were active. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION start_simulation(interval) IS
    'Schedules (or reschedules) the pg_cron job lead_assigner_simulation running simulate_cycle() every interval; returns the pg_cron schedule. Sub-minute intervals need pg_cron 1.5+. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION start_simulation() IS
    'start_simulation(interval) at the finest interval the installed pg_cron supports (10 seconds on pg_cron 1.5+, 1 minute on 1.4), named in a NOTICE. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION preview_assignments() IS
    'What assign_leads() would assign if called now in this session (same strategy, rules and order, same code), as (lead, seller, strategy) rows; writes nothing and takes no lock. Roles: lead_assigner_app, lead_assigner_admin.';
COMMENT ON FUNCTION explain_lead(text) IS
    'Why a lead is or is not assigned: one row per seller of its business line, in the order the current strategy tries them, with eligible and a reason (eligible, inactive, full, away, outside_hours, daily_cap, excluded, already_assigned); (NULL, false, no_sellers_in_line) for a line without sellers. Read-only. Roles: lead_assigner_app, lead_assigner_admin.';
COMMENT ON FUNCTION seller_availability() IS
    'Every seller''s availability now as the assignment rules judge it and its leads assigned in the last day (for the seller_workload view). Roles: lead_assigner_app, lead_assigner_admin.';
COMMENT ON FUNCTION check_invariants() IS
    'One row per invariant of the data model (capacity, one assignment per lead, no open lead on an inactive seller or across business lines, derived loads, queue and schedules equal to a recount, no queued lead below its line''s watermark, history complete) with how many rows break it; 0 everywhere when all hold. Reads the whole book. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION repair_assignments() IS
    'After a load with triggers off: creates the missing Pending assignments, sets seller_loads, assignment_queue and seller_schedules to a recount and renews seller_roster_versions (every session reads the sellers again); returns what it changed. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION maintain() IS
    'Daily upkeep (pg_cron job lead_assigner_maintenance): creates audit_logs partitions for this month and the next two, moving in rows the DEFAULT partition caught, and drops whole months older than lead_assigner.audit_retention, logging each drop as a PRUNE row. Returns one row per partition created or dropped. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION stop_simulation() IS
    'Unschedules the pg_cron simulation job; returns whether it was scheduled. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION simulation_status() IS
    'Whether the simulation job is scheduled, its schedule, and how its runs went (from cron.job_run_details). Roles: lead_assigner_app, lead_assigner_admin.';
REVOKE EXECUTE ON FUNCTION preview_assignments(), explain_lead(text), seller_availability() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION preview_assignments(), explain_lead(text), seller_availability()
    TO lead_assigner_app, lead_assigner_admin;
REVOKE EXECUTE ON FUNCTION check_invariants(), repair_assignments(), maintain() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION check_invariants(), repair_assignments(), maintain() TO lead_assigner_admin;

-- Views read the maintained state.
CREATE OR REPLACE VIEW lead_management.seller_workload AS
SELECT s.document_number,
       s.given_name || ' ' || s.surname AS seller,
       b.name AS business_line,
       s.is_active,
       s.max_leads_count,
       coalesce(l.open_leads, 0)::bigint AS open_leads,
       greatest(s.max_leads_count - coalesce(l.open_leads, 0), 0)::bigint AS free_capacity,
       a.availability AS available_now,
       a.assigned_last_day,
       s.daily_cap,
       s.weight
FROM lead_management.sellers s
JOIN lead_management.business_lines b USING (business_line_id)
LEFT JOIN lead_management.seller_loads l ON l.seller_document_number = s.document_number
LEFT JOIN seller_availability() a ON a.seller = s.document_number
ORDER BY b.name, s.document_number;
COMMENT ON VIEW lead_management.seller_workload IS 'Per seller: open leads (statuses that occupy capacity), capacity and free slots, availability now as the rules judge it (eligible, inactive, away, outside_hours, full, daily_cap), leads assigned in the last day against the daily cap, and weight';
CREATE OR REPLACE VIEW lead_management.recent_runs AS
SELECT run_id, kind, started_at, finished_at - started_at AS duration, strategy,
       pending_before, eligible_sellers, assigned, generated, inserted, skipped, requeued
FROM lead_management.assignment_runs
ORDER BY run_id DESC
LIMIT 20;
COMMENT ON VIEW lead_management.recent_runs IS 'The last 20 runs (assign_leads(), simulate_cycle(), assign_on_insert), newest first';

CREATE OR REPLACE VIEW lead_management.pending_by_business_line AS
SELECT b.business_line_id,
       b.name AS business_line,
       (SELECT count(*) FROM lead_management.assignment_queue q
         WHERE q.business_line_id = b.business_line_id) AS pending_leads,
       (SELECT count(*) FROM lead_management.sellers s
         WHERE s.business_line_id = b.business_line_id AND s.is_active) AS active_sellers,
       (SELECT coalesce(sum(w.free_capacity), 0) FROM lead_management.seller_workload w
          JOIN lead_management.sellers s USING (document_number)
         WHERE s.business_line_id = b.business_line_id AND s.is_active) AS free_capacity
FROM lead_management.business_lines b
ORDER BY b.business_line_id;

GRANT SELECT ON lead_management.seller_loads, lead_management.assignment_queue, lead_management.audit_logs,
    lead_management.audit_logs_default, lead_management.seller_hours, lead_management.seller_hourly_assignments,
    lead_management.seller_schedules, lead_management.assignment_exclusions, lead_management.assignment_queue_watermarks,
    lead_management.seller_roster_versions
    TO lead_assigner_app, lead_assigner_admin;
GRANT USAGE ON SEQUENCE lead_management.seller_roster_version_seq TO lead_assigner_admin;
GRANT INSERT, UPDATE, DELETE ON lead_management.seller_hours TO lead_assigner_admin;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        PERFORM cron.schedule('lead_assigner_maintenance', '17 3 * * *', 'SELECT public.maintain()');
    END IF;
END
$$;
