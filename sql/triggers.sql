-- Attaches the Rust trigger functions. Reference rows were inserted before this file runs, so
-- the audit trail starts with the first change a user makes.

-- The three per-statement triggers (insert, update, delete) of one function on one table (the
-- upgrade script has it too).
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

-- The writing triggers run as the extension owner: a role allowed to change leads still cannot
-- insert into (let alone forge) audit_logs or assignment_records directly. The set-based ones run
-- without JIT: their statements over a large statement's transition tables cross the JIT cost
-- thresholds, and compiling them cost 0.3-0.4 s of the audit of one 100,000-row UPDATE (about
-- 2 s), for expressions as simple as a column copy.
ALTER FUNCTION lead_management.audit_row_change() SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off;
ALTER FUNCTION lead_management.record_assignment_version() SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off;
-- It runs assign_on_insert's runs, hence their plan_cache_mode (see api.sql).
ALTER FUNCTION lead_management.create_pending_assignment() SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION lead_management.track_assignment_state() SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off;
ALTER FUNCTION lead_management.track_seller_schedule() SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off;
ALTER FUNCTION lead_management.track_seller_roster() SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off;
ALTER FUNCTION lead_management.release_outside_territory() SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off;
ALTER FUNCTION lead_management.enforce_assignment_rules() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

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
COMMENT ON FUNCTION lead_management.release_outside_territory() IS
    'Trigger (Rust), per statement on seller_countries: under the business-line locks, puts back to Pending every open lead a touched seller holds from a country outside its territory now';
COMMENT ON FUNCTION lead_management.enforce_assignment_rules() IS
    'Trigger (Rust): direct UPDATEs keep the rules: a lead or seller changing business line, a lead moving to a country its seller does not cover, or a seller deactivated, releases open leads to Pending; a Pending lead changing business line, country or priority moves in the queue; capacity cannot drop below open leads; a status in use keeps its occupies_capacity';
COMMENT ON FUNCTION lead_management.refuse_history_rewrite() IS
    'Trigger (Rust): keeps audit_logs and assignment_records append-only for everyone but superusers';

-- Statement-level triggers with transition tables: a statement that changes 100,000 rows costs a
-- few set-based statements, not 100,000 trigger calls. PostgreSQL allows transition tables only
-- on single-event triggers, hence one trigger per event.
SELECT lead_management.attach_statement_triggers(audited, 'audit', 'audit_row_change')
FROM unnest(ARRAY['countries', 'document_types', 'business_lines', 'assignment_statuses', 'leads', 'sellers',
                  'seller_hours', 'assignments', 'assignment_records', 'assignment_runs', 'round_robin_cursors',
                  'assignment_exclusions', 'seller_countries']) AS audited;

CREATE TRIGGER create_pending_assignment AFTER INSERT ON lead_management.leads
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.create_pending_assignment();

CREATE TRIGGER enforce_assignment_rules AFTER UPDATE OF business_line_id, priority, country_id ON lead_management.leads
    FOR EACH ROW EXECUTE FUNCTION lead_management.enforce_assignment_rules();
CREATE TRIGGER enforce_assignment_rules AFTER UPDATE OF is_active, business_line_id, max_leads_count ON lead_management.sellers
    FOR EACH ROW EXECUTE FUNCTION lead_management.enforce_assignment_rules();
CREATE TRIGGER enforce_assignment_rules AFTER UPDATE OF occupies_capacity ON lead_management.assignment_statuses
    FOR EACH ROW EXECUTE FUNCTION lead_management.enforce_assignment_rules();

CREATE TRIGGER record_assignment_version_insert AFTER INSERT ON lead_management.assignments
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.record_assignment_version();
CREATE TRIGGER record_assignment_version_update AFTER UPDATE ON lead_management.assignments
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.record_assignment_version();

SELECT lead_management.attach_statement_triggers('assignments', 'track_assignment_state', 'track_assignment_state');

SELECT lead_management.attach_statement_triggers('seller_hours', 'track_seller_schedule', 'track_seller_schedule');

-- Named to fire before track_seller_roster: it takes the business-line locks before that one
-- locks the lines' roster versions, in the order every other path takes them.
SELECT lead_management.attach_statement_triggers('seller_countries', 'release_outside_territory', 'release_outside_territory');

SELECT lead_management.attach_statement_triggers(changed, 'track_seller_roster', 'track_seller_roster')
FROM unnest(ARRAY['sellers', 'seller_hours', 'seller_countries']) AS changed;
CREATE TRIGGER track_seller_schedule_truncate AFTER TRUNCATE ON lead_management.seller_hours
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.track_seller_schedule();
CREATE TRIGGER track_seller_roster_truncate AFTER TRUNCATE ON lead_management.sellers
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.track_seller_roster();
CREATE TRIGGER track_seller_roster_truncate AFTER TRUNCATE ON lead_management.seller_hours
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.track_seller_roster();
CREATE TRIGGER track_seller_roster_truncate AFTER TRUNCATE ON lead_management.seller_countries
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.track_seller_roster();

-- Row triggers on the partitioned audit_logs are cloned onto every partition, present and future.
CREATE TRIGGER refuse_history_rewrite BEFORE UPDATE OR DELETE ON lead_management.audit_logs
    FOR EACH ROW EXECUTE FUNCTION lead_management.refuse_history_rewrite();
CREATE TRIGGER refuse_history_truncate BEFORE TRUNCATE ON lead_management.audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.refuse_history_rewrite();
CREATE TRIGGER refuse_history_rewrite BEFORE UPDATE OR DELETE ON lead_management.assignment_records
    FOR EACH ROW EXECUTE FUNCTION lead_management.refuse_history_rewrite();
CREATE TRIGGER refuse_history_truncate BEFORE TRUNCATE ON lead_management.assignment_records
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.refuse_history_rewrite();
