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
    priority smallint NOT NULL
);
CREATE INDEX assignment_queue_order_idx ON lead_management.assignment_queue (business_line_id, priority DESC, lead_document_number);
COMMENT ON TABLE lead_management.assignment_queue IS 'Derived: every Pending lead with its business line and priority, in the order runs take them';

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

-- audit_logs becomes partitioned by month. Its rows move to the new table's DEFAULT partition
-- (maintain() later moves them into their months); the id sequence carries on.
ALTER EXTENSION lead_assigner DROP TABLE lead_management.audit_logs;
ALTER TABLE lead_management.audit_logs RENAME TO audit_logs_0_1_0;
ALTER TABLE lead_management.audit_logs_0_1_0 RENAME CONSTRAINT audit_logs_pkey TO audit_logs_0_1_0_pkey;
ALTER TABLE lead_management.audit_logs_0_1_0 RENAME CONSTRAINT audit_logs_action_valid TO audit_logs_0_1_0_action_valid;

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
    transaction_id bigint NOT NULL DEFAULT txid_current(),
    CONSTRAINT audit_logs_pkey PRIMARY KEY (audit_log_id, changed_at)
) PARTITION BY RANGE (changed_at);
ALTER SEQUENCE lead_management.audit_logs_audit_log_id_seq OWNED BY lead_management.audit_logs.audit_log_id;
CREATE TABLE lead_management.audit_logs_default PARTITION OF lead_management.audit_logs DEFAULT;
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
ALTER FUNCTION lead_management.track_assignment_state() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- The three audit triggers of one table (as in triggers.sql).
CREATE FUNCTION lead_management.attach_statement_triggers(audited text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER audit_insert AFTER INSERT ON lead_management.%I REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION lead_management.audit_row_change()', audited);
    EXECUTE format('CREATE TRIGGER audit_update AFTER UPDATE ON lead_management.%I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION lead_management.audit_row_change()', audited);
    EXECUTE format('CREATE TRIGGER audit_delete AFTER DELETE ON lead_management.%I REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION lead_management.audit_row_change()', audited);
END
$$;
REVOKE EXECUTE ON FUNCTION lead_management.attach_statement_triggers(text) FROM PUBLIC;
COMMENT ON FUNCTION lead_management.attach_statement_triggers(text) IS
    'Internal: attaches the per-statement audit triggers (insert, update, delete) to a lead_management table';

COMMENT ON FUNCTION lead_management.audit_row_change() IS
    'Trigger (Rust), per statement: writes one audit_logs row per changed row with its old and new images as jsonb, in one INSERT for the whole statement';
COMMENT ON FUNCTION lead_management.record_assignment_version() IS
    'Trigger (Rust), per statement: copies every inserted or updated assignments row into assignment_records';
COMMENT ON FUNCTION lead_management.create_pending_assignment() IS
    'Trigger (Rust), per statement: gives every new lead its Pending assignments row';
COMMENT ON FUNCTION lead_management.track_assignment_state() IS
    'Trigger (Rust), per statement: keeps seller_loads and assignment_queue equal to what assignments says';
COMMENT ON FUNCTION lead_management.enforce_assignment_rules() IS
    'Trigger (Rust): direct UPDATEs keep the rules: a lead or seller changing business line, or a seller deactivated, releases open leads to Pending; a Pending lead changing business line or priority moves in the queue; capacity cannot drop below open leads; a status in use keeps its occupies_capacity';

SELECT lead_management.attach_statement_triggers(audited)
FROM unnest(ARRAY['countries', 'document_types', 'business_lines', 'assignment_statuses', 'leads', 'sellers',
                  'assignments', 'assignment_records', 'assignment_runs', 'round_robin_cursors']) AS audited;

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
CREATE TRIGGER track_assignment_state_insert AFTER INSERT ON lead_management.assignments
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.track_assignment_state();
CREATE TRIGGER track_assignment_state_update AFTER UPDATE ON lead_management.assignments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.track_assignment_state();
CREATE TRIGGER track_assignment_state_delete AFTER DELETE ON lead_management.assignments
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.track_assignment_state();
CREATE TRIGGER refuse_history_rewrite BEFORE UPDATE OR DELETE ON lead_management.audit_logs
    FOR EACH ROW EXECUTE FUNCTION lead_management.refuse_history_rewrite();
CREATE TRIGGER refuse_history_truncate BEFORE TRUNCATE ON lead_management.audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.refuse_history_rewrite();

-- The SQL API's new functions (as cargo pgrx generates them for 0.2.0).
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
	"queue_entries_corrected" bigint
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

COMMENT ON FUNCTION check_invariants() IS
    'One row per invariant of the data model (capacity, one assignment per lead, no open lead on an inactive seller or across business lines, derived loads and queue equal to a recount, history complete) with how many rows break it; 0 everywhere when all hold. Reads the whole book.';
COMMENT ON FUNCTION repair_assignments() IS
    'After a load with triggers off: creates the missing Pending assignments and sets seller_loads and assignment_queue to a recount; returns what it changed.';
COMMENT ON FUNCTION maintain() IS
    'Daily upkeep (pg_cron job lead_assigner_maintenance): creates audit_logs partitions for this month and the next two, moving in rows the DEFAULT partition caught, and drops whole months older than lead_assigner.audit_retention, logging each drop as a PRUNE row. Returns one row per partition created or dropped.';
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
       greatest(s.max_leads_count - coalesce(l.open_leads, 0), 0)::bigint AS free_capacity
FROM lead_management.sellers s
JOIN lead_management.business_lines b USING (business_line_id)
LEFT JOIN lead_management.seller_loads l ON l.seller_document_number = s.document_number
ORDER BY b.name, s.document_number;

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
    lead_management.audit_logs_default TO lead_assigner_app, lead_assigner_admin;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        PERFORM cron.schedule('lead_assigner_maintenance', '17 3 * * *', 'SELECT public.maintain()');
    END IF;
END
$$;
